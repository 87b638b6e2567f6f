package io.latefuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.Jars;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.topology.FusionApp;
import io.latefuse.training.SyntheticDdsd;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * produce and tail, the operator commands, as users run them: from the runtime jar in their own JVMs, against the
 * fusion app on the real broker and registry.
 */
@ExtendWith(RealKafka.class)
class ProduceTailIT {

    private static String run(String... args) throws Exception {
        Jars.Result r = Jars.run(Jars.RUNTIME, Map.of(), 120, args);
        assertThat(r.exitCode()).as(String.join(" ", args) + "\n" + r.printed()).isZero();
        return r.stdout();
    }

    @Test
    void syntheticScoresGoInAndTailPrintsOnePredictionPerEvent(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "op" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path configFile = dir.resolve("ddsd.yaml");
        Files.writeString(configFile, env.ddsdYaml("op", prefix)
                .replace("store.type: rocksdb", "store.type: memory")
                .replace("max.wait: 300ms", "max.wait: 1s"));
        PipelineConfig config = PipelineConfigLoader.load(configFile, Map.of());
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(2), Optional.of((short) 1));
        }
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString()))) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);

            // The generator's first 40 utterances, counted here, are what produce must send.
            SyntheticDdsd gen = new SyntheticDdsd(3);
            int expectedScores = 0;
            for (int i = 0; i < 40; i++) {
                for (float[] s : gen.next().scores()) {
                    expectedScores += s == null ? 0 : 1;
                }
            }
            String produced = run("produce", "--config", configFile.toString(), "--synthetic", "ddsd", "--seed", "3",
                    "--events", "40", "--rate", "200", "--late-delay", "1500");
            assertThat(produced).contains("Produced " + expectedScores + " scores for 40 events");

            // Exactly one revision 0 per event; late scores (the generator's late rates) add revisions.
            List<io.latefuse.avro.FusedPrediction> predictions = io.latefuse.testkit.CommittedReader.read(env,
                    config.outputTopic(), io.latefuse.registry.AvroDeserializer.specific(io.latefuse.avro.FusedPrediction.class,
                            io.latefuse.registry.SchemaRegistry.connect(io.latefuse.registry.RegistryConfig.of(env.registryUrl()))), 40)
                    .stream().map(org.apache.kafka.clients.consumer.ConsumerRecord::value).toList();
            assertThat(predictions.stream().filter(p -> p.getRevision() == 0).map(p -> p.getEventId()))
                    .hasSize(40).doesNotHaveDuplicates();

            String lines = run("tail", "--config", configFile.toString(), "--from-beginning", "--max", "40");
            List<String> rows = lines.lines().toList();
            assertThat(rows).hasSize(40).allSatisfy(l -> assertThat(l).startsWith("utt-")
                    .containsPattern(" (directed|undirected) [01]\\.\\d{3} (COMPLETE|DEGRADED) rev \\d+ present \\[.*\\] missing \\[.*\\] wait \\d+ ms"));

            String json = run("tail", "--config", configFile.toString(), "--from-beginning", "--max", "1", "--json");
            JsonNode first = new ObjectMapper().readTree(json);
            assertThat(first.path("event_id").asText()).startsWith("utt-");
            assertThat(first.path("strategy").asText()).isEqualTo("log_odds");

            // Two bad records: bytes that are not Avro, and a score that is not a probability. tail on the
            // dead-letter topic shows each one's reason, source topic and detail.
            try (org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> raw = new org.apache.kafka.clients.producer.KafkaProducer<>(
                    Map.of("bootstrap.servers", env.bootstrapServers()), new org.apache.kafka.common.serialization.StringSerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                raw.send(new org.apache.kafka.clients.producer.ProducerRecord<>(prefix + "scores.acoustic", "junk-1",
                        "not avro".getBytes(java.nio.charset.StandardCharsets.UTF_8))).get();
            }
            io.latefuse.registry.RegistryConfig rc = io.latefuse.registry.RegistryConfig.of(env.registryUrl());
            try (org.apache.kafka.clients.producer.KafkaProducer<String, io.latefuse.avro.ModalityScore> scores = new org.apache.kafka.clients.producer.KafkaProducer<>(
                    Map.of("bootstrap.servers", env.bootstrapServers()), new org.apache.kafka.common.serialization.StringSerializer(),
                    new io.latefuse.registry.AvroSerializer<>(io.latefuse.registry.SchemaRegistry.connect(rc), rc, false))) {
                scores.send(new org.apache.kafka.clients.producer.ProducerRecord<>(prefix + "scores.lexical", "nan-1",
                        io.latefuse.avro.ModalityScore.newBuilder().setEventId("nan-1").setModality("lexical").setModel("m")
                                .setModelVersion("1").setScores(List.of(Float.NaN, 0.5f))
                                .setScoreType(io.latefuse.avro.ScoreType.PROBABILITY).setEventTime(java.time.Instant.now()).build())).get();
            }
            List<String> dead = run("tail", "--config", configFile.toString(), "--topic", config.deadLetterTopic(),
                    "--from-beginning", "--max", "2").lines().sorted().toList();
            assertThat(dead).hasSize(2);
            assertThat(dead.get(0)).startsWith("DEAD LETTER deserialization from " + prefix + "scores.acoustic key junk-1: ")
                    .contains("bytes that do not decode");
            assertThat(dead.get(1)).startsWith("DEAD LETTER not_finite from " + prefix + "scores.lexical key nan-1: ");
        }
    }

    @Test
    void produceSendsEachEventsTrueClassWithLabelsAndBreaksTheModalityAsked(KafkaEnvironment env, @TempDir Path dir)
            throws Exception {
        String prefix = "pl" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path configFile = dir.resolve("ddsd.yaml");
        Files.writeString(configFile, env.ddsdYaml("pl", prefix) + "\nlabels.topic: " + prefix + "labels\n");
        PipelineConfig config = PipelineConfigLoader.load(configFile, Map.of());
        try (Admin admin = env.admin()) {
            List<org.apache.kafka.clients.admin.NewTopic> topics = new java.util.ArrayList<>();
            config.inputTopics().forEach(t -> topics.add(new org.apache.kafka.clients.admin.NewTopic(t, 2, (short) 1)));
            topics.add(new org.apache.kafka.clients.admin.NewTopic(prefix + "labels", 2, (short) 1));
            io.latefuse.testkit.KafkaEnvironment.createTopics(admin, topics);
        }
        assertThat(run("produce", "--config", configFile.toString(), "--synthetic", "ddsd", "--seed", "4", "--events",
                "30", "--rate", "200", "--labels", "--break", "acoustic:stuck@10"))
                .contains("Produced 30 labels for 30 events");
        io.latefuse.registry.SchemaRegistry registry = io.latefuse.registry.SchemaRegistry.connect(
                io.latefuse.registry.RegistryConfig.of(env.registryUrl()));
        Map<String, String> truth = new java.util.HashMap<>();
        for (var r : io.latefuse.testkit.CommittedReader.read(env, prefix + "labels",
                io.latefuse.registry.AvroDeserializer.specific(io.latefuse.avro.GroundTruth.class, registry), 30)) {
            assertThat(r.key()).isEqualTo(r.value().getEventId());
            assertThat(truth.put(r.key(), r.value().getLabel())).as(r.key() + " labelled once").isNull();
        }
        SyntheticDdsd gen = new SyntheticDdsd(4);
        for (int i = 0; i < 30; i++) {
            SyntheticDdsd.Utterance u = gen.next();
            assertThat(truth.get(u.id())).as(u.id()).isEqualTo(u.directed() ? "directed" : "undirected");
        }
        for (var r : io.latefuse.testkit.CommittedReader.read(env, prefix + "scores.acoustic",
                io.latefuse.registry.AvroDeserializer.specific(io.latefuse.avro.ModalityScore.class, registry), 25)) {
            int n = Integer.parseInt(r.key().substring("utt-".length()));
            if (n >= 10) {
                assertThat(r.value().getScores()).as(r.key() + ", stuck from utt-10 on").containsExactly(0.2f, 0.8f);
            }
        }
    }

    @Test
    void produceFeaturesSendsEachRowToItsModalitysFeaturesTopic(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "feat" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path configFile = dir.resolve("digits.yaml");
        Files.writeString(configFile, Files.readString(Path.of("config/digits.yaml"))
                .replace("bootstrap.servers: localhost:9092", "bootstrap.servers: " + env.bootstrapServers())
                .replace("schema.registry.url: http://localhost:8081", "schema.registry.url: " + env.registryUrl())
                .replace("topic.prefix: digits.", "topic.prefix: " + prefix));
        Path features = Files.writeString(dir.resolve("features.csv"), """
                event_id,modality,features...
                d1,top_left,0.1,0.2
                d1,bottom_right,0.3,0.4
                d2,top_left,0.5,0.6
                """);
        // Before the scorers' topics exist, nothing is sent: a broker could auto-create them with its own partitions.
        Jars.Result refused = Jars.run(Jars.RUNTIME, Map.of(), 120, "produce", "--config", configFile.toString(),
                "--features", features.toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stderr()).contains("Missing topics: " + prefix + "features.top_left, " + prefix + "features.bottom_right");

        try (Admin admin = env.admin()) {
            KafkaEnvironment.createTopics(admin, List.of(new org.apache.kafka.clients.admin.NewTopic(prefix + "features.top_left", 1, (short) 1),
                    new org.apache.kafka.clients.admin.NewTopic(prefix + "features.bottom_right", 1, (short) 1)));
        }
        assertThat(run("produce", "--config", configFile.toString(), "--features", features.toString(), "--rate", "50"))
                .contains("Produced 3 features for 2 events");
        io.latefuse.registry.AvroDeserializer<io.latefuse.avro.ModalityFeatures> de = io.latefuse.registry.AvroDeserializer.specific(
                io.latefuse.avro.ModalityFeatures.class, io.latefuse.registry.SchemaRegistry.connect(
                        io.latefuse.registry.RegistryConfig.of(env.registryUrl())));
        List<io.latefuse.avro.ModalityFeatures> topLeft = io.latefuse.testkit.CommittedReader.read(env,
                prefix + "features.top_left", de, 2).stream().map(org.apache.kafka.clients.consumer.ConsumerRecord::value).toList();
        assertThat(topLeft).extracting(io.latefuse.avro.ModalityFeatures::getEventId).containsExactly("d1", "d2");
        assertThat(topLeft.get(1).getValues()).containsExactly(0.5f, 0.6f);
        assertThat(topLeft.get(0).getModality()).isEqualTo("top_left");
    }
}
