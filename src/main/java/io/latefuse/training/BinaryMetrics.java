package io.latefuse.training;

import java.util.Arrays;

/**
 * Detection metrics for a binary task, the DDSD way: a score is the probability of the positive class
 * (device-directed), an example is accepted when its score is at or above a threshold. A false accept is a
 * negative accepted; a false reject is a positive rejected.
 *
 * @param auc      ROC-AUC: the probability that a random positive scores above a random negative (ties count half)
 * @param eer      equal error rate: where the false-accept and false-reject curves cross, linearly interpolated
 * @param faAtFr   false-accept rate at the highest threshold whose false-reject rate is at most {@code targetFr}
 * @param targetFr the false-reject rate of that operating point
 */
public record BinaryMetrics(double auc, double eer, double faAtFr, double targetFr) {

    /** @param positive true where the example belongs to the positive class */
    public static BinaryMetrics of(double[] scores, boolean[] positive, double targetFr) {
        int n = scores.length;
        int pos = 0;
        for (boolean p : positive) {
            if (p) {
                pos++;
            }
        }
        int neg = n - pos;
        if (pos == 0 || neg == 0) {
            throw new IllegalArgumentException("binary metrics need both classes; got " + pos + " positives and "
                    + neg + " negatives");
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));

        // AUC by ranks (Mann-Whitney U), with tied scores sharing their average rank.
        double rankSumPos = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
                j++;
            }
            double avgRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                if (positive[order[k]]) {
                    rankSumPos += avgRank;
                }
            }
            i = j + 1;
        }
        double auc = (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);

        // Sweep thresholds from the lowest score upwards. At threshold t = scores[order[i]] (accept >= t):
        // rejected are all examples below t.
        double eer = Double.NaN;
        double prevFar = 1;
        double prevFrr = 0;
        double faAtFr = 1;
        int posBelow = 0;
        int negBelow = 0;
        for (int i = 0; i <= n; ) {
            double far = (neg - negBelow) / (double) neg;
            double frr = posBelow / (double) pos;
            if (frr <= targetFr) {
                faAtFr = far; // thresholds only rise, so the last one that keeps FRR <= target is the highest
            }
            if (Double.isNaN(eer) && far <= frr) {
                // The curves crossed between the previous threshold and this one.
                double d0 = prevFar - prevFrr;
                double d1 = far - frr;
                double t = d0 == d1 ? 0 : d0 / (d0 - d1);
                eer = (prevFar + t * (far - prevFar) + prevFrr + t * (frr - prevFrr)) / 2;
            }
            prevFar = far;
            prevFrr = frr;
            if (i == n) {
                break;
            }
            int j = i;
            while (j < n && scores[order[j]] == scores[order[i]]) {
                if (positive[order[j]]) {
                    posBelow++;
                } else {
                    negBelow++;
                }
                j++;
            }
            i = j;
        }
        return new BinaryMetrics(auc, eer, faAtFr, targetFr);
    }

    /** The share of examples whose argmax equals the label. */
    public static double accuracy(double[][] probabilities, int[] labels) {
        int right = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < probabilities[i].length; c++) {
                if (probabilities[i][c] > probabilities[i][best]) {
                    best = c;
                }
            }
            if (best == labels[i]) {
                right++;
            }
        }
        return right / (double) labels.length;
    }
}
