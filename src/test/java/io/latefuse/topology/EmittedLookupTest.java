package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A late score still finds its emitted event (EventStores.emitted) when the clock it was emitted on has since stepped
 * back, a little or far, in the same task or after the task is initialized again over the same stores.
 */
class EmittedLookupTest {
    /** late.retention 80 s: buckets of 10 s. */
    private static PipelineConfig config() {
        return PipelineConfigLoader.parse(FusionDriver.BASE.formatted("emitted-lookup")
                .replace("late.retention: 1h", "late.retention: 80s") + "deadline.clock: processing_time\n", "test", Map.of());
    }

    /** e1 answered DEGRADED without prosody and visual at wall + 300 ms. */
    private static ProcessorHarness answered(PipelineConfig config, long wall) {
        ProcessorHarness h = new ProcessorHarness(config);
        h.setWall(wall);
        h.process(score("e1", "acoustic", 0.9f));
        h.process(score("e1", "lexical", 0.9f));
        h.setWall(wall + 310);
        h.punctuate();
        assertThat(h.predictions()).singleElement().satisfies(p -> assertThat(p.getRevision()).isZero());
        return h;
    }

    private static FusedPrediction last(ProcessorHarness h) {
        List<FusedPrediction> all = h.predictions();
        return all.get(all.size() - 1);
    }

    @Test
    void aLateScoreFindsItsEventInTheCurrentOrAnEarlierBucket() {
        ProcessorHarness h = answered(config(), 200_000);
        h.setWall(200_000 + 45_000); // four buckets on, within late.retention
        h.process(score("e1", "prosody", 0.1f));
        assertThat(last(h).getRevision()).isEqualTo(1);
        assertThat(h.deadLetters()).isEmpty();
    }

    @Test
    void aLateScoreFindsItsEventAfterTheWallClockSteppedBack() {
        ProcessorHarness h = answered(config(), 200_000);
        h.setWall(200_000 - 35_000); // three and a half buckets back: the entry is ahead of now
        h.process(score("e1", "prosody", 0.1f));
        assertThat(last(h).getRevision()).isEqualTo(1);

        // the task initialized again over the same stores, the clock further back: the latest bucket is read back
        ProcessorHarness again = new ProcessorHarness(config(), h);
        again.setWall(200_000 - 60_000);
        again.process(score("e1", "visual", 0.1f));
        assertThat(again.predictions()).singleElement().satisfies(p -> assertThat(p.getRevision()).isEqualTo(2));
    }

    @Test
    void aLateScoreFindsItsEventAfterTheClockSteppedBackFurtherThanTheLookupsGo() {
        ProcessorHarness h = answered(config(), 900_000);
        long back = 21 * 10_000L; // 21 buckets
        h.setWall(900_000 - back); // more buckets than the point lookups cover: the range read
        h.process(score("e1", "prosody", 0.1f));
        assertThat(last(h).getRevision()).isEqualTo(1);
        ProcessorHarness again = new ProcessorHarness(config(), h);
        again.setWall(900_000 - back);
        again.process(score("e1", "visual", 0.1f));
        assertThat(again.predictions()).singleElement().satisfies(p -> assertThat(p.getRevision()).isEqualTo(2));
    }

    @Test
    void anEventOlderThanLateRetentionIsNew() {
        ProcessorHarness h = answered(config(), 200_000);
        h.setWall(200_000 + 80_000 + 20_000); // past late.retention and the bucket it was kept under
        h.process(score("e1", "prosody", 0.1f));
        assertThat(h.predictions()).as("a new wait, nothing emitted yet").hasSize(1);
    }
}
