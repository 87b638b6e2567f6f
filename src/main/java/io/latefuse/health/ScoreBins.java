package io.latefuse.health;

import io.latefuse.config.HealthProfile;

import java.util.Arrays;

/**
 * The reference distribution of one modality's scores, per class: bin edges at the reference's deciles and the share
 * of reference scores in each bin; and how a window of recent scores is binned against it and compared, by the
 * population stability index.
 */
final class ScoreBins {
    /** The smallest share a bin counts with, so that an empty bin gives a large, finite index. */
    static final double FLOOR = 1e-4;

    private ScoreBins() {}

    /** The bin of {@code p} among {@code edges}: the number of edges at or below it. */
    static int bin(double p, double[] edges) {
        int i = Arrays.binarySearch(edges, p);
        if (i >= 0) {
            while (i < edges.length && edges[i] == p) {
                i++;
            }
            return i;
        }
        return -i - 1;
    }

    /**
     * The population stability index of window counts against reference shares, summed over bins, for one class:
     * {@code sum (a - e) ln(a / e)}, each share at least {@link #FLOOR}.
     */
    static double psi(int[] counts, int total, double[] reference) {
        double sum = 0;
        for (int b = 0; b < counts.length; b++) {
            double a = Math.max(FLOOR, counts[b] / (double) total);
            double e = Math.max(FLOOR, reference[b]);
            sum += (a - e) * Math.log(a / e);
        }
        return sum;
    }

    /**
     * A reference from scores: per class, the inner edges at its deciles and the share of the scores in each bin
     * (about a tenth each, less where scores tie on an edge).
     *
     * @param scores one probability vector per score, all of {@code classes} values
     */
    static HealthProfile.Modality reference(java.util.List<double[]> scores, int classes, double agreement) {
        int n = scores.size();
        double[][] edges = new double[classes][HealthProfile.BINS - 1];
        double[][] fractions = new double[classes][HealthProfile.BINS];
        double[] column = new double[n];
        for (int k = 0; k < classes; k++) {
            for (int i = 0; i < n; i++) {
                column[i] = scores.get(i)[k];
            }
            Arrays.sort(column);
            for (int b = 1; b < HealthProfile.BINS; b++) {
                edges[k][b - 1] = column[Math.min(n - 1, (int) ((long) b * n / HealthProfile.BINS))];
            }
            for (int i = 0; i < n; i++) {
                fractions[k][bin(column[i], edges[k])] += 1.0 / n;
            }
        }
        return new HealthProfile.Modality(edges, fractions, agreement, n);
    }
}
