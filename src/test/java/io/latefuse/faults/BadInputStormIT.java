package io.latefuse.faults;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.topology.FusionApp;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A storm of bad input: about 10% garbage records of every kind (among them event times far ahead of the broker's
 * clock, and scores without the embedding the head takes, with one too short, or with a NaN in it), interleaved
 * with good ones, on the real broker and registry. The app keeps running, every good event gets exactly one
 * prediction, and the dead-letter topic holds exactly the bad records, each with its reason.
 */
@ExtendWith(RealKafka.class)
class BadInputStormIT {
    private static final List<String> MODALITIES = List.of("acoustic", "lexical", "prosody");
    private static final List<Float> EMBEDDING = List.of(0.25f, -0.5f);

    /** One record to send: raw bytes on a topic, and the reason it should be dead-lettered (null when good). */
    private record Send(String topic, byte[] key, byte[] value, String reason) {}

    @Test
    void badRecordsOfEveryKindLandInTheDeadLetterTopicAndNothingElseDoes(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "storm" + UUID.randomUUID().toString().substring(0, 6) + ".";
        // A learned head that takes embeddings, so that a score without one is bad input too.
        Path head = dir.resolve("head.onnx");
        int n = MODALITIES.size();
        float[][] w = new float[n * 2 + n + n * EMBEDDING.size()][2];
        for (int i = 0; i < n; i++) {
            w[i * 2][0] = 2f;
            w[i * 2 + 1][1] = 2f;
        }
        OnnxGraphs.write(OnnxGraphs.embeddingHead("scores", "mask", "embeddings", "probabilities", n, 2, EMBEDDING.size(),
                w, new float[2]), head);
        PipelineConfig config = env.pipeline("storm", prefix, """
                classes: [directed, undirected]
                modalities: [{name: acoustic}, {name: lexical}, {name: prosody}]
                max.wait: 5s
                store.type: memory
                strategy: onnx
                fusion.level: hybrid
                onnx.model: %s
                """.formatted(head));
        try (var admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(3), Optional.of((short) 1));
        }
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        SchemaRegistry registry = SchemaRegistry.connect(rc);
        AvroSerializer<ModalityScore> avro = new AvroSerializer<>(registry, rc, false);
        String acoustic = config.inputTopics().get(0);

