package io.latefuse.training;

import java.util.Arrays;

/**
 * A binary score's false-accept and false-reject rates at every threshold, for a DET or ROC curve. An event is
 * accepted when its probability of the positive class is at or above the threshold (as {@link BinaryMetrics} and
 * the stream's operating points decide). The points run from "accept all" (FAR 1, FRR 0) to "reject all" (FAR 0,
 * FRR 1), one per distinct score between them.
 */
public record ErrorTradeoff(double[] far, double[] frr, int positives, int negatives) {

    /** @param positive true where the event belongs to the positive class; both classes must be present */
    public static ErrorTradeoff of(float[] p, boolean[] positive) {
        int n = p.length;
        int pos = 0;
        for (boolean b : positive) {
            pos += b ? 1 : 0;
        }
        int neg = n - pos;
        if (pos == 0 || neg == 0) {
            throw new IllegalArgumentException("an error trade-off needs both classes; got " + pos + " positives and "
                    + neg + " negatives");
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(p[a], p[b]));
        double[] far = new double[n + 1];
        double[] frr = new double[n + 1];
        int points = 0;
        int posBelow = 0;
        int negBelow = 0;
        for (int i = 0; ; ) {
            // threshold at order[i]'s score: everything before i is rejected
            far[points] = (neg - negBelow) / (double) neg;
            frr[points] = posBelow / (double) pos;
            points++;
            if (i == n) {
                break;
            }
            int j = i;
            while (j < n && Float.compare(p[order[j]], p[order[i]]) == 0) {
                if (positive[order[j]]) {
                    posBelow++;
                } else {
                    negBelow++;
                }
                j++;
            }
            i = j;
        }
        return new ErrorTradeoff(Arrays.copyOf(far, points), Arrays.copyOf(frr, points), pos, neg);
    }

    /** Where the two rates meet, within a step: the least, over the thresholds, of the larger of them. */
    public double equalErrorRate() {
        double eer = 1;
        for (int i = 0; i < far.length; i++) {
            eer = Math.min(eer, Math.max(far[i], frr[i]));
        }
        return eer;
    }

    /**
     * {FAR, FRR} when each event is judged against its own threshold (as the stream does, a threshold per subset of
     * modalities present).
     */
    public static double[] at(float[] p, boolean[] positive, double[] thresholds) {
        int pos = 0;
        int neg = 0;
        int rejected = 0;
        int accepted = 0;
        for (int i = 0; i < p.length; i++) {
            boolean accept = p[i] >= (float) thresholds[i];
            if (positive[i]) {
                pos++;
                rejected += accept ? 0 : 1;
            } else {
                neg++;
                accepted += accept ? 1 : 0;
            }
        }
        return new double[] {neg == 0 ? Double.NaN : accepted / (double) neg, pos == 0 ? Double.NaN : rejected / (double) pos};
    }
}
