package io.latefuse.fusion;

/**
 * Takes the distribution of the modality the model is most sure of: its own {@code confidence} when it gave one,
 * otherwise its highest calibrated probability. Modalities with weight 0 are ignored. Exact ties share equally,
 * so that the result does not depend on modality order.
 */
public final class MaxConfidenceStrategy extends WeightedStrategy {
    public static final String NAME = "max_confidence";

    public MaxConfidenceStrategy(double[] weights) {
        super(NAME, weights);
    }

    @Override
    public FusionResult fuse(FusionInput in) {
        double[] eligible = Weights.normalizedOverPresent(weights, in);
        double best = Double.NEGATIVE_INFINITY;
        int ties = 0;
        double[] certainty = new double[eligible.length];
        for (int i = 0; i < eligible.length; i++) {
            if (eligible[i] > 0) {
                certainty[i] = certainty(in, i);
                if (certainty[i] > best) {
                    best = certainty[i];
                    ties = 1;
                } else if (certainty[i] == best) {
                    ties++;
                }
            }
        }
        int classes = in.numClasses();
        double[] p = new double[classes];
        double[] share = new double[eligible.length];
        for (int i = 0; i < eligible.length; i++) {
            if (eligible[i] > 0 && certainty[i] == best) {
                share[i] = 1.0 / ties;
                for (int c = 0; c < classes; c++) {
                    p[c] += share[i] * in.probabilities()[i][c];
                }
            }
        }
        return new FusionResult(p, share);
    }

    private static double certainty(FusionInput in, int modality) {
        double confidence = in.confidences()[modality];
        if (!Double.isNaN(confidence)) {
            return confidence;
        }
        double max = 0;
        for (double v : in.probabilities()[modality]) {
            max = Math.max(max, v);
        }
        return max;
    }
}
