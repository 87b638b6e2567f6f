package io.latefuse.fusion;

/** Averages calibrated probabilities with the configured weights, renormalized over the modalities present. */
public final class WeightedMeanStrategy extends WeightedStrategy {
    public static final String NAME = "weighted_mean";

    public WeightedMeanStrategy(double[] weights) {
        super(NAME, weights);
    }

    @Override
    public FusionResult fuse(FusionInput in) {
        double[] w = Weights.normalizedOverPresent(weights, in);
        int classes = in.numClasses();
        double[] p = new double[classes];
        for (int i = 0; i < w.length; i++) {
            if (w[i] > 0) {
                double[] pi = in.probabilities()[i];
                for (int c = 0; c < classes; c++) {
                    p[c] += w[i] * pi[c];
                }
            }
        }
        return new FusionResult(p, w);
    }
}
