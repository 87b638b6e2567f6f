package io.latefuse.training;

import io.latefuse.fusion.Calibrator;

/**
 * Multinomial logistic regression, fitted by full-batch Adam on cross-entropy with L2. Single-threaded and
 * order-fixed, so a fit is a deterministic function of its inputs. Features may change per epoch (modality
 * dropout draws new masks every epoch).
 */
public final class SoftmaxRegression {

    /** The features of example {@code i} in epoch {@code epoch} (1-based). Called in a fixed order. */
    @FunctionalInterface
    public interface Features {
        float[] of(int epoch, int i);
    }

    /** Optimizer settings. */
    public record Settings(int epochs, double learningRate, double l2) {
        public Settings {
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
            }
        }
    }

    /** Fitted weights [features][classes] and bias [classes], as float32 like the ONNX graphs that carry them. */
    public record Weights(float[][] w, float[] b) {
        public double[] predict(float[] x) {
            double[] z = new double[b.length];
            for (int k = 0; k < b.length; k++) {
                float acc = b[k];
                for (int f = 0; f < x.length; f++) {
                    acc += x[f] * w[f][k];
                }
                z[k] = acc;
            }
            return Calibrator.softmax(z);
        }
    }

    private SoftmaxRegression() {}

    public static Weights fit(int features, int classes, int[] labels, Features x, Settings s) {
        int n = labels.length;
        double[][] w = new double[features][classes];
        double[] b = new double[classes];
        double[][] mw = new double[features][classes];
        double[][] vw = new double[features][classes];
        double[] mb = new double[classes];
        double[] vb = new double[classes];
        final double beta1 = 0.9;
        final double beta2 = 0.999;
        final double eps = 1e-8;
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            double[][] gw = new double[features][classes];
            double[] gb = new double[classes];
            for (int i = 0; i < n; i++) {
                float[] xi = x.of(epoch, i);
                double[] z = new double[classes];
                for (int k = 0; k < classes; k++) {
                    z[k] = b[k];
                }
                for (int j = 0; j < features; j++) {
                    if (xi[j] != 0f) {
                        for (int k = 0; k < classes; k++) {
                            z[k] += xi[j] * w[j][k];
                        }
                    }
                }
                double[] p = Calibrator.softmax(z);
                p[labels[i]] -= 1;
                for (int k = 0; k < classes; k++) {
                    gb[k] += p[k];
                }
                for (int j = 0; j < features; j++) {
                    if (xi[j] != 0f) {
                        for (int k = 0; k < classes; k++) {
                            gw[j][k] += p[k] * xi[j];
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
            }
            for (int j = 0; j < features; j++) {
                for (int k = 0; k < classes; k++) {
                    double g = gw[j][k] / n + s.l2() * w[j][k];
                    mw[j][k] = beta1 * mw[j][k] + (1 - beta1) * g;
                    vw[j][k] = beta2 * vw[j][k] + (1 - beta2) * g * g;
                    w[j][k] -= s.learningRate() * (mw[j][k] / c1) / (Math.sqrt(vw[j][k] / c2) + eps);
                }
            }
        }
        float[][] wf = new float[features][classes];
        float[] bf = new float[classes];
        for (int k = 0; k < classes; k++) {
            bf[k] = (float) b[k];
            for (int j = 0; j < features; j++) {
                wf[j][k] = (float) w[j][k];
            }
        }
        return new Weights(wf, bf);
    }
}
