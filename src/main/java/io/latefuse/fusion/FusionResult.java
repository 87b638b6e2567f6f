package io.latefuse.fusion;

/**
 * A fused prediction.
 *
 * @param probabilities fused class probabilities, summing to 1
 * @param contributions per modality in config order, the share of the fusion it actually had (0 where missing)
 */
public record FusionResult(double[] probabilities, double[] contributions) {

    public int argmax() {
        int best = 0;
        for (int c = 1; c < probabilities.length; c++) {
            if (probabilities[c] > probabilities[best]) {
                best = c;
            }
        }
        return best;
    }
}
