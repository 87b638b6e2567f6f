package io.latefuse.scoring;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
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

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole data flow on the real broker and registry: features for every modality go in, four scorer apps
 * (each with its own ONNX model) write scores, the fusion app writes predictions. Every event comes out once.
 */
@ExtendWith(RealKafka.class)
class ScoreAndFuseIT {
    private static final List<String> MODALITIES = List.of("acoustic", "lexical", "prosody", "visual");
    private static final int FEATURES = 6;

    @Test
    void theScorerChecksAndCreatesOnlyItsOwnTopics(KafkaEnvironment env) throws Exception {
        String prefix = "sc" + UUID.randomUUID().toString().substring(0, 6) + ".";
        PipelineConfig config = PipelineConfigLoader.parse(env.ddsdYaml("scorer-topics", prefix), "test", Map.of());
        try (Admin admin = env.admin()) {
            // Nothing exists: the scorer names the three topics it reads and writes, and nothing else of the pipeline.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> TopicPreflight.checkScorer(admin, config, "lexical", false))
                    .isInstanceOf(TopicPreflight.TopicCheckException.class)
                    .hasMessage("Missing topics: " + prefix + "features.lexical, " + prefix + "scores.lexical, "
                            + prefix + "dead-letters. Create them, or run with --create-topics.");

            // Another modality's scores topic exists with 4 partitions: created topics follow it.
            KafkaEnvironment.createTopics(admin, List.of(new NewTopic(prefix + "scores.acoustic", 4, (short) 1)));
            TopicPreflight.checkScorer(admin, config, "lexical", true);
            Map<String, Integer> partitions = new java.util.TreeMap<>();
            admin.describeTopics(admin.listTopics().names().get().stream().filter(t -> t.startsWith(prefix)).toList())
                    .allTopicNames().get(30, TimeUnit.SECONDS)
                    .forEach((t, d) -> partitions.put(t.substring(prefix.length()), d.partitions().size()));
            assertThat(partitions).containsOnlyKeys("scores.acoustic", "features.lexical", "scores.lexical", "dead-letters")
                    .containsEntry("features.lexical", 4).containsEntry("scores.lexical", 4);
        }
    }

