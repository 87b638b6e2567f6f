package io.latefuse.training;

import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionResult;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.fusion.OnnxHeadStrategy;
import io.latefuse.fusion.OnnxModel;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DropoutTrainerTest {
    static final int N = 3;
    static final int C = 3;

    /** Three noisy views of the same label, some missing. */
    static List<DropoutTrainer.Example> data(long seed, int rows) {
        Random r = new Random(seed);
        List<DropoutTrainer.Example> out = new ArrayList<>();
        for (int e = 0; e < rows; e++) {
            int label = r.nextInt(C);
            float[][] scores = new float[N][];
            for (int i = 0; i < N; i++) {
                if (i == 0 || r.nextDouble() < 0.8) {
                    double[] z = new double[C];
                    for (int k = 0; k < C; k++) {
                        z[k] = (k == label ? 1.5 : 0) + r.nextGaussian() * (0.8 + i * 0.4);
                    }
                    double[] p = io.latefuse.fusion.Calibrator.softmax(z);
                    scores[i] = new float[C];
                    for (int k = 0; k < C; k++) {
                        scores[i][k] = (float) p[k];
                    }
                }
            }
            out.add(new DropoutTrainer.Example(scores, label));
        }
        return out;
    }

    @Property(tries = 500)
    void maskingNeverDropsEveryModality(@ForAll long seed, @ForAll @DoubleRange(min = 0, max = 0.99) double p,
                                        @ForAll @IntRange(min = 1, max = 6) int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] scores = new float[n][];
        for (int i = 0; i < n; i++) {
            if (i == 0 || rnd.nextBoolean()) {
                scores[i] = new float[] {0.5f, 0.5f};
            }
        }
        for (int epoch = 0; epoch < 20; epoch++) {
            float[] mask = DropoutTrainer.dropoutMask(scores, p, rnd);
            int kept = 0;
            for (int i = 0; i < n; i++) {
                if (mask[i] == 1f) {
                    kept++;
                    assertThat(scores[i]).as("only present modalities are kept").isNotNull();
                }
            }
            assertThat(kept).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void theSameSeedGivesTheSameHead() {
        List<DropoutTrainer.Example> d = data(1, 300);
        DropoutTrainer.Settings s = new DropoutTrainer.Settings(0.3, 42, 60, 0.05, 1e-4);
        FusionHead a = DropoutTrainer.train(d, N, C, s);
        FusionHead b = DropoutTrainer.train(d, N, C, s);
        assertThat(a.weights()).isDeepEqualTo(b.weights());
        assertThat(a.bias()).containsExactly(b.bias());
        FusionHead other = DropoutTrainer.train(d, N, C, new DropoutTrainer.Settings(0.3, 43, 60, 0.05, 1e-4));
        assertThat(java.util.Arrays.deepEquals(other.weights(), a.weights())).as("another seed, another head").isFalse();
    }

    @Test
    void theHeadLearnsTheTask() {
        FusionHead head = DropoutTrainer.train(data(2, 600), N, C, DropoutTrainer.Settings.of(0.3, 7));
        List<DropoutTrainer.Example> test = data(3, 400);
        double[][] p = new double[test.size()][];
        int[] y = new int[test.size()];
        for (int e = 0; e < test.size(); e++) {
            p[e] = head.predict(test.get(e).scores(), DropoutTrainer.presentMask(test.get(e).scores()));
            y[e] = test.get(e).label();
        }
        assertThat(BinaryMetrics.accuracy(p, y)).as("chance is 1/3").isGreaterThan(0.6);
    }

    @Test
    void theExportedHeadInTheOnnxStrategyReproducesTheTrainer(@TempDir Path dir) throws Exception {
        FusionHead head = DropoutTrainer.train(data(4, 300), N, C, new DropoutTrainer.Settings(0.5, 9, 80, 0.05, 1e-4));
        Path file = dir.resolve("head.onnx");
        OnnxGraphs.write(head.toOnnx(), file);
        try (OnnxHeadStrategy s = new OnnxHeadStrategy(OnnxModel.load(file),
                new PipelineConfig.OnnxHead(file, "scores", "mask", null, null, false), N, C)) {
            List<DropoutTrainer.Example> test = data(5, 200);
            List<FusionInput> inputs = new ArrayList<>();
            for (DropoutTrainer.Example e : test) {
                double[][] p = new double[N][];
                for (int i = 0; i < N; i++) {
                    if (e.scores()[i] != null) {
                        p[i] = new double[C];
                        for (int k = 0; k < C; k++) {
                            p[i][k] = e.scores()[i][k];
                        }
                    }
                }
                inputs.add(new FusionInput(p));
            }
            List<FusionResult> onnx = s.fuseBatch(inputs);
            for (int e = 0; e < test.size(); e++) {
                double[] trainer = head.predict(test.get(e).scores(), DropoutTrainer.presentMask(test.get(e).scores()));
                assertThat(onnx.get(e).probabilities()).containsExactly(trainer, within(1e-5));
            }
        }
    }
}
