package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionResult;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.fusion.OnnxGraphs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/** The onnx strategy inside the topology: configured by file, and run in batches at punctuations. */
class OnnxFusionTopologyTest {

    /** Passes everything through to the real strategy and records the batch sizes it was given. */
    static final class RecordingStrategy implements FusionStrategy {
        final FusionStrategy delegate;
        final List<Integer> batches = new ArrayList<>();

        RecordingStrategy(FusionStrategy delegate) {
            this.delegate = delegate;
        }

        public String name() {
            return delegate.name();
        }

        public String modelVersion() {
            return delegate.modelVersion();
        }

        public FusionResult fuse(FusionInput in) {
            batches.add(1);
            return delegate.fuse(in);
        }

        public List<FusionResult> fuseBatch(List<FusionInput> in) {
            batches.add(in.size());
            return delegate.fuseBatch(in);
        }
    }

    @Test
    void eventsDueInTheSamePunctuationRunAsOneBatch(@TempDir Path dir) throws Exception {
        int n = 4;
        int c = 2;
        float[][] w = new float[n * c + n][c];
        for (int i = 0; i < n; i++) {
            w[i * c][0] = 2f;      // each present modality's "directed" probability pushes towards directed
            w[i * c + 1][1] = 2f;
        }
        Path model = dir.resolve("head.onnx");
        OnnxGraphs.write(OnnxGraphs.linearHead("scores", "mask", "probabilities", n, c, w, new float[c], true), model);

        RecordingStrategy[] recorder = new RecordingStrategy[1];
        try (FusionDriver d = new FusionDriver("strategy: onnx\nonnx.model: " + model + "\n", Map.of(), s -> {
            recorder[0] = new RecordingStrategy(s);
            return recorder[0];
        })) {
            for (int e = 0; e < 10; e++) {
                d.send(score("e" + e, "acoustic", 0.9f));
            }
            d.advanceWall(310);
            List<FusedPrediction> out = d.drain();
            assertThat(out).hasSize(10).allSatisfy(p -> {
                assertThat(p.getStrategy()).isEqualTo("onnx");
                assertThat(p.getFusionModelVersion()).startsWith("sha256:");
                assertThat(p.getLabel()).isEqualTo("directed");
            });
            assertThat(recorder[0].batches).containsExactly(10);

            // An event that completes on arrival is fused on its own, at once.
            for (String m : List.of("acoustic", "lexical", "prosody")) {
                d.send(score("now", m, 0.1f));
            }
            assertThat(d.drain()).extracting(FusedPrediction::getLabel).containsExactly("undirected");
            assertThat(recorder[0].batches).containsExactly(10, 1);
        }
    }
}
