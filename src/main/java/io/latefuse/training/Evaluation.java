package io.latefuse.training;

import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.Calibrator;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionResult;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.fusion.LogOddsStrategy;
import io.latefuse.fusion.VoteStrategy;
import io.latefuse.fusion.WeightedMeanStrategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates every strategy on every non-empty subset of the modalities: each event is fused from the modalities of
 * the subset that it has, as if the others had not arrived.
 */
public final class Evaluation {
    /** The false-reject rate of the DDSD operating point. */
    public static final double TARGET_FR = 0.10;

    /**
     * One row of the table.
     *
     * @param auc NaN unless there are two classes (likewise eer and faAtFr10)
     */
    public record Row(List<String> subset, String strategy, int n, double accuracy, double auc, double eer, double faAtFr10) {
        public boolean complete(int modalities) {
            return subset.size() == modalities;
        }
    }

    /**
     * What one strategy answered on one subset, event by event, for the report's curves and matrices.
     *
     * @param subset        the subset, a bit per modality index
     * @param events        the index in the data of each event evaluated (those with any modality of the subset)
     * @param masks         the modalities each event was fused from: those of the subset that it has
     * @param labels        each event's true class
     * @param probabilities each event's fused probabilities, {@code classes} per event, flat
     */
    public record Outcome(long subset, List<String> names, String strategy, int classes, int[] events, long[] masks,
                          int[] labels, float[] probabilities) {
        public int size() {
            return labels.length;
        }

        public float probability(int i, int c) {
            return probabilities[i * classes + c];
        }

        /** The argmax of event i, the first class on ties (as accuracy counts it). */
        public int predicted(int i) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (probability(i, c) > probability(i, best)) {
                    best = c;
                }
            }
            return best;
        }
    }

    /** The table's rows and, in the same order, what each row was computed from. */
    public record Result(List<Row> rows, List<Outcome> outcomes) {}

    private Evaluation() {}

    /** The closed-form strategies the report compares, with the config's weights. */
    public static Map<String, FusionStrategy> closedForm(PipelineConfig config) {
        double[] w = config.modalities().stream().mapToDouble(PipelineConfig.ModalityConfig::weight).toArray();
        double[] priors = config.classPriors() == null ? null
                : config.classPriors().stream().mapToDouble(Double::doubleValue).toArray();
        Map<String, FusionStrategy> m = new LinkedHashMap<>();
        m.put(WeightedMeanStrategy.NAME, new WeightedMeanStrategy(w));
        m.put(LogOddsStrategy.NAME, new LogOddsStrategy(w, priors));
        m.put(VoteStrategy.NAME, new VoteStrategy(w));
        return m;
    }

    /** Calibrated probabilities [N][C] of one event, null where missing. */
    public static double[][] calibrated(PipelineConfig config, LabelledScores.Event e) {
        double[][] p = new double[config.numModalities()][];
        for (int i = 0; i < p.length; i++) {
            if (e.scores()[i] != null) {
                p[i] = new Calibrator(config.modalities().get(i).calibration()).probabilities(e.scores()[i], ScoreType.PROBABILITY);
            }
        }
        return p;
    }

    /** The modalities an event has, as a bit per modality index. */
    public static long present(LabelledScores.Event e) {
        long mask = 0;
        for (int i = 0; i < e.scores().length; i++) {
            if (e.scores()[i] != null) {
                mask |= 1L << i;
            }
        }
        return mask;
    }

    /**
     * An event as the fusion input of the modalities in {@code subset} that it has, as if the others had not
     * arrived: its calibrated scores with its embeddings, or with its features (as an early head reads them).
     */
    public static FusionInput input(LabelledScores.Event e, double[][] calibrated, long subset, boolean features) {
        int n = calibrated.length;
        double[][] p = new double[n][];
        float[][] vectors = new float[n][];
        for (int i = 0; i < n; i++) {
            if ((subset & (1L << i)) != 0 && calibrated[i] != null) {
                p[i] = calibrated[i];
                float[][] source = features ? e.features() : e.embeddings();
                vectors[i] = source == null ? null : source[i];
            }
        }
        double[] confidences = new double[n];
        java.util.Arrays.fill(confidences, Double.NaN);
        return new FusionInput(p, confidences, vectors);
    }

    public static List<Row> run(PipelineConfig config, List<LabelledScores.Event> events, Map<String, FusionStrategy> strategies) {
        return runWithOutcomes(config, events, strategies).rows();
    }

    /** As {@link #run}, keeping each row's per-event probabilities. */
    public static Result runWithOutcomes(PipelineConfig config, List<LabelledScores.Event> events,
                                         Map<String, FusionStrategy> strategies) {
        int n = config.numModalities();
        List<Outcome> outcomes = new ArrayList<>();
        List<double[][]> calibrated = events.stream().map(e -> calibrated(config, e)).toList();
        List<Row> rows = new ArrayList<>();
        for (int subset = 1; subset < (1 << n); subset++) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if ((subset & (1 << i)) != 0) {
                    names.add(config.modalityNames().get(i));
                }
            }
            List<FusionInput> inputs = new ArrayList<>();
            List<FusionInput> featureInputs = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            List<Integer> indexes = new ArrayList<>();
            for (int e = 0; e < events.size(); e++) {
                LabelledScores.Event ev = events.get(e);
                if ((present(ev) & subset) != 0) {
                    inputs.add(input(ev, calibrated.get(e), subset, false));
                    featureInputs.add(input(ev, calibrated.get(e), subset, true));
                    labels.add(ev.label());
                    indexes.add(e);
                }
            }
            if (inputs.isEmpty()) {
                continue;
            }
            int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
            int[] index = indexes.stream().mapToInt(Integer::intValue).toArray();
            long[] masks = new long[index.length];
            for (int i = 0; i < index.length; i++) {
                masks[i] = present(events.get(index[i])) & subset;
            }
            int classes = config.numClasses();
            for (Map.Entry<String, FusionStrategy> s : strategies.entrySet()) {
                // An early head reads the same events' features where the others read scores and embeddings.
                List<FusionResult> results = s.getValue().fuseBatch(s.getValue().takesFeatures() ? featureInputs : inputs);
                double[][] probs = results.stream().map(FusionResult::probabilities).toArray(double[][]::new);
                double acc = BinaryMetrics.accuracy(probs, y);
                double auc = Double.NaN;
                double eer = Double.NaN;
                double fa = Double.NaN;
                if (config.numClasses() == 2 && hasBoth(y)) {
                    double[] score = new double[y.length];
                    boolean[] positive = new boolean[y.length];
                    for (int i = 0; i < y.length; i++) {
                        score[i] = probs[i][0];
                        positive[i] = y[i] == 0; // the first class is the positive one (e.g. device-directed)
                    }
                    BinaryMetrics m = BinaryMetrics.of(score, positive, TARGET_FR);
                    auc = m.auc();
                    eer = m.eer();
                    fa = m.faAtFr();
                }
                rows.add(new Row(names, s.getKey(), y.length, acc, auc, eer, fa));
                float[] flat = new float[y.length * classes];
                for (int i = 0; i < y.length; i++) {
                    for (int c = 0; c < classes; c++) {
                        flat[i * classes + c] = (float) probs[i][c];
                    }
                }
                outcomes.add(new Outcome(subset, List.copyOf(names), s.getKey(), classes, index, masks, y, flat));
            }
        }
        return new Result(rows, outcomes);
    }

    private static boolean hasBoth(int[] y) {
        boolean zero = false;
        boolean other = false;
        for (int v : y) {
            zero |= v == 0;
            other |= v != 0;
        }
        return zero && other;
    }
}
