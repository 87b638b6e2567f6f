package io.latefuse.fusion;

/** Averages calibrated probabilities with the configured weights, renormalized over the modalities present. */
public final class WeightedMeanStrategy implements FusionStrategy {
    public static final String NAME = "weighted_mean";
    private final double[] weights;

    public WeightedMeanStrategy(double[] weights) {
        this.weights = weights.clone();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String modelVersion() {
        return NAME + "/1";
    }

    @Override
    public FusionResult fuse(FusionInput in) {
        double[] w = Weights.normalizedOverPresent(weights, in);
        int classes = firstPresent(in).length;
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

    static double[] firstPresent(FusionInput in) {
        for (double[] p : in.probabilities()) {
            if (p != null) {
                return p;
            }
        }
        throw new IllegalArgumentException("fusion needs at least one present modality");
    }
}
