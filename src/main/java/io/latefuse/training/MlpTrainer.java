package io.latefuse.training;

import java.util.SplittableRandom;

/**
 * Fits an {@link MlpHead} by Adam on mini-batches, cross-entropy with L2 on the weights. Single-threaded and
 * order-fixed (the shuffle and the initial weights come from the seed), so a fit is a deterministic function of its
 * inputs. Inputs may change per epoch: modality dropout draws new masks every epoch.
 */
public final class MlpTrainer {

    /**
     * @param hidden    the hidden layer's width
     * @param batchSize examples per Adam step
     */
    public record Settings(int hidden, int epochs, int batchSize, double learningRate, double l2, long seed) {
        public Settings {
            if (hidden < 1 || epochs < 1 || batchSize < 1) {
                throw new IllegalArgumentException("hidden, epochs and batchSize must be at least 1, got " + hidden
                        + ", " + epochs + ", " + batchSize);
            }
            if (!(learningRate > 0) || l2 < 0) {
                throw new IllegalArgumentException("the learning rate must be > 0 and l2 >= 0");
            }
        }
    }

    /** The parameters in double precision while training. */
    static final class Params {
        final double[][] w1;
        final double[] b1;
        final double[][] w2;
        final double[] b2;

        Params(int in, int hidden, int classes) {
            w1 = new double[in][hidden];
            b1 = new double[hidden];
            w2 = new double[hidden][classes];
            b2 = new double[classes];
        }

