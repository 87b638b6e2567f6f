package io.latefuse.lookup;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review, promise 1 (modality.health off: the lookup's view as before). The view now shows any revision 0 with a
 * degraded_reason as DEGRADED, to cover quarantine. But under off, a state kept by a release before state format 5
 * (no emitted_with) whose revision 0 was DEGRADED at its deadline and which then held the missing required score
 * under revision.policy on_change (suppressed) was shown before the change as COMPLETE with "revision 0 was DEGRADED:
 * ...; a later revision has every required modality"; it is now shown DEGRADED with the bare reason. The two cases
 * cannot be told apart from the state: a behaviour change under off.
 */
class EventViewsReviewTest {
    private static final PipelineConfig CONFIG = PipelineConfigLoader.parse("""
            application.id: a
            bootstrap.servers: b:9092
            schema.registry.url: http://r
            classes: [directed, undirected]
            modalities: [{name: acoustic}, {name: lexical}, {name: visual, required: false}]
            """, "test", Map.of());
    private static final long T = 1_767_225_600_000L;

    @Test
    void underOffALegacyRevisionZeroWithAHeldScoreIsShownAsBefore() {
        List<ModalityScore> arrivals = new ArrayList<>();
        for (String m : List.of("acoustic", "lexical")) {
            arrivals.add(ModalityScore.newBuilder().setEventId("e").setModality(m).setModel(m).setModelVersion("1")
                    .setScores(List.of(0.7f, 0.3f)).setScoreType(ScoreType.PROBABILITY)
                    .setEventTime(Instant.ofEpochMilli(T)).build());
        }
        EventState s = new EventState("e", T, T + 3, T + 503, 0, arrivals, false, List.of(0.6f, 0.4f),
                "lexical was never read", null, null);
        EventView v = new EventViews(CONFIG).emitted(s, "h:1", 0);
        assertThat(CONFIG.health().judges()).isFalse();
        assertThat(v.prediction().status()).as("as before the change (1d43522)").isEqualTo("COMPLETE");
    }
}
