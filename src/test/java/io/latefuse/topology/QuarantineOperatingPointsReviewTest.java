package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.config.OperatingPoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/** Review, checked: with operating points, a prediction's threshold and decision are those of the subset fused. */
class QuarantineOperatingPointsReviewTest {
    @Test
    void theThresholdIsTheFusedSubsets(@TempDir Path dir) throws Exception {
        Path points = dir.resolve("points.json");
        new OperatingPoints("p", "weighted_mean", "directed", OperatingPoints.Metric.FRR, 0.1, 0.5, 100, List.of(
                new OperatingPoints.Subset(List.of("acoustic", "lexical", "prosody"), 0.9, 100),
                new OperatingPoints.Subset(List.of("lexical", "prosody"), 0.2, 100),
                new OperatingPoints.Subset(List.of("acoustic"), 0.7, 100)), List.of()).write(points);
        try (FusionDriver d = new FusionDriver("""
                modality.health: quarantine
                modality.health.quarantined: [acoustic]
                operating.points: %s
                """.formatted(points))) {
            d.send(score("e1", "acoustic", 0.9f));
            d.send(score("e1", "lexical", 0.3f));
            d.send(score("e1", "prosody", 0.3f));
            FusedPrediction p = d.drain().get(0);
            assertThat(p.getThreshold()).isEqualTo(0.2f);
            assertThat(p.getDecision()).isEqualTo("directed");
            // only the quarantined one held: fused with it, its own subset's threshold
            d.send(score("e2", "acoustic", 0.6f));
            d.advanceWall(310);
            FusedPrediction q = d.drain().get(0);
            assertThat(q.getPresent()).containsExactly("acoustic");
            assertThat(q.getQuarantined()).containsExactly("acoustic");
            assertThat(q.getThreshold()).isEqualTo(0.7f);
            assertThat(q.getDecision()).isEqualTo("undirected");
        }
    }
}
