package io.latefuse.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Review of the bench's Flink additions: the steady-state rate, and restart mode with a Flink variant. */
class FlinkBenchReviewTest {

    /**
     * Found in review (fixed). steadyRate's Javadoc: "between the append of the answer that made 10% of the events answered and the one
     * that made 90% ... the last 10% leave out the tail". With 100 answers the one that made 90% is the 90th
     * (index 89); steadyRate ends at index 90, the first answer of the tail. Here 90 answers come at 100/s and the
     * last 10 are a tail a minute later: the steady rate must be 100/s; steadyRate reports ~1.3/s.
     */
    @Test
    void steadyRateLeavesTheTailOut() {
        long[] appends = new long[100];
        for (int i = 0; i < 100; i++) {
            appends[i] = i < 90 ? i * 10L : 60_000 + i;
        }
        assertThat(BenchRunner.steadyRate(appends)).isEqualTo(100.0);
    }

    /** The same with 10 answers: index 9 (to = 10 * 9 / 10) is the last answer, the whole tail. */
    @Test
    void steadyRateOfTenAnswersLeavesTheLastOut() {
        long[] appends = {0, 10, 20, 30, 40, 50, 60, 70, 80, 60_000};
        assertThat(BenchRunner.steadyRate(appends)).isEqualTo(100.0);
    }

    /**
     * Restart mode kills Kafka Streams apps: it leaves the Flink variants out, and its child app refuses them (it used
     * to start the DSL chain and report it under the Flink variant's name).
     */
    @Test
    void restartModeHasNoChildAppForTheFlinkVariant(@TempDir Path dir) throws Exception {
        Variant flink = Variant.select(List.of("flink-rocksdb-eos")).get(0);
        try (BenchRunner runner = new BenchRunner(new BenchRunner.Settings("localhost:9", "http://localhost:9", dir, 1,
                Duration.ofMillis(300), Duration.ofMillis(25), Duration.ofMillis(100), 600, "log_odds", false, Map.of()),
                new PrintStream(OutputStream.nullOutputStream()))) {
            Method childApp = BenchRunner.class.getDeclaredMethod("childApp", Variant.class, Path.class, Path.class);
            childApp.setAccessible(true);
            assertThatThrownBy(() -> childApp.invoke(runner, flink, dir.resolve("flink.yaml"), dir.resolve("flink.log")))
                    .hasCauseInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * Found in review (fixed). The steady rate of a run counts an event as answered when answerOutputs > 0; for the passthrough
     * judge() counts it answered only once all its on-time outputs are in, and answerAppend is set only then. An event
     * with some of its outputs lost enters steadyRate with append time 0: with more than 10% such events the window
     * starts at 1970 and the rate collapses. Here 80 of 100 events are answered at 100/s, 20 got one output of three.
     */
    @Test
    void steadyRateOfThePassthroughCountsOnlyAnsweredEvents() throws Exception {
        BenchWorkload w = new BenchWorkload(100, List.of("acoustic", "lexical", "prosody"), 0, 0, 1);
        OutputTally tally = new OutputTally("localhost:9", "out", w, Variant.Kind.PASSTHROUGH, null);
        for (int e = 0; e < 100; e++) {
            if (e < 80) {
                tally.answerOutputs[e] = 3;
                tally.answerAppend[e] = 1_000_000 + e * 10L;
            } else {
                tally.answerOutputs[e] = 1; // two of its three outputs lost: not answered (judge), answerAppend unset
            }
        }
        Method steady = BenchRunner.class.getDeclaredMethod("steadyRate", OutputTally.class, BenchWorkload.class,
                int.class, Variant.class);
        steady.setAccessible(true);
        double rate = (double) steady.invoke(null, tally, w, 0, new Variant(Variant.Kind.PASSTHROUGH,
                io.latefuse.config.PipelineConfig.StoreType.MEMORY, Variant.AT_LEAST_ONCE));
        assertThat(rate).isCloseTo(100.0, org.assertj.core.data.Offset.offset(5.0));
    }
}
