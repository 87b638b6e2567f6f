package io.latefuse.training;

import io.latefuse.config.OperatingPoints;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Per-subset operating points on the synthetic DDSD stream (config/ddsd.yaml, log_odds): learned on one seed's
 * events, judged on another's, grouped by the modalities each event really has.
 */
class OperatingPointsTest {
    private static final PipelineConfig CONFIG = PipelineConfigLoader.parse(readDdsd(), "config/ddsd.yaml", Map.of());
    private static final double TARGET = 0.10;

    private static String readDdsd() {
        try {
            return java.nio.file.Files.readString(Path.of("config/ddsd.yaml"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static List<LabelledScores.Event> ddsd(long seed, int n) {
        SyntheticDdsd g = new SyntheticDdsd(seed);
        List<LabelledScores.Event> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            SyntheticDdsd.Utterance u = g.next();
            out.add(new LabelledScores.Event(u.id(), u.directed() ? 0 : 1, u.scores()));
        }
        return out;
    }

    private static List<OperatingPointCalibration.Scored> scored(List<LabelledScores.Event> events) {
        try (FusionStrategy s = FusionStrategies.create(CONFIG)) {
            return OperatingPointCalibration.score(CONFIG, events, s, 0);
        }
    }

    @Test
    void perSubsetThresholdsHoldTheFalseRejectRateWhereTheGlobalOneDrifts() {
        OperatingPointCalibration.Result r = OperatingPointCalibration.calibrate(CONFIG, scored(ddsd(101, 20_000)),
                OperatingPoints.Metric.FRR, TARGET, "directed", "frr-0.10", 100);
        List<OperatingPointCalibration.Row> rows = OperatingPointCalibration.compare(CONFIG, scored(ddsd(202, 20_000)),
                r.points());
        List<OperatingPointCalibration.Row> judged = rows.stream().filter(x -> x.events() >= 200).toList();
        assertThat(judged).hasSizeGreaterThanOrEqualTo(4);
        StringBuilder table = new StringBuilder("present, events, FRR global, FRR per subset\n");
        judged.forEach(x -> table.append(String.format("%s, %d, %.3f, %.3f%n", x.present(), x.events(), x.frrGlobal(), x.frrOwn())));
        assertThat(judged).as(table.toString()).allSatisfy(x -> {
            assertThat(x.own()).isTrue();
            assertThat(x.frrOwn()).isCloseTo(TARGET, within(0.03));
        });
        assertThat(judged).as("one global threshold misses by more than 3 points somewhere\n" + table)
                .anySatisfy(x -> assertThat(Math.abs(x.frrGlobal() - TARGET)).isGreaterThan(0.03));
    }

    @Test
    void aFalseAcceptTargetIsHeldToo() {
        OperatingPointCalibration.Result r = OperatingPointCalibration.calibrate(CONFIG, scored(ddsd(303, 20_000)),
                OperatingPoints.Metric.FAR, 0.05, "directed", "far-0.05", 100);
        for (OperatingPointCalibration.Row x : OperatingPointCalibration.compare(CONFIG, scored(ddsd(404, 20_000)), r.points())) {
            if (x.events() >= 200) {
                assertThat(x.farOwn()).as(x.present().toString()).isCloseTo(0.05, within(0.03));
            }
        }
    }

    @Test
    void aSubsetNeverSeenInValidationFallsBackToTheGlobalThresholdAndSaysSo() {
        List<LabelledScores.Event> noCamera = new ArrayList<>();
        for (LabelledScores.Event e : ddsd(505, 5_000)) {
            float[][] s = e.scores().clone();
            s[3] = null; // visual never arrives in validation
            if (s[0] != null || s[1] != null || s[2] != null) {
                noCamera.add(new LabelledScores.Event(e.eventId(), e.label(), s));
            }
        }
        OperatingPointCalibration.Result r = OperatingPointCalibration.calibrate(CONFIG, scored(noCamera),
                OperatingPoints.Metric.FRR, TARGET, "directed", "frr", 100);
        assertThat(r.points().subsets()).allSatisfy(s -> assertThat(s.present()).doesNotContain("visual"));
        assertThat(r.notes()).contains("Subset [acoustic, lexical, prosody, visual]: never occurred in validation; it "
                + "uses the global threshold");
        // Too few positives of a rare subset: named, with how many there were.
        assertThat(r.points().fallbacks()).isNotEmpty().allSatisfy(f -> assertThat(f.reason()).contains("fewer than 100"));
        assertThat(OperatingPointCalibration.compare(CONFIG, scored(ddsd(606, 2_000)), r.points()))
                .filteredOn(x -> x.present().contains("visual"))
                .isNotEmpty().allSatisfy(x -> assertThat(x.own()).isFalse());
    }

    @Test
    void theThresholdRejectsAtMostTheTargetShareAndNoMore() {
        List<OperatingPointCalibration.Scored> events = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            events.add(new OperatingPointCalibration.Scored(1, i / 10f, true));
            events.add(new OperatingPointCalibration.Scored(1, i / 20f, false));
        }
        double frr = OperatingPointCalibration.threshold(events, OperatingPoints.Metric.FRR, 0.2);
        assertThat(OperatingPointCalibration.rates(events, frr)[0]).isEqualTo(0.2);
        double far = OperatingPointCalibration.threshold(events, OperatingPoints.Metric.FAR, 0.3);
        assertThat(OperatingPointCalibration.rates(events, far)[1]).isEqualTo(0.3);
        assertThatThrownBy(() -> OperatingPointCalibration.calibrate(CONFIG, events, OperatingPoints.Metric.FRR, 1.5,
                "directed", "x", 1)).hasMessageContaining("1.5 is not in (0, 1)");
    }
}
