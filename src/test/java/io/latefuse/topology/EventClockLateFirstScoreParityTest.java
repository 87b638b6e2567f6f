package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.PredictionStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.latefuse.topology.FusionDriver.T0;
import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reference for ScoreJoinReviewTest: what latefuse itself does, on the event clock, with an event whose first score
 * arrives with its deadline already behind stream time. (Passes: latefuse answers it DEGRADED, revision 0.)
 */
class EventClockLateFirstScoreParityTest {
    @Test
    void latefuseAnswersAnEventWhoseDeadlineStreamTimePassedDegraded() {
        try (FusionDriver d = new FusionDriver("deadline.clock: event\nlate.policy: revise\n")) {
            d.send(score("other", "acoustic", 0.1f, T0.plusMillis(10_000))); // stream time: T0 + 10 s
            d.send(score("late", "acoustic", 0.9f, T0));                     // deadline T0 + 300 ms: passed
            d.send(score("late", "lexical", 0.8f, T0));
            d.send(score("late", "prosody", 0.7f, T0));
            List<FusedPrediction> out = d.drain().stream().filter(p -> p.getEventId().equals("late")).toList();
            assertThat(out).first().satisfies(p -> {
                assertThat(p.getRevision()).isZero();
                assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
                assertThat(p.getMissing()).contains("lexical", "prosody");
            });
        }
    }
}
