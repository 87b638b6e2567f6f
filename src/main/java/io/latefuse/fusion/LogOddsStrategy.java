package io.latefuse.fusion;

/**
 * Log-odds pooling: a weighted product of experts with a prior correction. For conditionally independent
 * modalities the posterior is {@code log p(c|x) = log pi_c + sum_i w_i (log p_i(c|x_i) - log pi_c) + const}.
 * The weights are renormalized over the present modalities so that their mean is 1: with equal weights this
 * is exactly Bayes' rule for independent evidence, and a missing modality simply adds no evidence.
 */
public final class LogOddsStrategy extends WeightedStrategy {
    public static final String NAME = "log_odds";
    private final double[] logPriors;

    /** @param priors class priors, or null for uniform (then the prior correction cancels) */
    public LogOddsStrategy(double[] weights, double[] priors) {
        super(NAME, weights);
        this.logPriors = priors == null ? null : java.util.Arrays.stream(priors).map(Math::log).toArray();
    }

    @Override
    public FusionResult fuse(FusionInput in) {
        double[] share = Weights.normalizedOverPresent(weights, in);
        int contributing = 0;
        for (double s : share) {
            if (s > 0) {
                contributing++;
            }
        }
        int classes = in.numClasses();
        double[] z = new double[classes];
        for (int c = 0; c < classes; c++) {
            z[c] = logPriors == null ? 0 : logPriors[c];
        }
        for (int i = 0; i < share.length; i++) {
            if (share[i] > 0) {
                double w = share[i] * contributing;
                double[] pi = in.probabilities()[i];
                for (int c = 0; c < classes; c++) {
                    double lp = Math.log(Math.max(pi[c], Calibrator.MIN_PROBABILITY));
                    z[c] += w * (lp - (logPriors == null ? 0 : logPriors[c]));
                }
            }
        }
        return new FusionResult(Calibrator.softmax(z), share);
    }
}
