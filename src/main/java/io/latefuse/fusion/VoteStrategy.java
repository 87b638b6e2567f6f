package io.latefuse.fusion;

/**
 * A weighted majority vote: each present modality votes for its most probable class with its renormalized
 * weight, and the fused probabilities are the vote shares. A modality whose top classes tie splits its vote.
 */
public final class VoteStrategy extends WeightedStrategy {
    public static final String NAME = "vote";

    public VoteStrategy(double[] weights) {
        super(NAME, weights);
    }

    @Override
    public FusionResult fuse(FusionInput in) {
        double[] w = Weights.normalizedOverPresent(weights, in);
        int classes = in.numClasses();
        double[] votes = new double[classes];
        for (int i = 0; i < w.length; i++) {
            if (w[i] > 0) {
                double[] pi = in.probabilities()[i];
                double max = Double.NEGATIVE_INFINITY;
                int top = 0;
                for (double v : pi) {
                    if (v > max) {
                        max = v;
                        top = 1;
                    } else if (v == max) {
                        top++;
                    }
                }
                for (int c = 0; c < classes; c++) {
                    if (pi[c] == max) {
                        votes[c] += w[i] / top;
                    }
                }
            }
        }
        return new FusionResult(votes, w);
    }
}
