package io.latefuse.training;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The report's figures against answers worked out by hand, and its curves against their definitions. */
class EvaluationReportTest {
    private static final List<String> MODALITIES = List.of("audio", "text");
    private static final List<String> CLASSES = List.of("yes", "no");

    /** An outcome whose events all have both modalities, answered right where {@code right} says. */
    private static Evaluation.Outcome outcome(long subset, String strategy, boolean[] right, int[] labels) {
        int n = labels.length;
        int[] events = new int[n];
        long[] masks = new long[n];
        float[] p = new float[2 * n];
        for (int i = 0; i < n; i++) {
            events[i] = i;
            masks[i] = subset;
            int predicted = right[i] ? labels[i] : 1 - labels[i];
            p[2 * i + predicted] = 0.8f;
            p[2 * i + 1 - predicted] = 0.2f;
        }
        List<String> names = new ArrayList<>();
        for (int m = 0; m < MODALITIES.size(); m++) {
            if ((subset & (1L << m)) != 0) {
                names.add(MODALITIES.get(m));
            }
        }
        return new Evaluation.Outcome(subset, names, strategy, 2, events, masks, labels, p);
    }

    private static boolean[] rightFor(int n, int rightCount) {
        boolean[] r = new boolean[n];
        for (int i = 0; i < rightCount; i++) {
            r[i] = true;
        }
        return r;
    }

    private static Evaluation.Row row(Evaluation.Outcome o) {
        int right = 0;
        for (int i = 0; i < o.size(); i++) {
            right += o.predicted(i) == o.labels()[i] ? 1 : 0;
        }
        return new Evaluation.Row(o.names(), o.strategy(), o.size(), right / (double) o.size(), Double.NaN, Double.NaN,
                Double.NaN);
    }

    /**
     * 20 events with both modalities. Alone, audio is right on 12 and text on 15 (under every closed-form
     * strategy); fused, log_odds is right on 18 and a learned head on 19, which given text alone is right on 17.
     */
    private static EvaluationReport report() {
        int[] labels = new int[20];
        for (int i = 0; i < 20; i++) {
            labels[i] = i % 2;
        }
        List<Evaluation.Outcome> outcomes = new ArrayList<>();
        for (String s : List.of("weighted_mean", "log_odds")) {
            outcomes.add(outcome(0b01, s, rightFor(20, 12), labels));
            outcomes.add(outcome(0b10, s, rightFor(20, 15), labels));
        }
        outcomes.add(outcome(0b01, "head", rightFor(20, 13), labels));
        outcomes.add(outcome(0b10, "head", rightFor(20, 17), labels));
        outcomes.add(outcome(0b11, "weighted_mean", rightFor(20, 16), labels));
        outcomes.add(outcome(0b11, "log_odds", rightFor(20, 18), labels));
        outcomes.add(outcome(0b11, "head", rightFor(20, 19), labels));
        List<Evaluation.Row> rows = outcomes.stream().map(EvaluationReportTest::row).toList();
        Map<String, Double> dropout = new LinkedHashMap<>();
        return new EvaluationReport("t", new Evaluation.Result(rows, outcomes), MODALITIES, CLASSES,
                Set.of("weighted_mean", "log_odds", "vote"), dropout, List.of(), null);
    }

    @Test
    void theGainIsTheBestStrategyAgainstTheBestModalityAloneOnTheSameEvents() {
        List<EvaluationReport.Gain> gains = report().gains();
        assertThat(gains).hasSize(1);
        EvaluationReport.Gain g = gains.get(0);
        assertThat(g.subset()).containsExactly("audio", "text");
        assertThat(g.events()).isEqualTo(20);
        assertThat(g.fused()).isEqualTo("head");
        assertThat(g.fusedAccuracy()).isEqualTo(0.95);
        // the head given text alone (0.85) is not "the modality alone": text's own model, 0.75, is
        assertThat(g.single()).isEqualTo("text");
        assertThat(g.singleAccuracy()).isEqualTo(0.75);
        assertThat(g.points()).isCloseTo(20.0, within(1e-9));
    }

    @Test
    void eachCheckComparesAFamilyWithItselfGivenOneModalityAndNamesBoth() {
        List<String> checks = report().checks();
        assertThat(checks).hasSize(2);
        assertThat(checks.get(0)).contains("best closed-form fusion (log_odds, 20 events) has accuracy 0.9000")
                .contains("(text alone, by weighted_mean, 20 events) 0.7500: +15.0 points");
        assertThat(checks.get(1)).contains("best learned head (head, 20 events) has accuracy 0.9500")
                .contains("(text alone, by head, 20 events) 0.8500: +10.0 points");
    }

    @Test
    void thePageIsSelfContainedAndDrawsWhatTwoClassesCallFor() {
        String html = report().html();
        assertThat(html).doesNotContain("<script").doesNotContain("href=").doesNotContain("src=");
        assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http");
        assertThat(html.split("<svg class='det'", -1)).as("a DET chart per subset").hasSize(4);
        assertThat(html).contains("<svg class='accuracy'").contains("<svg class='gain'")
                .doesNotContain("class='confusion'");
    }