    @Test
    void featuresInPredictionsOutEveryEventOnce(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "e2e" + UUID.randomUUID().toString().substring(0, 6) + ".";
        PipelineConfig config = env.pipeline("e2e", prefix, """
                classes: [directed, undirected]
                strategy: weighted_mean
                modalities:
                  - {name: acoustic}
                  - {name: lexical}
                  - {name: prosody}
                  - {name: visual, required: false}
                max.wait: 4s
                optional.wait: 1s
                punctuation.interval: 100ms
                store.type: memory
                """);
        try (Admin admin = env.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            for (PipelineConfig.ModalityConfig m : config.modalities()) {
                topics.add(new NewTopic(m.featuresTopic(), 2, (short) 1));
                topics.add(new NewTopic(m.topic(), 2, (short) 1));
            }
            KafkaEnvironment.createTopics(admin, topics);
            TopicPreflight.check(admin, config, true, Optional.of(2), Optional.of((short) 1));
        }

        // One softmax-regression model per modality, made here; the first feature says "directed".
        Random r = new Random(5);
        List<AutoCloseable> apps = new ArrayList<>();
        try {
            for (String m : MODALITIES) {
                float[][] w = new float[FEATURES][2];
                w[0][0] = 3f;
                w[0][1] = -3f;
                for (int f = 1; f < FEATURES; f++) {
                    w[f][0] = (float) r.nextGaussian() * 0.1f;
                }
                Path model = dir.resolve(m + ".onnx");
                OnnxGraphs.write(OnnxGraphs.softmaxRegression("x", "p", w, new float[2]), model);
                ScoringApp scorer = new ScoringApp(config, ModalityScorer.load(m, model, 2, ScoreType.PROBABILITY), 16,
                        Duration.ofMillis(5), Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-" + m).toString(),
                        StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"));
                apps.add(scorer);
                scorer.start();
            }
            FusionApp fusion = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-fusion").toString(),
                    StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"));
            apps.add(fusion);
            fusion.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> fusion.streams().state() == KafkaStreams.State.RUNNING);

            Map<String, List<String>> sent = new LinkedHashMap<>();
            List<String> badRecords = new ArrayList<>();
            Map<String, Boolean> directed = new HashMap<>();
            RegistryConfig rc = RegistryConfig.of(env.registryUrl());
            try (KafkaProducer<String, ModalityFeatures> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()),
                    new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
                for (int e = 0; e < 300; e++) {
                    String id = "ev-" + e;
                    boolean isDirected = r.nextBoolean();
                    directed.put(id, isDirected);
                    List<String> subset = new ArrayList<>();
                    for (String m : MODALITIES) {
                        if (r.nextDouble() < 0.9) {
                            subset.add(m);
                        }
                    }
                    if (subset.isEmpty()) {
                        subset.add("acoustic");
                    }
                    sent.put(id, subset);
                    for (String m : subset) {
                        List<Float> values = new ArrayList<>();
                        values.add(isDirected ? 1f : -1f);
                        for (int f = 1; f < FEATURES; f++) {
                            values.add((float) r.nextGaussian());
                        }
                        producer.send(new ProducerRecord<>(config.modalities().get(config.modalityIndex(m)).featuresTopic(), id,
                                ModalityFeatures.newBuilder().setEventId(id).setModality(m).setValues(values)
                                        .setEventTime(Instant.now()).build()));
                    }
                    if (e % 50 == 25) {
                        // Issue 27: a features record dated before 1970 in the middle of a batch, and one too far
                        // ahead, cost only themselves: before, the first stopped the acoustic scorer for good.
                        String bad = (e % 100 == 25 ? "bad-1969-" : "bad-ahead-") + e;
                        List<Float> values = new ArrayList<>(java.util.Collections.nCopies(FEATURES, 0.5f));
                        producer.send(new ProducerRecord<>(config.modalities().get(0).featuresTopic(), bad,
                                ModalityFeatures.newBuilder().setEventId(bad).setModality("acoustic").setValues(values)
                                        .setEventTime(e % 100 == 25 ? Instant.parse("1969-12-31T23:59:59Z")
                                                : Instant.now().plus(Duration.ofDays(1))).build()));
                        badRecords.add(bad);
                    }
                    if (e % 20 == 19) {
                        producer.flush();
                        Thread.sleep(50); // live traffic, not a backlog
                    }
                }
            }

            Map<String, Integer> revisionZero = new HashMap<>();
            int correct = 0;
            for (ConsumerRecord<String, FusedPrediction> rec : CommittedReader.read(env, config.outputTopic(),
                    AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), sent.size())) {
                FusedPrediction p = rec.value();
                if (p.getRevision() != 0) {
                    continue;
                }
                revisionZero.merge(p.getEventId(), 1, Integer::sum);
                List<String> subset = sent.get(p.getEventId());
                boolean required = subset.containsAll(List.of("acoustic", "lexical", "prosody"));
                assertThat(p.getStatus()).as(p.getEventId()).isEqualTo(required ? PredictionStatus.COMPLETE : PredictionStatus.DEGRADED);
                if (p.getLabel().equals(directed.get(p.getEventId()) ? "directed" : "undirected")) {
                    correct++;
                }
            }
            assertThat(revisionZero).hasSize(sent.size()).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            // The models see a clear signal in the first feature: the fused labels are right.
            assertThat(correct).isEqualTo(sent.size());
            // Each bad record is dead-lettered once, by the scorer, as out_of_range; nothing else is.
            Map<String, String> letters = new HashMap<>();
            for (ConsumerRecord<String, byte[]> letter : CommittedReader.read(env, config.deadLetterTopic(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer(), badRecords.size())) {
                String reason = new String(letter.headers().lastHeader(
                        io.latefuse.streams.DeadLetterReason.HEADER).value(), java.nio.charset.StandardCharsets.UTF_8);
                assertThat(letters.put(letter.key(), reason)).as("one dead letter for " + letter.key()).isNull();
            }
            assertThat(letters.keySet()).containsExactlyInAnyOrderElementsOf(badRecords);
            assertThat(letters.values()).containsOnly("out_of_range");
        } finally {
            for (AutoCloseable app : apps) {
                app.close();
            }
        }
    }
}
