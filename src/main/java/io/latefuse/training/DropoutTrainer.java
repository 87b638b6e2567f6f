package io.latefuse.training;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains a {@link FusionHead} with modality dropout: in every epoch each example's present modalities are masked
 * independently with probability {@code dropout}, never all of them, so that the head learns to fuse whatever
 * subset arrives. Full-batch Adam on cross-entropy with L2, single-threaded: the same seed gives the same head.
 */
public final class DropoutTrainer {

    /** One labelled example: per-modality probabilities in config order, null where the modality is missing. */
    public record Example(float[][] scores, int label) {}

    public record Settings(double dropout, long seed, int epochs, double learningRate, double l2) {
        public Settings {
            if (dropout < 0 || dropout >= 1) {
                throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
            }
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
            }
        }

        public static Settings of(double dropout, long seed) {
            return new Settings(dropout, seed, 400, 0.05, 1e-4);
        }
    }

    private DropoutTrainer() {}

    /**
     * The mask one example gets in one epoch: each present modality is kept with probability 1 - p; if none is
     * left, one present modality, chosen at random, is kept.
     */
    public static float[] dropoutMask(float[][] scores, double p, SplittableRandom rnd) {
        float[] mask = new float[scores.length];
        List<Integer> present = new ArrayList<>();
        int kept = 0;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] != null) {
                present.add(i);
                if (rnd.nextDouble() >= p) {
                    mask[i] = 1f;
                    kept++;
                }
            }
        }
        if (kept == 0) {
            mask[present.get(rnd.nextInt(present.size()))] = 1f;
        }
        return mask;
    }

    public static float[] presentMask(float[][] scores) {
        float[] mask = new float[scores.length];
        for (int i = 0; i < scores.length; i++) {
            mask[i] = scores[i] == null ? 0f : 1f;
        }
        return mask;
    }

    public static FusionHead train(List<Example> data, int modalities, int classes, Settings s) {
        if (data.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        for (Example e : data) {
            if (e.scores().length != modalities) {
                throw new IllegalArgumentException("an example has " + e.scores().length + " modalities, expected " + modalities);
            }
            if (e.label() < 0 || e.label() >= classes) {
                throw new IllegalArgumentException("label " + e.label() + " is outside 0.." + (classes - 1));
            }
            if (presentCount(e.scores()) == 0) {
                throw new IllegalArgumentException("an example has no modality present");
            }
        }
        int f = FusionHead.featureCount(modalities, classes);
        double[][] w = new double[f][classes];
        double[] b = new double[classes];
        double[][] mw = new double[f][classes];
        double[][] vw = new double[f][classes];
        double[] mb = new double[classes];
        double[] vb = new double[classes];
        final double beta1 = 0.9;
        final double beta2 = 0.999;
        final double eps = 1e-8;
        SplittableRandom rnd = new SplittableRandom(s.seed());
        int n = data.size();
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            double[][] gw = new double[f][classes];
            double[] gb = new double[classes];
            for (Example e : data) {
                float[] mask = s.dropout() > 0 ? dropoutMask(e.scores(), s.dropout(), rnd) : presentMask(e.scores());
                float[] x = FusionHead.features(e.scores(), mask, modalities, classes);
                double[] z = new double[classes];
                for (int k = 0; k < classes; k++) {
                    z[k] = b[k];
                    for (int j = 0; j < f; j++) {
                        if (x[j] != 0f) {
                            z[k] += x[j] * w[j][k];
                        }
                    }
                }
                double[] p = io.latefuse.fusion.Calibrator.softmax(z);
                for (int k = 0; k < classes; k++) {
                    double g = p[k] - (k == e.label() ? 1 : 0);
                    gb[k] += g;
                    for (int j = 0; j < f; j++) {
                        if (x[j] != 0f) {
                            gw[j][k] += g * x[j];
                        }
                    }
                }
            }
            double c1 = 1 - Math.pow(beta1, epoch);
            double c2 = 1 - Math.pow(beta2, epoch);
            for (int k = 0; k < classes; k++) {
                double g = gb[k] / n;
                mb[k] = beta1 * mb[k] + (1 - beta1) * g;
                vb[k] = beta2 * vb[k] + (1 - beta2) * g * g;
                b[k] -= s.learningRate() * (mb[k] / c1) / (Math.sqrt(vb[k] / c2) + eps);
                for (int j = 0; j < f; j++) {
                    double gj = gw[j][k] / n + s.l2() * w[j][k];
                    mw[j][k] = beta1 * mw[j][k] + (1 - beta1) * gj;
                    vw[j][k] = beta2 * vw[j][k] + (1 - beta2) * gj * gj;
                    w[j][k] -= s.learningRate() * (mw[j][k] / c1) / (Math.sqrt(vw[j][k] / c2) + eps);
                }
            }
        }
        float[][] wf = new float[f][classes];
        float[] bf = new float[classes];
        for (int k = 0; k < classes; k++) {
            bf[k] = (float) b[k];
            for (int j = 0; j < f; j++) {
                wf[j][k] = (float) w[j][k];
            }
        }
        return new FusionHead(modalities, classes, wf, bf);
    }

    private static int presentCount(float[][] scores) {
        int c = 0;
        for (float[] s : scores) {
            if (s != null) {
                c++;
            }
        }
        return c;
    }
}
