package io.latefuse.health;

import io.latefuse.fusion.FusionInput;

/**
 * Whether one modality's class agrees with the other modalities of the same event: its argmax against the argmax of
 * the mean of the others' calibrated probabilities. A modality whose model broke into confident mistakes (its classes
 * swapped, say) keeps a healthy-looking score distribution, but stops agreeing with the rest.
 */
public final class Agreement {
    private Agreement() {}

    /**
     * 1 if modality {@code m} agrees, 0 if not, -1 if it has no scores or fewer than two other modalities (outside
     * {@code excluded}) have: against one other, a disagreement cannot say which of the two broke (both would drop
     * alike, and the healthy one could be quarantined).
     */
    public static int of(FusionInput in, int m, long excluded) {
        double[][] probs = in.probabilities();
        double[] own = probs[m];
        if (own == null || own.length == 0) {
            return -1;
        }
        double[] mean = new double[own.length];
        int others = 0;
        for (int j = 0; j < probs.length; j++) {
            if (j == m || probs[j] == null || probs[j].length != own.length || (excluded & (1L << j)) != 0) {
                continue;
            }
            for (int k = 0; k < own.length; k++) {
                mean[k] += probs[j][k];
            }
            others++;
        }
        if (others < 2) {
            return -1;
        }
        return argmax(own) == argmax(mean) ? 1 : 0;
    }

    static int argmax(double[] p) {
        int best = 0;
        for (int k = 1; k < p.length; k++) {
            if (p[k] > p[best]) {
                best = k;
            }
        }
        return best;
    }
}
