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

    @Param({"weighted_mean", "log_odds", "onnx"})
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
            inputs.add(new FusionInput(p));
        }
        double[] weights = {1, 1, 0.6, 0.8};
        switch (strategy) {
            case "weighted_mean" -> fusion = new WeightedMeanStrategy(weights);
            case "log_odds" -> fusion = new LogOddsStrategy(weights, null);
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