    @Property(tries = 200)
    void theTradeoffRunsFromAcceptAllToRejectAllAndEachPointIsAThreshold(
            @ForAll @Size(min = 2, max = 60) List<@FloatRange(min = 0, max = 1) Float> scores, @ForAll long seed) {
        int n = scores.size();
        float[] p = new float[n];
        boolean[] positive = new boolean[n];
        java.util.Random rnd = new java.util.Random(seed);
        for (int i = 0; i < n; i++) {
            p[i] = scores.get(i);
            positive[i] = i == 0 || (i != 1 && rnd.nextBoolean()); // both classes
        }
        ErrorTradeoff t = ErrorTradeoff.of(p, positive);
        assertThat(t.far()[0]).isEqualTo(1);
        assertThat(t.frr()[0]).isEqualTo(0);
        assertThat(t.far()[t.far().length - 1]).isEqualTo(0);
        assertThat(t.frr()[t.frr().length - 1]).isEqualTo(1);
        TreeSet<Float> distinct = new TreeSet<>(scores);
        assertThat(t.far()).hasSize(distinct.size() + 1);
        int k = 0;
        for (float threshold : distinct) {
            double[] thresholds = new double[n];
            java.util.Arrays.fill(thresholds, threshold);
            double[] at = ErrorTradeoff.at(p, positive, thresholds);
            assertThat(t.far()[k]).as("FAR at %s", threshold).isEqualTo(at[0]);
            assertThat(t.frr()[k]).as("FRR at %s", threshold).isEqualTo(at[1]);
            k++;
        }
        // BinaryMetrics interpolates the crossing; the trade-off's is the nearest step at or above it.
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = p[i];
        }
        assertThat(t.equalErrorRate()).isGreaterThanOrEqualTo(BinaryMetrics.of(d, positive, 0.1).eer() - 1e-9);
    }

    @Property(tries = 200)
    void reliabilityCountsEveryEventAndItsErrorIsTheWeightedGap(
            @ForAll @Size(min = 1, max = 80) List<@FloatRange(min = 0, max = 1) Float> predicted, @ForAll long seed) {
        float[] p = new float[predicted.size()];
        boolean[] happened = new boolean[p.length];
        java.util.Random rnd = new java.util.Random(seed);
        for (int i = 0; i < p.length; i++) {
            p[i] = predicted.get(i);
            happened[i] = rnd.nextDouble() < p[i];
        }
        Reliability r = Reliability.of(p, happened);
        assertThat(java.util.Arrays.stream(r.events()).sum()).isEqualTo(p.length);
        double ece = 0;
        for (int b = 0; b < 10; b++) {
            double sum = 0;
            int hits = 0;
            int count = 0;
            for (int i = 0; i < p.length; i++) {
                if (p[i] >= b / 10f && (b == 9 || p[i] < (b + 1) / 10f)) {
                    sum += p[i];
                    hits += happened[i] ? 1 : 0;
                    count++;
                }
            }
            assertThat(r.events()[b]).as("bin %d", b).isEqualTo(count);
            if (count > 0) {
                ece += count / (double) p.length * Math.abs(hits / (double) count - sum / count);
            }
        }
        assertThat(r.ece()).isCloseTo(ece, within(1e-9));
    }

    @Property(tries = 300)
    void aZoomedAxisCoversItsValuesInAFewRoundSteps(@ForAll @DoubleRange(min = -1, max = 1) double a,
                                                     @ForAll @DoubleRange(min = -1, max = 1) double b) {
        double min = Math.min(a, b);
        double max = Math.max(a, b);
        double[] axis = EvaluationCharts.niceAxis(min, max);
        assertThat(axis[0]).isLessThanOrEqualTo(min + 1e-12);
        assertThat(axis[1]).isGreaterThanOrEqualTo(max - 1e-12);
        double steps = (axis[1] - axis[0]) / axis[2];
        assertThat(steps).isBetween(2 - 1e-9, 14 + 1e-9);
        if (max - min > 1e-3) {
            assertThat(axis[1] - axis[0]).as("zoomed: not far wider than the values").isLessThan(3 * (max - min) + 3 * axis[2]);
        }
    }

    @Test
    void theDetFloorIsATenthOfTheLowestEqualErrorRateNoFinerThanTheEventsAllow() {
        // 10 positives, 10 negatives, separated but for one of each: EER 10%
        float[] p = new float[20];
        boolean[] pos = new boolean[20];
        for (int i = 0; i < 20; i++) {
            pos[i] = i < 10;
            p[i] = pos[i] ? 0.6f + i / 100f : 0.1f + i / 100f;
        }
        p[0] = 0.05f;
        p[19] = 0.95f;
        ErrorTradeoff few = ErrorTradeoff.of(p, pos);
        assertThat(few.equalErrorRate()).isEqualTo(0.1);
        // 1/10 events is the finest rate, above a tenth of the EER; the floor is capped at 5%, to leave a range
        assertThat(EvaluationCharts.detFloor(List.of(few))).isEqualTo(0.05);
        float[] many = new float[2000];
        boolean[] manyPos = new boolean[2000];
        for (int i = 0; i < 2000; i++) {
            manyPos[i] = i % 2 == 0;
            many[i] = (manyPos[i] ? 0.55f : 0.45f) + (i % 200 - 100) / 1000f; // overlapping: an EER of some 10-20%
        }
        ErrorTradeoff t = ErrorTradeoff.of(many, manyPos);
        double floor = EvaluationCharts.detFloor(List.of(t));
        assertThat(floor).isLessThanOrEqualTo(t.equalErrorRate() / 10).isGreaterThanOrEqualTo(1.0 / 1000 / 2.5);
        assertThat(EvaluationCharts.tickPct(0.0005)).isEqualTo("0.05%");
        assertThat(EvaluationCharts.tickPct(0.4)).isEqualTo("40%");
    }
}
