package io.latefuse.fusion;

import io.latefuse.config.PipelineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The onnx strategy in ONNX Runtime against heads built here with the ONNX protobuf classes. */
class OnnxHeadStrategyTest {
    static final int N = 4;
    static final int C = 3;

    record Head(float[][] w, float[] b) {
        static Head random(long seed) {
            Random r = new Random(seed);
            float[][] w = new float[N * C + N][C];
            for (float[] row : w) {
                for (int k = 0; k < C; k++) {
                    row[k] = (float) r.nextGaussian();
                }
            }
            float[] b = new float[C];
            for (int k = 0; k < C; k++) {
                b[k] = (float) r.nextGaussian();
            }
            return new Head(w, b);
        }

        /** The head's arithmetic in plain Java: [scores, mask] W + b, then softmax. */
        double[] expected(FusionInput in, boolean softmax) {
            double[] x = new double[N * C + N];
            for (int i = 0; i < N; i++) {
                if (in.present(i)) {
                    for (int k = 0; k < C; k++) {
                        x[i * C + k] = (float) in.probabilities()[i][k];
                    }
                    x[N * C + i] = 1;
                }
            }
            double[] z = new double[C];
            for (int k = 0; k < C; k++) {
                z[k] = b[k];
                for (int j = 0; j < x.length; j++) {
                    z[k] += x[j] * w[j][k];
                }
            }
            return softmax ? Calibrator.softmax(z) : z;
        }
    }

    static Path write(Path dir, String name, Head h, String scores, String mask, String out, boolean softmax) throws Exception {
        Path file = dir.resolve(name);
        OnnxGraphs.write(OnnxGraphs.linearHead(scores, mask, out, N, C, h.w(), h.b(), softmax), file);
        return file;
    }

    static List<FusionInput> randomInputs(long seed, int count) {
        Random r = new Random(seed);
        List<FusionInput> inputs = new ArrayList<>();
        for (int e = 0; e < count; e++) {
            double[][] p = new double[N][];
            for (int i = 0; i < N; i++) {
                if (i == 0 || r.nextBoolean()) {
                    p[i] = StrategyPropertiesTest.randomDistribution(r, C);
                }
            }
            inputs.add(new FusionInput(p));
        }
        return inputs;
    }

    private static OnnxHeadStrategy strategy(Path model, String scores, String mask, String output, boolean logits) {
        return new OnnxHeadStrategy(OnnxModel.load(model),
                new PipelineConfig.OnnxHead(model, scores, mask, null, output, logits), N, C);
    }

    @Test
    void aProbabilityHeadWhoseOutputSumsToZeroIsRefusedNotNaN(@TempDir Path dir) throws Exception {
        Head zeros = new Head(new float[N * C + N][C], new float[C]);
        try (OnnxHeadStrategy s = strategy(write(dir, "zeros.onnx", zeros, "scores", "mask", "probs", false), "scores", "mask",
                null, false)) {
            assertThatThrownBy(() -> s.fuse(randomInputs(3, 1).get(0)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("sums to 0");
        }
    }

    @Test
    void onnxRuntimeMatchesTheSameArithmeticInJava(@TempDir Path dir) throws Exception {
        Head h = Head.random(1);
        try (OnnxHeadStrategy s = strategy(write(dir, "head.onnx", h, "scores", "mask", "probs", true), "scores", "mask", null, false)) {
            List<FusionInput> inputs = randomInputs(2, 64);
            List<FusionResult> batch = s.fuseBatch(inputs);
            for (int e = 0; e < inputs.size(); e++) {
                assertThat(batch.get(e).probabilities()).containsExactly(h.expected(inputs.get(e), true), within(1e-5));
                // One at a time gives the same answer as in a batch.
                assertThat(s.fuse(inputs.get(e)).probabilities()).containsExactly(batch.get(e).probabilities(), within(1e-6));
            }
        }
    }

    @Test
    void logitHeadsAreSoftmaxedAndInputNamesCanBeRemapped(@TempDir Path dir) throws Exception {
        Head h = Head.random(3);
        Path model = write(dir, "torch-export.onnx", h, "input_scores", "input_mask", "logits", false);
        try (OnnxHeadStrategy s = strategy(model, "input_scores", "input_mask", "logits", true)) {
            for (FusionInput in : randomInputs(4, 20)) {
                assertThat(s.fuse(in).probabilities()).containsExactly(Calibrator.softmax(h.expected(in, false)), within(1e-5));
            }
        }
    }

    @Test
    void theVersionIsTheModelFilesHash(@TempDir Path dir) throws Exception {
        Path model = write(dir, "head.onnx", Head.random(5), "scores", "mask", "probs", true);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(model)));
        try (OnnxHeadStrategy s = strategy(model, "scores", "mask", null, false)) {
            assertThat(s.modelVersion()).isEqualTo("sha256:" + sha).hasSize("sha256:".length() + 64);
        }
    }

    @Test
    void aHeadThatDoesNotFitTheConfigIsRefusedWithItsActualShapes(@TempDir Path dir) throws Exception {
        Path model = write(dir, "head.onnx", Head.random(6), "scores", "mask", "probs", true);
        // Configured for 5 modalities, but the head was trained for 4.
        assertThatThrownBy(() -> new OnnxHeadStrategy(OnnxModel.load(model),
                new PipelineConfig.OnnxHead(model, "scores", "mask", null, null, false), 5, C))
                .isInstanceOf(OnnxModel.ModelMismatchException.class)
                .hasMessageContaining("input 'scores'").hasMessageContaining("float[batch, 15]")
                .hasMessageContaining("scores: float[?, 12]").hasMessageContaining("mask: float[?, 4]")
                .hasMessageContaining("probs: float[?, 3]");
        assertThatThrownBy(() -> strategy(model, "x", "mask", null, false))
                .hasMessageContaining("no input named 'x'");
    }
}
