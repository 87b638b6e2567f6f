package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.config.OperatingPoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/** Predictions carry the decision of the operating point of the modalities they have. */
class OperatingPointsTopologyTest {
    @TempDir
    Path dir;

    /** weighted_mean over acoustic, lexical, prosody (required) and visual (optional); directed is positive. */
    private String points() throws Exception {
        Path file = dir.resolve("points.json");
        new OperatingPoints("frr-test", "weighted_mean", "directed", OperatingPoints.Metric.FRR, 0.1, 0.5, 1000,
                List.of(new OperatingPoints.Subset(List.of("acoustic", "lexical", "prosody"), 0.8, 400),
                        new OperatingPoints.Subset(List.of("acoustic", "lexical", "prosody", "visual"), 0.6, 500)),
                List.of()).write(file);
        return "operating.points: " + file + "\n";
    }

    private static FusedPrediction single(List<FusedPrediction> out) {
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    @Test
    void eachPredictionIsDecidedAtTheThresholdOfTheModalitiesItHas() throws Exception {
        try (FusionDriver d = new FusionDriver(points())) {
            for (String m : List.of("visual", "acoustic", "lexical", "prosody")) { // the optional one first
                d.send(score("all", m, 0.7f));
            }
            FusedPrediction all = single(d.drain());
            assertThat(all.getLabel()).isEqualTo("directed");
            assertThat(all.getDecision()).isEqualTo("directed");
            assertThat(all.getThreshold()).isEqualTo(0.6f);
            assertThat(all.getOperatingPoint()).isEqualTo("frr-test");

            // The same scores without the camera: that subset's threshold, 0.8, rejects them.
            d.send(score("no-camera", "acoustic", 0.7f));
            d.send(score("no-camera", "lexical", 0.7f));
            d.send(score("no-camera", "prosody", 0.7f));
            FusedPrediction noCamera = single(d.drain());
            assertThat(noCamera.getLabel()).isEqualTo("directed");
            assertThat(noCamera.getDecision()).isEqualTo("undirected");
            assertThat(noCamera.getThreshold()).isEqualTo(0.8f);

            // A subset with no threshold of its own: the global one.
            d.send(score("two", "acoustic", 0.7f));
            d.send(score("two", "lexical", 0.7f));
            d.advanceWall(310);
            FusedPrediction two = single(d.drain());
            assertThat(two.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(two.getDecision()).isEqualTo("directed");
            assertThat(two.getThreshold()).isEqualTo(0.5f);
        }
    }

    @Test
    void onChangeRevisesWhenTheDecisionFlipsThoughTheScoresStay() throws Exception {
        try (FusionDriver d = new FusionDriver(points() + "revision.policy: on_change\nrevision.min.delta: 0.2\n")) {
            d.send(score("e", "acoustic", 0.7f));
            d.send(score("e", "lexical", 0.7f));
            d.advanceWall(310);
            assertThat(single(d.drain()).getDecision()).isEqualTo("directed");
            // The fused probability stays 0.7, but now with prosody the subset's threshold is 0.8.
            d.send(score("e", "prosody", 0.7f));
            FusedPrediction revised = single(d.drain());
            assertThat(revised.getRevision()).isEqualTo(1);
            assertThat(revised.getDecision()).isEqualTo("undirected");
            // And the camera, at the same scores, flips it back (0.6): one more revision.
            d.send(score("e", "visual", 0.7f));
            assertThat(single(d.drain()).getDecision()).isEqualTo("directed");
            assertThat(d.metricTotal("latefuse.revisions.suppressed")).isZero();
        }
    }
}
