package io.latefuse.bench;

import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionResult;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.fusion.LogOddsStrategy;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.fusion.OnnxHeadStrategy;
import io.latefuse.fusion.OnnxModel;
import io.latefuse.fusion.WeightedMeanStrategy;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Nanoseconds per fused event, N=4 modalities and C=2 classes, a quarter of the modalities missing at random.
 * Every invocation fuses the same 64 events, either one call per event (batch 1) or one call for all (batch 64),
 * so the scores are comparable per event.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FusionStrategyBenchmark {
    static final int N = 4;
    static final int C = 2;
    static final int EVENTS = 64;
    static final int E = 16;
    static final int HIDDEN = 32;

    /** {@code onnx}: the linear late head; {@code onnx_mlp}: an intermediate MLP head over embeddings of E. */
    @Param({"weighted_mean", "log_odds", "onnx", "onnx_mlp"})
    public String strategy;

    @Param({"1", "64"})
    public int batch;

    private FusionStrategy fusion;
    private List<FusionInput> inputs;
    private Path dir;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        Random r = new Random(1);
        inputs = new ArrayList<>();
        for (int e = 0; e < EVENTS; e++) {
            double[][] p = new double[N][];
            for (int i = 0; i < N; i++) {
                if (i == 0 || r.nextDouble() < 0.75) {
                    double d = r.nextDouble();
                    p[i] = new double[] {d, 1 - d};
                }
            }
            float[][] emb = new float[N][];
            for (int i = 0; i < N; i++) {
                if (p[i] != null) {
                    emb[i] = new float[E];
                    for (int k = 0; k < E; k++) {
                        emb[i][k] = (float) r.nextGaussian();
                    }
                }
            }
            inputs.add(new FusionInput(p, new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN}, emb));
        }
        double[] weights = {1, 1, 0.6, 0.8};
        switch (strategy) {
            case "weighted_mean" -> fusion = new WeightedMeanStrategy(weights);
            case "log_odds" -> fusion = new LogOddsStrategy(weights, null);
            case "onnx_mlp" -> {
                dir = Files.createTempDirectory("latefuse-bench");
                float[][] w1 = new float[N * E + N][HIDDEN];
                float[][] w2 = new float[HIDDEN][C];
                for (float[] row : w1) {
                    for (int j = 0; j < HIDDEN; j++) {
                        row[j] = (float) (r.nextGaussian() * 0.1);
                    }
                }
                for (float[] row : w2) {
                    row[0] = (float) r.nextGaussian();
                    row[1] = (float) r.nextGaussian();
                }
                Path model = dir.resolve("mlp.onnx");
                OnnxGraphs.write(new io.latefuse.training.MlpHead(w1, new float[HIDDEN], w2, new float[C])
                        .toOnnx(List.of("embeddings", "mask"), List.of(N * E, N), "probabilities"), model);
                fusion = new OnnxHeadStrategy(OnnxModel.load(model),
                        new PipelineConfig.OnnxHead(model, "scores", "mask", "embeddings", null, false), N, C);
            }
            default -> {
                dir = Files.createTempDirectory("latefuse-bench");
                float[][] w = new float[N * C + N][C];
                for (float[] row : w) {
                    row[0] = (float) r.nextGaussian();
                    row[1] = (float) r.nextGaussian();
                }
                Path model = dir.resolve("head.onnx");
                OnnxGraphs.write(OnnxGraphs.linearHead("scores", "mask", "probabilities", N, C, w, new float[C], true), model);
                fusion = new OnnxHeadStrategy(OnnxModel.load(model),
                        new PipelineConfig.OnnxHead(model, "scores", "mask", null, null, false), N, C);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        fusion.close();
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void fuse(Blackhole bh) {
        if (batch == 1) {
            for (FusionInput in : inputs) {
                bh.consume(fusion.fuse(in));
            }
        } else {
            for (int from = 0; from < EVENTS; from += batch) {
                List<FusionResult> out = fusion.fuseBatch(inputs.subList(from, Math.min(EVENTS, from + batch)));
                bh.consume(out);
            }
        }
    }
}
