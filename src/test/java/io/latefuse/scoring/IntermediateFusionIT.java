package io.latefuse.scoring;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.ScoreType;
import io.latefuse.cli.Main;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.topology.FusionApp;
import io.latefuse.training.LabelledScores;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Intermediate fusion on the real broker and registry: two scorers write embeddings (their models' hidden output),
 * a head trained by {@code train --level intermediate} on those embeddings fuses them, and an event whose second
 * modality never comes is DEGRADED. Every event comes out once, with the head's own output for what arrived.
 */
@ExtendWith(RealKafka.class)
class IntermediateFusionIT {
    private static final List<String> MODALITIES = List.of("a", "b");
    private static final int FEATURES = 3;

    /** A scorer whose class scores know nothing, and whose embedding is its first two features. */
    private static Path scorerModel(Path dir, String m) throws Exception {
        float[][] w = new float[FEATURES][2];
        float[][] p = new float[FEATURES][2];
        p[0][0] = 1f;
        p[1][1] = 1f;
        Path model = dir.resolve(m + ".onnx");
        OnnxGraphs.write(OnnxGraphs.softmaxRegressionWithEmbedding("x", "p", "hidden", w, new float[2], p), model);
        return model;
    }

    /** Features carrying a sign in feature 0; the event's class is the product of its modalities' signs. */
    private static ModalityFeatures features(String id, String m, float sign, SplittableRandom r) {
        List<Float> v = List.of(sign + (float) (r.nextDouble() - 0.5) * 0.3f, (float) r.nextDouble(), (float) r.nextDouble());
        return ModalityFeatures.newBuilder().setEventId(id).setModality(m).setValues(v).setEventTime(Instant.now()).build();
    }

    @Test
    void scorersWriteEmbeddingsAndTheTrainedHeadFusesThem(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "int" + UUID.randomUUID().toString().substring(0, 6) + ".";
        String body = """
                classes: ["yes", "no"]
                modalities:
                  - {name: a, embedding.output: hidden, embedding.size: 2}
                  - {name: b, embedding.output: hidden, embedding.size: 2}
                max.wait: 3s
                punctuation.interval: 100ms
                store.type: memory
                """;
        Map<String, ModalityScorer> offline = new LinkedHashMap<>();
        for (String m : MODALITIES) {
            offline.put(m, ModalityScorer.load(m, scorerModel(dir, m), 2, ScoreType.PROBABILITY, "hidden", 2));
        }
        // 1. Training data: the scorers' own outputs on labelled features, then train --level intermediate.
        PipelineConfig late = env.pipeline("int-train", prefix, body + "strategy: weighted_mean\n");
        SplittableRandom r = new SplittableRandom(4);
        List<LabelledScores.Event> training = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            float sa = r.nextBoolean() ? 1f : -1f;
            float sb = r.nextBoolean() ? 1f : -1f;
            float[][] scores = new float[2][];
            float[][] emb = new float[2][];
            for (int m = 0; m < 2; m++) {
                ModalityScore s = offline.get(MODALITIES.get(m)).score(List.of(features("t" + i, MODALITIES.get(m),
                        m == 0 ? sa : sb, r))).get(0);
                scores[m] = new float[] {s.getScores().get(0), s.getScores().get(1)};
                emb[m] = new float[] {s.getEmbedding().get(0), s.getEmbedding().get(1)};
            }
            training.add(new LabelledScores.Event("t" + i, sa * sb > 0 ? 0 : 1, scores, emb));
        }
        Path data = dir.resolve("train.csv");
        LabelledScores.write(data, late, training);
        Path trainConfig = Files.writeString(dir.resolve("train.yaml"), "application.id: t\nbootstrap.servers: x:1\n"
                + "schema.registry.url: http://x\n" + body);
        Path head = dir.resolve("head.onnx");
        assertThat(Main.commandLine().execute("train", "--config", trainConfig.toString(), "--data", data.toString(),
                "--level", "intermediate", "--hidden", "16", "--epochs", "60", "--dropout", "0.3", "--out", head.toString()))
                .isZero();

        // 2. The pipeline: the two scorers, and the fusion app serving the head.
        PipelineConfig config = env.pipeline("int", prefix, body + "strategy: onnx\nonnx.model: " + head
                + "\nfusion.level: intermediate\n");
        try (Admin admin = env.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            for (PipelineConfig.ModalityConfig m : config.modalities()) {
                topics.add(new NewTopic(m.featuresTopic(), 2, (short) 1));
            }
            KafkaEnvironment.createTopics(admin, topics);
            TopicPreflight.check(admin, config, true, Optional.of(2), Optional.of((short) 1));
        }
        List<AutoCloseable> apps = new ArrayList<>();
        try (FusionStrategy expected = FusionStrategies.create(config)) {
            for (String m : MODALITIES) {
                PipelineConfig.ModalityConfig mc = config.modalities().get(config.modalityIndex(m));
                ScoringApp scorer = new ScoringApp(config, ModalityScorer.load(m, dir.resolve(m + ".onnx"), 2,
                        ScoreType.PROBABILITY, mc.embeddingOutput(), mc.embeddingSize()), 16, Duration.ofMillis(5),
                        Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-" + m).toString(),
                                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"));
                apps.add(scorer);
                scorer.start();
            }
            FusionApp fusion = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-fusion").toString(),
                    StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"));
            apps.add(fusion);
            fusion.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> fusion.streams().state() == KafkaStreams.State.RUNNING);

            // 3. Live traffic: 150 events, one in ten without modality b.
            Map<String, Integer> label = new HashMap<>();
            Map<String, FusionInput> inputs = new HashMap<>();
            RegistryConfig rc = RegistryConfig.of(env.registryUrl());
            try (KafkaProducer<String, ModalityFeatures> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()),
                    new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
                for (int e = 0; e < 150; e++) {
                    String id = "ev-" + e;
                    float sa = r.nextBoolean() ? 1f : -1f;
                    float sb = r.nextBoolean() ? 1f : -1f;
                    label.put(id, sa * sb > 0 ? 0 : 1);
                    boolean withB = e % 10 != 3;
                    double[][] probs = new double[2][];
                    float[][] emb = new float[2][];
                    for (int m = 0; m < (withB ? 2 : 1); m++) {
                        String name = MODALITIES.get(m);
                        ModalityFeatures f = features(id, name, m == 0 ? sa : sb, r);
                        ModalityScore s = offline.get(name).score(List.of(f)).get(0);
                        probs[m] = new double[] {s.getScores().get(0), s.getScores().get(1)};
                        emb[m] = new float[] {s.getEmbedding().get(0), s.getEmbedding().get(1)};
                        producer.send(new ProducerRecord<>(config.modalities().get(m).featuresTopic(), id, f));
                    }
                    inputs.put(id, new FusionInput(probs, new double[] {Double.NaN, Double.NaN}, emb));
                    if (e % 25 == 24) {
                        producer.flush();
                        Thread.sleep(50);
                    }
                }
            }

            // 4. Each event once; COMPLETE with both, DEGRADED without b; the head's own output; mostly right.
            Map<String, Integer> revisionZero = new HashMap<>();
            int right = 0;
            int complete = 0;
            for (ConsumerRecord<String, FusedPrediction> rec : CommittedReader.read(env, config.outputTopic(),
                    AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), label.size())) {
                FusedPrediction p = rec.value();
                revisionZero.merge(p.getEventId(), 1, Integer::sum);
                FusionInput in = inputs.get(p.getEventId());
                boolean withB = in.present(1);
                assertThat(p.getStatus()).as(p.getEventId())
                        .isEqualTo(withB ? PredictionStatus.COMPLETE : PredictionStatus.DEGRADED);
                double[] want = expected.fuse(in).probabilities();
                assertThat((double) p.getScores().get(0)).as(p.getEventId()).isCloseTo(want[0],
                        org.assertj.core.api.Assertions.within(1e-6));
                if (withB) {
                    complete++;
                    right += (p.getLabel().equals("yes") ? 0 : 1) == label.get(p.getEventId()) ? 1 : 0;
                }
            }
            assertThat(revisionZero).hasSize(label.size()).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            assertThat(right).as("right among the COMPLETE events, on a class no score carries")
                    .isGreaterThan((int) (0.9 * complete));
        } finally {
            for (AutoCloseable app : apps) {
                app.close();
            }
            for (ModalityScorer s : offline.values()) {
                s.close();
            }
        }
    }
}
