package io.latefuse.training;

import io.latefuse.fusion.CalibrationBins;

/**
 * A reliability diagram's bins: of the events whose predicted probability fell in each tenth, how many there were,
 * their mean predicted probability and how often the predicted thing happened. With two classes the probability is
 * the positive class's and "happened" is "was positive"; with more, the probability is the predicted class's and
 * "happened" is "was right". The expected calibration error weighs each bin's gap by its share of events.
 */
public record Reliability(int[] events, double[] meanPredicted, double[] observed, double ece) {

    public static Reliability of(float[] predicted, boolean[] happened) {
        int bins = CalibrationBins.BINS;
        int[] count = new int[bins];
        double[] sumP = new double[bins];
        int[] hits = new int[bins];
        for (int i = 0; i < predicted.length; i++) {
            int b = CalibrationBins.of(predicted[i]);
            count[b]++;
            sumP[b] += predicted[i];
            hits[b] += happened[i] ? 1 : 0;
        }
        double[] mean = new double[bins];
        double[] obs = new double[bins];
        double ece = 0;
        for (int b = 0; b < bins; b++) {
            mean[b] = count[b] == 0 ? Double.NaN : sumP[b] / count[b];
            obs[b] = count[b] == 0 ? Double.NaN : hits[b] / (double) count[b];
            if (count[b] > 0) {
                ece += count[b] / (double) predicted.length * Math.abs(obs[b] - mean[b]);
            }
        }
        return new Reliability(count, mean, obs, predicted.length == 0 ? Double.NaN : ece);
    }

    /** The reliability of one evaluated strategy on one subset. */
    public static Reliability of(Evaluation.Outcome o, int positiveClass) {
        float[] p = new float[o.size()];
        boolean[] happened = new boolean[o.size()];
        for (int i = 0; i < o.size(); i++) {
            if (o.classes() == 2) {
                p[i] = o.probability(i, positiveClass);
                happened[i] = o.labels()[i] == positiveClass;
            } else {
                int c = o.predicted(i);
                p[i] = o.probability(i, c);
                happened[i] = o.labels()[i] == c;
            }
        }
        return of(p, happened);
    }
}
