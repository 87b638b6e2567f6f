package io.latefuse.training;

import io.latefuse.config.OperatingPoints;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /** Issue 26, item 5: more than floor(r*n) negatives of a subset at exactly 1.0 made its threshold 1.0000001. */
    @Test
    void aFalseAcceptTargetThatSaturatedNegativesBreakIsCappedAtOneAndSaid() {
        List<OperatingPointCalibration.Scored> events = new ArrayList<>();
        for (int i = 0; i < 200; i++) { // acoustic alone: 30 of 200 negatives at 1.0, floor(0.05 * 200) = 10
            events.add(new OperatingPointCalibration.Scored(0b0001, i < 30 ? 1f : i / 1000f, false));
            events.add(new OperatingPointCalibration.Scored(0b0001, 1f, true));
        }
        for (int i = 0; i < 600; i++) { // acoustic and lexical: spread out, so the target holds there and globally
            events.add(new OperatingPointCalibration.Scored(0b0011, i / 600f, false));
            events.add(new OperatingPointCalibration.Scored(0b0011, 0.5f + i / 1200f, true));
        }
        OperatingPointCalibration.Result r = OperatingPointCalibration.calibrate(CONFIG, events,
                OperatingPoints.Metric.FAR, 0.05, "directed", "far-0.05", 100);

        assertThat(r.points().problems(CONFIG.classes(), CONFIG.strategy(), CONFIG.modalityNames())).isEmpty();
        OperatingPoints.Subset acoustic = subset(r.points(), List.of("acoustic"));
        assertThat(acoustic.threshold()).isEqualTo(1.0);
        assertThat(r.notes()).contains("Subset [acoustic]: the FAR target 0.05 cannot be held: 30 of the 200 negatives "
                + "score 1.0, which any threshold up to 1.0 accepts; the threshold is capped at 1.0, where the FAR is 0.1500");
        assertThat(r.notes()).noneMatch(n -> n.startsWith("Subset [acoustic, lexical]") || n.startsWith("Global"));
        // What the note says is what the stream gets.
        List<OperatingPointCalibration.Row> rows = OperatingPointCalibration.compare(CONFIG, events, r.points());
        assertThat(rows).filteredOn(x -> x.present().equals(List.of("acoustic"))).singleElement()
                .satisfies(x -> assertThat(x.farOwn()).isEqualTo(0.15));
        assertThat(rows).filteredOn(x -> x.present().equals(List.of("acoustic", "lexical"))).singleElement()
                .satisfies(x -> assertThat(x.farOwn()).isLessThanOrEqualTo(0.05));
        assertThat(subset(r.points(), List.of("acoustic", "lexical")).threshold()).isLessThan(1.0);
    }

    @Test
    void aGlobalFalseAcceptTargetThatSaturatedNegativesBreakIsCappedAtOneAndSaid() {
        List<OperatingPointCalibration.Scored> events = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            events.add(new OperatingPointCalibration.Scored(0b0001, i < 20 ? 1f : 0.3f, false));
            events.add(new OperatingPointCalibration.Scored(0b0010, i < 20 ? 1f : 0.3f, false));
            events.add(new OperatingPointCalibration.Scored(0b0001, 1f, true));
        }
        OperatingPointCalibration.Result r = OperatingPointCalibration.calibrate(CONFIG, events,
                OperatingPoints.Metric.FAR, 0.1, "directed", "far-0.10", 100);
        assertThat(r.points().problems(CONFIG.classes(), CONFIG.strategy(), CONFIG.modalityNames())).isEmpty();
        assertThat(r.points().globalThreshold()).isEqualTo(1.0);
        assertThat(r.notes()).contains("Global threshold: the FAR target 0.1 cannot be held: 40 of the 200 negatives "
                + "score 1.0, which any threshold up to 1.0 accepts; the threshold is capped at 1.0, where the FAR is 0.2000");
        // Each subset had 100 negatives: both capped, both named; neither is a fallback.
        assertThat(r.points().subsets()).hasSize(2).allSatisfy(s -> assertThat(s.threshold()).isEqualTo(1.0));
        assertThat(r.notes()).filteredOn(n -> n.contains("cannot be held")).hasSize(3);
        assertThat(r.points().fallbacks()).isEmpty();
    }

    /**
     * Whatever the strategy, metric, target and data (saturated scores and single-modality events included),
     * calibrate's points pass the checks run and evaluate make, and the config loader takes the file.
     */
    @Test
    void calibratedPointsAlwaysPassTheLoadersChecks(@TempDir Path dir) throws Exception {
        List<LabelledScores.Event> events = new ArrayList<>(ddsd(707, 3_000));
        int i = 0;
        for (LabelledScores.Event e : ddsd(808, 1_500)) { // hard scores, and one modality only
            float[][] s = new float[4][];
            int m = i++ % 4;
            float[] raw = e.scores()[m] != null ? e.scores()[m] : new float[] {0.5f, 0.5f};
            s[m] = raw[0] >= raw[1] ? new float[] {1f, 0f} : new float[] {0f, 1f};
            events.add(new LabelledScores.Event(e.eventId() + "-hard", e.label(), s));
        }
        int capped = 0;
        int checked = 0;
        for (String strategy : List.of("weighted_mean", "log_odds", "max_confidence", "vote")) {
            String yaml = readDdsd().replace("strategy: log_odds", "strategy: " + strategy);
            PipelineConfig config = PipelineConfigLoader.parse(yaml, strategy, Map.of());
            List<OperatingPointCalibration.Scored> scored;
            try (FusionStrategy s = FusionStrategies.create(config)) {
                scored = OperatingPointCalibration.score(config, events, s, 0);
            }
            for (OperatingPoints.Metric metric : OperatingPoints.Metric.values()) {
                for (double target : new double[] {0.001, 0.01, 0.05, 0.1, 0.5, 0.9, 0.999}) {
                    for (int minEvents : new int[] {1, 100}) {
                        OperatingPointCalibration.Result r = OperatingPointCalibration.calibrate(config, scored, metric,
                                target, "directed", "p", minEvents);
                        String what = strategy + " " + metric + " " + target + " min " + minEvents + ": " + r.notes();
                        assertThat(r.points().problems(config.classes(), config.strategy(), config.modalityNames()))
                                .as(what).isEmpty();
                        Path file = dir.resolve("points-" + checked++ + ".json");
                        r.points().write(file);
                        PipelineConfig loaded = PipelineConfigLoader.parse(yaml + "operating.points: " + file + "\n",
                                strategy, Map.of());
                        assertThat(loaded.operatingPoints()).as(what).isEqualTo(r.points());
                        capped += r.notes().stream().anyMatch(n -> n.contains("capped at 1.0")) ? 1 : 0;
                    }
                }
            }
        }
        assertThat(capped).as("some of these runs meet a target that cannot be held").isPositive();
    }

    private static OperatingPoints.Subset subset(OperatingPoints points, List<String> present) {
        return points.subsets().stream().filter(s -> s.present().equals(present)).findFirst().orElseThrow();
    }
}
