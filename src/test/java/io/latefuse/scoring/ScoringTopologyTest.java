package io.latefuse.scoring;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.Calibrator;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.InMemorySchemaRegistry;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ScoringTopologyTest {
    static final int F = 5;
    static final int C = 2;

    static float[][] weights(long seed) {
        Random r = new Random(seed);
        float[][] w = new float[F][C];
        for (float[] row : w) {
            for (int c = 0; c < C; c++) {
                row[c] = (float) r.nextGaussian();
            }
        }
        return w;
    }

    static ModalityFeatures features(String id, String modality, float... v) {
        List<Float> values = new ArrayList<>();
        for (float x : v) {
            values.add(x);
        }
        return ModalityFeatures.newBuilder().setEventId(id).setModality(modality).setValues(values)
                .setEventTime(Instant.parse("2026-01-01T00:00:00Z")).build();
    }

    @Test
    void scoresFeaturesInMicroBatchesAndDeadLettersWrongLengths(@TempDir Path dir) throws Exception {
        float[][] w = weights(11);
        float[] b = {0.3f, -0.3f};
        Path model = dir.resolve("acoustic-v1.onnx");
        OnnxGraphs.write(OnnxGraphs.softmaxRegression("features", "probabilities", w, b), model);
        String scope = "scoring-" + UUID.randomUUID();
        PipelineConfig config = PipelineConfigLoader.parse("""
                application.id: s
                bootstrap.servers: dummy:1
                schema.registry.url: mock://%s
                classes: [directed, undirected]
                modalities: [{name: acoustic}, {name: lexical}]
                """.formatted(scope), "test", Map.of());
        RegistryConfig rc = RegistryConfig.of(InMemorySchemaRegistry.SCHEME + scope);
        SchemaRegistry registry = SchemaRegistry.connect(rc);
        Serde<ModalityFeatures> fs = AvroSerdes.specific(ModalityFeatures.class, registry, rc);
        Serde<ModalityScore> ss = AvroSerdes.specific(ModalityScore.class, registry, rc);
        ModalityScorer scorer = ModalityScorer.load("acoustic", model, C, ScoreType.PROBABILITY);
        Properties props = StreamsProperties.of(config, "s-score-acoustic");
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory(dir, "state").toString());
        try (TopologyTestDriver d = new TopologyTestDriver(
                ScoringTopology.build(config, scorer, 4, Duration.ofMillis(5), fs, ss), props)) {
            TestInputTopic<String, ModalityFeatures> in = d.createInputTopic("features.acoustic", new StringSerializer(), fs.serializer());
            TestOutputTopic<String, ModalityScore> out = d.createOutputTopic("scores.acoustic", new StringDeserializer(), ss.deserializer());
            TestOutputTopic<byte[], byte[]> dead = d.createOutputTopic("dead-letters", new ByteArrayDeserializer(), new ByteArrayDeserializer());

            Random r = new Random(3);
            List<ModalityFeatures> sent = new ArrayList<>();
            for (int e = 0; e < 3; e++) {
                ModalityFeatures f = features("e" + e, "acoustic", r.nextFloat(), r.nextFloat(), r.nextFloat(), r.nextFloat(), r.nextFloat());
                sent.add(f);
                in.pipeInput(f.getEventId(), f);
            }
            assertThat(out.isEmpty()).as("3 < batch size 4: buffered").isTrue();
            d.advanceWallClockTime(Duration.ofMillis(6));
            List<ModalityScore> scored = out.readValuesToList();
            assertThat(scored).extracting(ModalityScore::getEventId).containsExactly("e0", "e1", "e2");

            for (int e = 3; e < 7; e++) {
                ModalityFeatures f = features("e" + e, "acoustic", r.nextFloat(), r.nextFloat(), r.nextFloat(), r.nextFloat(), r.nextFloat());
                sent.add(f);
                in.pipeInput(f.getEventId(), f);
            }
            scored.addAll(out.readValuesToList());
            assertThat(scored).as("a full batch is scored at once").hasSize(7);

            for (int e = 0; e < 7; e++) {
                double[] z = new double[C];
                for (int c = 0; c < C; c++) {
                    z[c] = b[c];
                    for (int f = 0; f < F; f++) {
                        z[c] += sent.get(e).getValues().get(f) * w[f][c];
                    }
                }
                double[] p = Calibrator.softmax(z);
                ModalityScore s = scored.get(e);
                assertThat(s.getScores().get(0)).isCloseTo((float) p[0], within(1e-5f));
                assertThat(s.getModel()).isEqualTo("acoustic-v1");
                assertThat(s.getModelVersion()).startsWith("sha256:");
                assertThat(s.getScoreType()).isEqualTo(ScoreType.PROBABILITY);
            }

            in.pipeInput("short", features("short", "acoustic", 1f, 2f));
            d.advanceWallClockTime(Duration.ofMillis(6));
            assertThat(out.isEmpty()).isTrue();
            TestRecord<byte[], byte[]> letter = dead.readRecord();
            assertThat(new String(letter.headers().lastHeader(DeadLetterReason.HEADER).value(), StandardCharsets.UTF_8))
                    .isEqualTo("wrong_length");
            assertThat(new String(letter.headers().lastHeader(DeadLetterReason.DETAIL_HEADER).value(), StandardCharsets.UTF_8))
                    .contains("2 feature values, the model takes 5");
        } finally {
            scorer.close();
            InMemorySchemaRegistry.dropScope(scope);
        }
    }

    @Test
    void aScorerWithAnEmbeddingOutputWritesTheEmbeddingItsConfigNames(@TempDir Path dir) throws Exception {
        float[][] w = weights(5);
        float[] b = {0.1f, -0.1f};
        float[][] p = new float[F][3];
        for (int f = 0; f < F; f++) {
            for (int e = 0; e < 3; e++) {
                p[f][e] = (f + 1) * 0.1f - e * 0.2f;
            }
        }
        Path model = dir.resolve("acoustic-emb.onnx");
        OnnxGraphs.write(OnnxGraphs.softmaxRegressionWithEmbedding("features", "probabilities", "hidden", w, b, p), model);
        PipelineConfig config = PipelineConfigLoader.parse("""
                application.id: s
                bootstrap.servers: dummy:1
                schema.registry.url: mock://emb
                classes: [directed, undirected]
                modalities: [{name: acoustic, embedding.output: hidden, embedding.size: 3}, {name: lexical}]
                """, "test", Map.of());
        PipelineConfig.ModalityConfig m = config.modalities().get(0);
        assertThat(m.embeddingOutput()).isEqualTo("hidden");
        try (ModalityScorer scorer = ModalityScorer.load("acoustic", model, C, ScoreType.PROBABILITY, m.embeddingOutput(),
                m.embeddingSize())) {
            assertThat(scorer.embeddingSize()).isEqualTo(3);
            ModalityFeatures f = features("e1", "acoustic", 1f, 0f, 2f, 0f, -1f);
            ModalityScore s = scorer.score(List.of(f)).get(0);
            for (int e = 0; e < 3; e++) {
                double want = 0;
                for (int k = 0; k < F; k++) {
                    want += f.getValues().get(k) * p[k][e];
                }
                assertThat(s.getEmbedding().get(e)).isCloseTo((float) want, within(1e-5f));
            }
            assertThat(s.getScores()).hasSize(C);
        }
        // The model's embedding is not the length the config says: the scorer does not start, and shows the outputs.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModalityScorer.load("acoustic", model, C,
                        ScoreType.PROBABILITY, "hidden", 4))
                .isInstanceOf(io.latefuse.fusion.OnnxModel.ModelMismatchException.class)
                .hasMessageContaining("output 'hidden' (embedding (embedding.size 4)) must be float[batch, 4]")
                .hasMessageContaining("hidden: float[?, 3]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModalityScorer.load("acoustic", model, C,
                        ScoreType.PROBABILITY, "penultimate", 3))
                .hasMessageContaining("has no output named 'penultimate'");
        // Without an embedding output configured, a two-output model is refused: which one holds the scores?
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModalityScorer.load("acoustic", model, C, ScoreType.PROBABILITY))
                .hasMessageContaining("has 2 outputs");
    }
}
