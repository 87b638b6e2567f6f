package io.latefuse.training;

import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.fusion.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MlpTrainerTest {

    @Test
    void backpropagationAgreesWithFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(11);
        int in = 7;
        MlpTrainer.Params p = MlpTrainer.Params.initial(in, 5, 3, rnd);
        for (int j = 0; j < 5; j++) {
            p.b1[j] = rnd.nextDouble() * 0.2; // away from zero, as training leaves them
        }
        float[][] x = new float[6][in];
        int[] y = new int[6];
        for (int i = 0; i < x.length; i++) {
            for (int a = 0; a < in; a++) {
                x[i][a] = a % 3 == 0 ? 0f : (float) (rnd.nextDouble() * 2 - 1); // zeros, as masked modalities are
            }
            y[i] = rnd.nextInt(3);
        }
        double l2 = 0.01;
        MlpTrainer.Params g = MlpTrainer.gradient(p, x, y, l2);
        double eps = 1e-6;
        int checked = 0;
        for (double[][] w : List.of(p.w1, p.w2)) {
            double[][] gw = w == p.w1 ? g.w1 : g.w2;
            for (int r = 0; r < w.length; r++) {
                for (int c = 0; c < w[r].length; c++) {
                    checked += check(p, x, y, l2, w[r], c, gw[r][c], eps);
                }
            }
        }
        for (int j = 0; j < p.b1.length; j++) {
            checked += check(p, x, y, l2, p.b1, j, g.b1[j], eps);
        }
        for (int k = 0; k < p.b2.length; k++) {
            checked += check(p, x, y, l2, p.b2, k, g.b2[k], eps);
        }
        assertThat(checked).isEqualTo(7 * 5 + 5 * 3 + 5 + 3);
    }

    private static int check(MlpTrainer.Params p, float[][] x, int[] y, double l2, double[] v, int i, double analytic,
                             double eps) {
        double keep = v[i];
        v[i] = keep + eps;
        double up = MlpTrainer.loss(p, x, y, l2);
        v[i] = keep - eps;
        double down = MlpTrainer.loss(p, x, y, l2);
        v[i] = keep;
        double numeric = (up - down) / (2 * eps);
        assertThat(analytic).as("d loss / d parameter").isCloseTo(numeric, within(1e-6 + 1e-4 * Math.abs(numeric)));
        return 1;
    }

    /** Two modalities whose class is the sign of their product: no weighting of either alone can tell. */
    private static float[][] interaction(int n, long seed, int[] labels) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] x = new float[n][];
        for (int i = 0; i < n; i++) {
            float a = rnd.nextBoolean() ? 1f : -1f;
            float b = rnd.nextBoolean() ? 1f : -1f;
            x[i] = new float[] {a + (float) (rnd.nextDouble() - 0.5) * 0.4f, b + (float) (rnd.nextDouble() - 0.5) * 0.4f, 1f, 1f};
            labels[i] = a * b > 0 ? 0 : 1;
        }
        return x;
    }

    @Test
    void theHiddenLayerLearnsAnInteractionThatALinearHeadCannot() {
        int[] y = new int[400];
        float[][] x = interaction(400, 3, y);
        MlpHead mlp = MlpTrainer.fit(4, 2, y, (epoch, i) -> x[i], new MlpTrainer.Settings(8, 200, 32, 0.01, 1e-4, 1));
        SoftmaxRegression.Weights linear = SoftmaxRegression.fit(4, 2, y, (epoch, i) -> x[i],
                new SoftmaxRegression.Settings(200, 0.05, 1e-4));
        int[] yTest = new int[400];
        float[][] test = interaction(400, 4, yTest);
        assertThat(accuracy(test, yTest, mlp::predict)).isGreaterThan(0.95);
        assertThat(accuracy(test, yTest, linear::predict)).isLessThan(0.65);
    }

    private static double accuracy(float[][] x, int[] y, java.util.function.Function<float[], double[]> predict) {
        int right = 0;
        for (int i = 0; i < x.length; i++) {
            double[] p = predict.apply(x[i]);
            right += (p[1] > p[0] ? 1 : 0) == y[i] ? 1 : 0;
        }
        return right / (double) x.length;
    }

    @Test
    void theSameSeedGivesTheSameHead() {
        int[] y = new int[100];
        float[][] x = interaction(100, 5, y);
        MlpTrainer.Settings s = new MlpTrainer.Settings(6, 20, 16, 0.01, 1e-4, 9);
        MlpHead a = MlpTrainer.fit(4, 2, y, (epoch, i) -> x[i], s);
        MlpHead b = MlpTrainer.fit(4, 2, y, (epoch, i) -> x[i], s);
        MlpHead c = MlpTrainer.fit(4, 2, y, (epoch, i) -> x[i], new MlpTrainer.Settings(6, 20, 16, 0.01, 1e-4, 10));
        assertThat(a.w1()).isDeepEqualTo(b.w1());
        assertThat(a.b2()).containsExactly(b.b2());
        assertThat(a.w1()).isNotEqualTo(c.w1());
    }

    @Test
    void theExportedHeadComputesWhatTheTrainerDoesWithin1e5(@TempDir Path dir) throws Exception {
        int[] y = new int[200];
        float[][] x = interaction(200, 6, y);
        MlpHead head = MlpTrainer.fit(4, 2, y, (epoch, i) -> x[i], new MlpTrainer.Settings(8, 50, 32, 0.01, 1e-4, 2));
        Path file = dir.resolve("mlp.onnx");
        // Under the head contract: embeddings [B, N*E] (N = 2, E = 1) and mask [B, N], concatenated in that order.
        OnnxGraphs.write(head.toOnnx(List.of("embeddings", "mask"), List.of(2, 2), "probabilities"), file);
        try (OnnxModel model = OnnxModel.load(file)) {
            float[] emb = new float[x.length * 2];
            float[] mask = new float[x.length * 2];
            for (int i = 0; i < x.length; i++) {
                emb[i * 2] = x[i][0];
                emb[i * 2 + 1] = x[i][1];
                mask[i * 2] = x[i][2];
                mask[i * 2 + 1] = x[i][3];
            }
            float[][] onnx = model.run(Map.of("embeddings", emb, "mask", mask), Map.of("embeddings", 2, "mask", 2),
                    x.length, "probabilities");
            for (int i = 0; i < x.length; i++) {
                double[] java = head.predict(x[i]);
                assertThat((double) onnx[i][0]).isCloseTo(java[0], within(1e-5));
                assertThat((double) onnx[i][1]).isCloseTo(java[1], within(1e-5));
            }
        }
    }
}
