package io.latefuse.training;

import io.latefuse.config.OperatingPoints;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionResult;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.fusion.Presence;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Operating points per subset of modalities present (docs/DESIGN.md, "Operating points"). A binary decision
 * accepts an event when the fused probability of the positive class is at or above a threshold. When a modality goes
 * missing, that probability's distribution shifts, so one global threshold holds its false-reject (or
 * false-accept) rate only for the subset it was set on. Here each subset that occurs in validation data gets the
 * threshold that holds the target on its own events: events are grouped by the modalities they really have, as
 * the stream sees them.
 */
public final class OperatingPointCalibration {
    private OperatingPointCalibration() {}

    /**
     * One event fused with the modalities it has.
     *
     * @param p the fused probability of the positive class, as the prediction carries it
     */
    public record Scored(long mask, float p, boolean positive) {}

    /** A calibration, and what it had to say about the subsets it could not calibrate. */
    public record Result(OperatingPoints points, List<String> notes) {}

    /** Every event fused, as the stream would, with the modalities it has. */
    public static List<Scored> score(PipelineConfig config, List<LabelledScores.Event> events, FusionStrategy strategy,
                                     int positiveClass) {
        List<FusionInput> inputs = new ArrayList<>(events.size());
        for (LabelledScores.Event e : events) {
            inputs.add(Evaluation.input(e, Evaluation.calibrated(config, e), Evaluation.present(e), strategy.takesFeatures()));
        }
        List<FusionResult> results = strategy.fuseBatch(inputs);
        List<Scored> out = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            LabelledScores.Event e = events.get(i);
            out.add(new Scored(Evaluation.present(e), (float) results.get(i).probabilities()[positiveClass],
                    e.label() == positiveClass));
        }
        return out;
    }

    /**
     * The threshold of every subset with at least {@code minEvents} events of the class the target counts
     * (positives for a false-reject rate, negatives for a false-accept rate), and the global one over all events.
     *
     * <p>A false-accept target cannot be held where more than {@code floor(target * n)} of the n negatives score
     * 1.0 (or more): any threshold up to 1.0 accepts them. There the threshold is capped at 1.0, the
     * one that accepts fewest, and a note names the subset (or the global threshold), the target and the rate 1.0
     * gives instead. The subset keeps 1.0 as its own rather than falling back to the global threshold: the global
     * one is at most 1.0, so it would accept those negatives and perhaps more. Every threshold returned is
     * therefore in [0, 1], as {@link OperatingPoints#problems} asks, for probabilities in [0, 1].
     */
    public static Result calibrate(PipelineConfig config, List<Scored> validation, OperatingPoints.Metric metric,
                                   double target, String positiveClass, String name, int minEvents) {
        if (!(target > 0 && target < 1)) {
            throw new IllegalArgumentException("the target rate " + target + " is not in (0, 1)");
        }
        double global = threshold(validation, metric, target);
        if (Double.isNaN(global)) {
            throw new IllegalArgumentException("the validation data has no " + counted(metric) + ": no threshold can "
                    + "hold a " + metric.name().toLowerCase(java.util.Locale.ROOT) + " on it");
        }
        List<OperatingPoints.Subset> subsets = new ArrayList<>();
        List<OperatingPoints.Fallback> fallbacks = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (global > 1) {
            notes.add("Global threshold: " + unheld(validation, metric, target));
            global = 1;
        }
        Map<Long, List<Scored>> groups = byMask(validation);
        for (Map.Entry<Long, List<Scored>> g : groups.entrySet()) {
            List<String> present = names(config, g.getKey());
            int relevant = (int) g.getValue().stream().filter(s -> s.positive() == (metric == OperatingPoints.Metric.FRR)).count();
            if (relevant < minEvents) {
                String reason = relevant + " " + counted(metric) + " in validation, fewer than " + minEvents;
                fallbacks.add(new OperatingPoints.Fallback(present, g.getValue().size(), reason));
                notes.add("Subset " + present + ": " + reason + "; it uses the global threshold");
                continue;
            }
            double t = threshold(g.getValue(), metric, target);
            if (t > 1) {
                notes.add("Subset " + present + ": " + unheld(g.getValue(), metric, target));
                t = 1;
            }
            subsets.add(new OperatingPoints.Subset(present, t, g.getValue().size()));
        }
        if (config.numModalities() <= 12) { // past that, subsets are too many to list
            for (long mask = 1; mask < (1L << config.numModalities()); mask++) {
                if (!groups.containsKey(mask)) {
                    notes.add("Subset " + names(config, mask) + ": never occurred in validation; it uses the global "
                            + "threshold");
                }
            }
        }
        return new Result(new OperatingPoints(name, config.strategy(), positiveClass, metric, target, global,
                validation.size(), subsets, fallbacks), notes);
    }

    /**
     * The threshold that holds {@code target} on {@code events}: for a false-reject rate, the lowest probability
     * that rejects at most that share of the positives; for a false-accept rate, the lowest that accepts at most
     * that share of the negatives. NaN when there are none to count. Above 1 (the float after the score) when more
     * than that share of the negatives score 1.0: no probability holds the target then, and {@link #calibrate}
     * caps it.
     */
    static double threshold(List<Scored> events, OperatingPoints.Metric metric, double target) {
        boolean frr = metric == OperatingPoints.Metric.FRR;
        float[] p = new float[events.size()];
        int n = 0;
        for (Scored s : events) {
            if (s.positive() == frr) {
                p[n++] = s.p();
            }
        }
        if (n == 0) {
            return Double.NaN;
        }
        float[] sorted = Arrays.copyOf(p, n);
        Arrays.sort(sorted);
        int k = (int) Math.floor(target * n);
        // FRR: accepting p >= sorted[k] rejects at most the k below it. FAR: accepting p > the (k+1)-th highest
        // accepts at most k.
        return frr ? sorted[k] : Math.nextUp(sorted[n - 1 - k]);
    }

    /**
     * The false-reject and false-accept rates of one subset on test events, with the global threshold and with the
     * subset's own.
     *
     * @param own whether the subset had a threshold of its own
     */
    public record Row(List<String> present, int events, int positives, double frrGlobal, double farGlobal,
                      double frrOwn, double farOwn, boolean own) {}

    /** Each subset of the test events, in mask order. */
    public static List<Row> compare(PipelineConfig config, List<Scored> test, OperatingPoints points) {
        Map<Long, Double> own = EventFusion.thresholdsByMask(config, points);
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<Long, List<Scored>> g : byMask(test).entrySet()) {
            double t = own.getOrDefault(g.getKey(), points.globalThreshold());
            double[] global = rates(g.getValue(), points.globalThreshold());
            double[] subset = rates(g.getValue(), t);
            int positives = (int) g.getValue().stream().filter(Scored::positive).count();
            rows.add(new Row(names(config, g.getKey()), g.getValue().size(), positives, global[0], global[1], subset[0],
                    subset[1], own.containsKey(g.getKey())));
        }
        return rows;
    }

    /** {false-reject rate, false-accept rate} at {@code threshold}; NaN where there is nothing to count. */
    static double[] rates(List<Scored> events, double threshold) {
        int pos = 0;
        int neg = 0;
        int rejected = 0;
        int accepted = 0;
        for (Scored s : events) {
            boolean accept = s.p() >= (float) threshold;
            if (s.positive()) {
                pos++;
                rejected += accept ? 0 : 1;
            } else {
                neg++;
                accepted += accept ? 1 : 0;
            }
        }
        return new double[] {pos == 0 ? Double.NaN : (double) rejected / pos, neg == 0 ? Double.NaN : (double) accepted / neg};
    }

    private static Map<Long, List<Scored>> byMask(List<Scored> events) {
        Map<Long, List<Scored>> out = new TreeMap<>();
        for (Scored s : events) {
            out.computeIfAbsent(s.mask(), k -> new ArrayList<>()).add(s);
        }
        return out;
    }

    private static List<String> names(PipelineConfig config, long mask) {
        return new Presence(config).names(mask, true);
    }

    /** Why a false-accept target cannot be held on {@code events}, and what the threshold capped at 1.0 gives. */
    private static String unheld(List<Scored> events, OperatingPoints.Metric metric, double target) {
        boolean frr = metric == OperatingPoints.Metric.FRR;
        int counted = 0;
        int accepted = 0;
        for (Scored s : events) {
            if (s.positive() == frr) {
                counted++;
                accepted += s.p() >= 1f ? 1 : 0;
            }
        }
        return String.format(java.util.Locale.ROOT, "the %s target %s cannot be held: %d of the %d %s score 1.0, "
                        + "which any threshold up to 1.0 accepts; the threshold is capped at 1.0, where the %s is %.4f",
                metric.name(), target, accepted, counted, counted(metric), metric.name(), (double) accepted / counted);
    }

    private static String counted(OperatingPoints.Metric metric) {
        return metric == OperatingPoints.Metric.FRR ? "positives" : "negatives";
    }
}
