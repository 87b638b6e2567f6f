package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.PredictionStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * modality.health: quarantine in the join: a modality judged broken is not fused and not awaited, each prediction
 * lists it in {@code quarantined}, its late scores revise nothing, and it is fused again once released.
 */
class QuarantineTopologyTest {
    static final String HEALTH = """
            modality.health: quarantine
            modality.health.stuck.scores: 5
            modality.health.release.scores: 30
            """;

    private final Random rnd = new Random(3);

    /** An event with every modality, the optional one first, acoustic at {@code acoustic} (NaN: a fresh score). */
    private FusedPrediction all(FusionDriver d, String id, float acoustic) {
        d.send(score(id, "visual", rnd.nextFloat()));
        d.send(score(id, "acoustic", Float.isNaN(acoustic) ? rnd.nextFloat() : acoustic));
        d.send(score(id, "lexical", rnd.nextFloat()));
        d.send(score(id, "prosody", rnd.nextFloat()));
        List<FusedPrediction> out = d.drain();
        assertThat(out).as(id).hasSize(1);
        return out.get(0);
    }

    @Test
    void aStuckModalityIsQuarantinedNotAwaitedListedAndFusedAgainOnceReleased() {
        try (FusionDriver d = new FusionDriver(HEALTH)) {
            for (int i = 0; i < 10; i++) {
                FusedPrediction p = all(d, "ok-" + i, Float.NaN);
                assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
                assertThat(p.getQuarantined()).isNull();
            }
            // Acoustic sends the same score: the fifth in a row quarantines it, after its own event was answered.
            for (int i = 0; i < 5; i++) {
                FusedPrediction p = all(d, "stuck-" + i, 0.9f);
                assertThat(p.getQuarantined()).as("stuck-" + i).isNull();
                assertThat(p.getPresent()).contains("acoustic");
            }
            // Not awaited: lexical and prosody are enough, at once, with no deadline.
            d.send(score("after", "visual", 0.3f));
            d.send(score("after", "lexical", 0.2f));
            d.send(score("after", "prosody", 0.4f));
            List<FusedPrediction> out = d.drain();
            assertThat(out).hasSize(1);
            FusedPrediction after = out.get(0);
            assertThat(after.getQuarantined()).containsExactly("acoustic");
            assertThat(after.getPresent()).containsExactly("lexical", "prosody", "visual");
            assertThat(after.getMissing()).isEmpty();
            assertThat(after.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(after.getDeadline()).isNull();
            assertThat(after.getDegradedReason()).contains("quarantined").contains("acoustic").contains("stuck");
            assertThat(after.getContributions()).doesNotContainKey("acoustic");
            assertThat(after.getScores().get(0)).isCloseTo((0.3f + 0.2f + 0.4f) / 3, org.assertj.core.data.Offset.offset(1e-5f));

            // Its late score revises nothing.
            d.send(score("after", "acoustic", 0.9f));
            assertThat(d.drain()).isEmpty();
            assertThat(d.drainDeadLetters()).isEmpty();

            // Sent with the others, a quarantined score is held but not fused.
            FusedPrediction withIt = all(d, "with-stuck", 0.9f);
            assertThat(withIt.getQuarantined()).containsExactly("acoustic");
            assertThat(withIt.getPresent()).doesNotContain("acoustic");

            // A required modality missing as well: the deadline passes, and the reason names both.
            d.send(score("two-down", "acoustic", 0.9f));
            d.send(score("two-down", "prosody", 0.5f));
            assertThat(d.drain()).isEmpty();
            d.advanceWall(310);
            out = d.drain();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).getMissing()).containsExactly("lexical", "visual");
            assertThat(out.get(0).getQuarantined()).containsExactly("acoustic");
            assertThat(out.get(0).getDegradedReason()).contains("lexical").contains("quarantined");

            // Healthy again: after 30 healthy judgements it is released, and fused and awaited again.
            int released = -1;
            for (int i = 0; i < 40 && released < 0; i++) {
                FusedPrediction p = all(d, "healthy-" + i, Float.NaN);
                if (p.getQuarantined() == null) {
                    released = i;
                }
            }
            assertThat(released).as("released after 30 healthy judgements").isEqualTo(30);
            d.send(score("awaited", "lexical", 0.2f));
            d.send(score("awaited", "prosody", 0.4f));
            assertThat(d.drain()).as("acoustic is awaited again").isEmpty();
            d.send(score("awaited", "acoustic", 0.6f));
            out = d.drain();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            assertThat(out.get(0).getPresent()).contains("acoustic");
        }
    }

    @Test
    void anEventThatHoldsOnlyQuarantinedModalitiesIsFusedWithThemAndSaysSo() {
        try (FusionDriver d = new FusionDriver(HEALTH + "modality.health.quarantined: [acoustic]\n")) {
            d.send(score("alone", "acoustic", 0.8f));
            d.advanceWall(310);
            List<FusedPrediction> out = d.drain();
            assertThat(out).hasSize(1);
            FusedPrediction p = out.get(0);
            assertThat(p.getQuarantined()).containsExactly("acoustic");
            assertThat(p.getPresent()).containsExactly("acoustic");
            assertThat(p.getScores().get(0)).isEqualTo(0.8f);
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
        }
    }

    @Test
    void withHealthOffOrObservedNothingIsQuarantined() {
        for (String mode : List.of("off", "observe")) {
            try (FusionDriver d = new FusionDriver("modality.health: " + mode + "\nmodality.health.stuck.scores: 5\n")) {
                for (int i = 0; i < 20; i++) {
                    FusedPrediction p = all(d, mode + "-" + i, 0.9f);
                    assertThat(p.getQuarantined()).isNull();
                    assertThat(p.getPresent()).contains("acoustic");
                    assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
                }
            }
        }
    }
}