        Random rnd = new Random(11);
        List<Send> sends = new ArrayList<>();
        for (int e = 0; e < 1_000; e++) {
            String id = "good-" + e;
            for (String m : MODALITIES) {
                String topic = config.inputTopics().get(config.modalityIndex(m));
                sends.add(new Send(topic, bytes(id), avro.serialize(topic, score(id, m, List.of(0.7f, 0.3f))), null));
            }
        }
        // About 10% bad records (330 of 3,330), the kinds in turn.
        String[] kinds = {"wrong_magic", "truncated", "unknown_id", "key_mismatch", "unknown_modality", "wrong_length",
                "not_finite", "out_of_range", "missing_value", "modality_topic_mismatch", "corrupt_body",
                "future_time", "overflow_time", "missing_embedding", "embedding_length", "embedding_nan"};
        for (int b = 0; b < 330; b++) {
            String kind = kinds[b % kinds.length];
            String key = "bad-" + kind + "-" + b;
            byte[] good = avro.serialize(acoustic, score(key, "acoustic", List.of(0.6f, 0.4f)));
            sends.add(switch (kind) {
                case "wrong_magic" -> new Send(acoustic, bytes(key), "{\"json\":true}".getBytes(StandardCharsets.UTF_8), "deserialization");
                case "truncated" -> new Send(acoustic, bytes(key), new byte[] {0, 0, 0}, "deserialization");
                case "unknown_id" -> {
                    byte[] v = good.clone();
                    ByteBuffer.wrap(v).putInt(1, 99_999);
                    yield new Send(acoustic, bytes(key), v, "deserialization");
                }
                case "corrupt_body" -> new Send(acoustic, bytes(key), Arrays.copyOf(good, good.length - 5), "deserialization");
                case "key_mismatch" -> new Send(acoustic, bytes(key), avro.serialize(acoustic, score("other", "acoustic", List.of(0.6f, 0.4f))), "key_mismatch");
                case "unknown_modality" -> new Send(acoustic, bytes(key), avro.serialize(acoustic, score(key, "smell", List.of(0.6f, 0.4f))), "unknown_modality");
                case "wrong_length" -> new Send(acoustic, bytes(key), avro.serialize(acoustic, score(key, "acoustic", List.of(0.6f))), "wrong_length");
                case "not_finite" -> new Send(acoustic, bytes(key), avro.serialize(acoustic, score(key, "acoustic", List.of(Float.NaN, 0.4f))), "not_finite");
                case "out_of_range" -> new Send(acoustic, bytes(key), avro.serialize(acoustic, score(key, "acoustic", List.of(1.6f, -0.6f))), "out_of_range");
                case "missing_value" -> new Send(acoustic, bytes(key), null, "missing_value");
                // Two hours ahead: past the broker's 1 h log.message.timestamp.after.max.ms, were it a timestamp.
                case "future_time" -> new Send(acoustic, bytes(key), avro.serialize(acoustic, score(key, "acoustic",
                        List.of(0.6f, 0.4f), Instant.now().plus(Duration.ofHours(2)), EMBEDDING)), "out_of_range");
                case "overflow_time" -> new Send(acoustic, bytes(key), avro.serialize(acoustic, score(key, "acoustic",
                        List.of(0.6f, 0.4f), Instant.ofEpochMilli(Long.MAX_VALUE - 10), EMBEDDING)), "out_of_range");
                case "missing_embedding" -> new Send(acoustic, bytes(key), avro.serialize(acoustic, score(key, "acoustic",
                        List.of(0.6f, 0.4f), Instant.now(), null)), "missing_embedding");
                case "embedding_length" -> new Send(acoustic, bytes(key), avro.serialize(acoustic, score(key, "acoustic",
                        List.of(0.6f, 0.4f), Instant.now(), EMBEDDING.subList(1, EMBEDDING.size()))), "wrong_length");
                case "embedding_nan" -> {
                    List<Float> nan = new java.util.ArrayList<>(EMBEDDING);
                    nan.set(0, Float.NaN);
                    yield new Send(acoustic, bytes(key), avro.serialize(acoustic, score(key, "acoustic",
                            List.of(0.6f, 0.4f), Instant.now(), nan)), "not_finite");
                }
                default -> new Send(config.inputTopics().get(1), bytes(key), good, "modality_topic_mismatch");
            });
        }
        Collections.shuffle(sends, rnd);

        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.toString(),
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"))) {
            AtomicBoolean leftRunning = new AtomicBoolean();
            app.streams().setStateListener((now, before) -> {
                if (before == KafkaStreams.State.RUNNING && now != KafkaStreams.State.REBALANCING) {
                    leftRunning.set(true);
                }
            });
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (Send s : sends) {
                    producer.send(new ProducerRecord<>(s.topic(), s.key(), s.value()));
                }
            }

            List<ConsumerRecord<String, FusedPrediction>> out = CommittedReader.read(env, config.outputTopic(),
                    AvroDeserializer.specific(FusedPrediction.class, registry), 1_000);
            assertThat(out).extracting(ConsumerRecord::key).hasSize(1_000).doesNotHaveDuplicates().allMatch(k -> k.startsWith("good-"));

            List<ConsumerRecord<String, byte[]>> dead = CommittedReader.read(env, config.deadLetterTopic(), new ByteArrayDeserializer(), 330);
            Map<String, String> expected = new HashMap<>();
            sends.stream().filter(s -> s.reason() != null).forEach(s -> expected.put(new String(s.key(), StandardCharsets.UTF_8), s.reason()));
            Map<String, String> got = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : dead) {
                got.merge(r.key(), new String(r.headers().lastHeader(DeadLetterReason.HEADER).value(), StandardCharsets.UTF_8),
                        (a, b) -> a + "+" + b);
            }
            assertThat(dead).as("each bad record dead-lettered once").hasSize(330);
            assertThat(got).isEqualTo(expected);
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            assertThat(leftRunning).as("the app never stopped running").isFalse();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static ModalityScore score(String id, String modality, List<Float> scores) {
        return score(id, modality, scores, Instant.now(), EMBEDDING);
    }

    private static ModalityScore score(String id, String modality, List<Float> scores, Instant eventTime,
                                       List<Float> embedding) {
        return ModalityScore.newBuilder().setEventId(id).setModality(modality).setModel(modality).setModelVersion("1")
                .setScores(scores).setScoreType(ScoreType.PROBABILITY).setEventTime(eventTime).setEmbedding(embedding)
                .build();
    }
}
