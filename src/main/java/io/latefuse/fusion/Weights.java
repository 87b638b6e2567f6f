package io.latefuse.fusion;

/** Weight renormalization over the modalities present, shared by the closed-form strategies. */
final class Weights {
    private Weights() {}

    /**
     * The present modalities' weights, divided by their sum; 0 where missing. A modality with weight 0 counts as
     * absent. If every present modality has weight 0, they share equally, so that a prediction is still made.
     */
    static double[] normalizedOverPresent(double[] weights, FusionInput in) {
        double[] w = new double[weights.length];
        double sum = 0;
        int present = 0;
        for (int i = 0; i < weights.length; i++) {
            if (in.present(i)) {
                w[i] = weights[i];
                sum += weights[i];
                present++;
            }
        }
        for (int i = 0; i < w.length; i++) {
            if (in.present(i)) {
                w[i] = sum > 0 ? w[i] / sum : 1.0 / present;
            }
        }
        return w;
    }
}