        /** He initialisation for the ReLU layer, Glorot for the output layer; biases at 0. */
        static Params initial(int in, int hidden, int classes, SplittableRandom rnd) {
            Params p = new Params(in, hidden, classes);
            double s1 = Math.sqrt(2.0 / in);
            double s2 = Math.sqrt(2.0 / (hidden + classes));
            for (double[] row : p.w1) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = gaussian(rnd) * s1;
                }
            }
            for (double[] row : p.w2) {
                for (int k = 0; k < row.length; k++) {
                    row[k] = gaussian(rnd) * s2;
                }
            }
            return p;
        }

        MlpHead toHead() {
            return new MlpHead(floats(w1), floats(b1), floats(w2), floats(b2));
        }
    }

    private MlpTrainer() {}

    public static MlpHead fit(int inputs, int classes, int[] labels, SoftmaxRegression.Features x, Settings s) {
        int n = labels.length;
        if (n == 0) {
            throw new IllegalArgumentException("no training examples");
        }
        SplittableRandom rnd = new SplittableRandom(s.seed());
        Params p = Params.initial(inputs, s.hidden(), classes, rnd);
        Params m = new Params(inputs, s.hidden(), classes);
        Params v = new Params(inputs, s.hidden(), classes);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        long step = 0;
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            // Inputs in example order (masks are drawn in a fixed order), then a seeded shuffle into batches.
            float[][] xs = new float[n][];
            for (int i = 0; i < n; i++) {
                xs[i] = x.of(epoch, i);
            }
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int from = 0; from < n; from += s.batchSize()) {
                int to = Math.min(n, from + s.batchSize());
                float[][] bx = new float[to - from][];
                int[] by = new int[to - from];
                for (int i = from; i < to; i++) {
                    bx[i - from] = xs[order[i]];
                    by[i - from] = labels[order[i]];
                }
                Params g = gradient(p, bx, by, s.l2());
                adam(p, g, m, v, ++step, s.learningRate());
            }
        }
        return p.toHead();
    }

    /** Mean cross-entropy of the batch, plus {@code l2/2 · |W|²} (weights only). */
    static double loss(Params p, float[][] x, int[] y, double l2) {
        double loss = 0;
        for (int i = 0; i < x.length; i++) {
            double[] prob = forward(p, x[i], null);
            loss -= Math.log(Math.max(prob[y[i]], 1e-300));
        }
        return loss / x.length + l2 / 2 * (squares(p.w1) + squares(p.w2));
    }

    /** The gradient of {@link #loss} by backpropagation. */
    static Params gradient(Params p, float[][] x, int[] y, double l2) {
        int hidden = p.b1.length;
        int classes = p.b2.length;
        Params g = new Params(p.w1.length, hidden, classes);
        double[] h = new double[hidden];
        for (int i = 0; i < x.length; i++) {
            double[] prob = forward(p, x[i], h);
            double[] dz = prob.clone();
            dz[y[i]] -= 1;
            double[] dh = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                for (int k = 0; k < classes; k++) {
                    g.w2[j][k] += h[j] * dz[k];
                    dh[j] += p.w2[j][k] * dz[k];
                }
                if (h[j] <= 0) {
                    dh[j] = 0; // ReLU
                }
            }
            for (int k = 0; k < classes; k++) {
                g.b2[k] += dz[k];
            }
            for (int a = 0; a < x[i].length; a++) {
                float xa = x[i][a];
                if (xa == 0f) {
                    continue; // masked modalities are zeros: most of an input vector, often
                }
                for (int j = 0; j < hidden; j++) {
                    g.w1[a][j] += xa * dh[j];
                }
            }
            for (int j = 0; j < hidden; j++) {
                g.b1[j] += dh[j];
            }
        }
        double inv = 1.0 / x.length;
        scale(g, inv);
        for (int a = 0; a < p.w1.length; a++) {
            for (int j = 0; j < hidden; j++) {
                g.w1[a][j] += l2 * p.w1[a][j];
            }
        }
        for (int j = 0; j < hidden; j++) {
            for (int k = 0; k < classes; k++) {
                g.w2[j][k] += l2 * p.w2[j][k];
            }
        }
        return g;
    }

    /** Class probabilities; the hidden activations go into {@code h} when it is given. */
    static double[] forward(Params p, float[] x, double[] h) {
        int hidden = p.b1.length;
        double[] act = h != null ? h : new double[hidden];
        for (int j = 0; j < hidden; j++) {
            double acc = p.b1[j];
            for (int a = 0; a < x.length; a++) {
                acc += x[a] * p.w1[a][j];
            }
            act[j] = Math.max(0, acc);
        }
        double[] z = new double[p.b2.length];
        for (int k = 0; k < z.length; k++) {
            double acc = p.b2[k];
            for (int j = 0; j < hidden; j++) {
                acc += act[j] * p.w2[j][k];
            }
            z[k] = acc;
        }
        return io.latefuse.fusion.Calibrator.softmax(z);
    }

    private static void adam(Params p, Params g, Params m, Params v, long t, double lr) {
        final double beta1 = 0.9;
        final double beta2 = 0.999;
        final double eps = 1e-8;
        double c1 = 1 - Math.pow(beta1, t);
        double c2 = 1 - Math.pow(beta2, t);
        double[][][] pm = {p.w1, p.w2};
        double[][][] gm = {g.w1, g.w2};
        double[][][] mm = {m.w1, m.w2};
        double[][][] vm = {v.w1, v.w2};
        for (int q = 0; q < 2; q++) {
            for (int r = 0; r < pm[q].length; r++) {
                step(pm[q][r], gm[q][r], mm[q][r], vm[q][r], beta1, beta2, eps, c1, c2, lr);
            }
        }
        step(p.b1, g.b1, m.b1, v.b1, beta1, beta2, eps, c1, c2, lr);
        step(p.b2, g.b2, m.b2, v.b2, beta1, beta2, eps, c1, c2, lr);
    }

    private static void step(double[] p, double[] g, double[] m, double[] v, double beta1, double beta2, double eps,
                             double c1, double c2, double lr) {
        for (int i = 0; i < p.length; i++) {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            p[i] -= lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
        }
    }

    private static void scale(Params g, double f) {
        for (double[] row : g.w1) {
            for (int j = 0; j < row.length; j++) {
                row[j] *= f;
            }
        }
        for (double[] row : g.w2) {
            for (int k = 0; k < row.length; k++) {
                row[k] *= f;
            }
        }
        for (int j = 0; j < g.b1.length; j++) {
            g.b1[j] *= f;
        }
        for (int k = 0; k < g.b2.length; k++) {
            g.b2[k] *= f;
        }
    }

    private static double squares(double[][] w) {
        double s = 0;
        for (double[] row : w) {
            for (double x : row) {
                s += x * x;
            }
        }
        return s;
    }

    /** A standard normal draw (Box-Muller), from the seeded generator. */
    private static double gaussian(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    private static float[][] floats(double[][] m) {
        float[][] out = new float[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = floats(m[i]);
        }
        return out;
    }

    private static float[] floats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }
}
