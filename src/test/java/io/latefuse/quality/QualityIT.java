package io.latefuse.quality;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.GroundTruth;
import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.QualityOutcome;
import io.latefuse.cli.Main;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.training.LabelledScores;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
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
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * The quality app on the embedded KRaft broker and the real registry: predictions (revision 0 and revisions) on the
 * output topic, scores, labels (some missing, one duplicated, one of an unknown class, one undecodable); its quality
 * records equal what this test computes from the same events, per subset and revision kind; the labelled topic holds
 * one LabelledModalityScore per score of each judged event, and {@code latefuse export} writes a file
 * {@code LabelledScores.read} accepts.
 */
@ExtendWith(RealKafka.class)
class QualityIT {
    private static final List<String> MODALITIES = List.of("acoustic", "lexical", "prosody");
    private static final List<List<String>> SUBSETS = List.of(List.of("acoustic"), List.of("acoustic", "lexical"),
            List.of("acoustic", "lexical", "prosody"));
    private static final int PARTITIONS = 3;

    private record Event(String id, List<FusedPrediction> revisions, String truth) {}

    private static String yaml(KafkaEnvironment env, String prefix) {
        return """
                application.id: %s
                bootstrap.servers: %s
                schema.registry.url: %s
                topic.prefix: %s
                classes: [directed, undirected]
                modalities:
                  - {name: acoustic}
                  - {name: lexical}
                  - {name: prosody}
                labels.topic: %slabels
                labelled.topic: %slabelled
                labels.retention: 1h
                quality.window: 1h
                quality.interval: 1s
                kafka:
                  max.task.idle.ms: "5000"
                """.formatted(KafkaEnvironment.freshAppId("quality-it"), env.bootstrapServers(), env.registryUrl(),
                prefix, prefix, prefix);
    }

    private static FusedPrediction prediction(String id, int revision, List<String> present, float directed,
                                              Instant at) {
        return FusedPrediction.newBuilder().setEventId(id).setLabel(directed >= 0.5f ? "directed" : "undirected")
                .setScores(List.of(directed, 1 - directed))
                .setStatus(present.size() == 3 ? io.latefuse.avro.PredictionStatus.COMPLETE
                        : io.latefuse.avro.PredictionStatus.DEGRADED)
                .setRevision(revision).setPresent(present)
                .setMissing(MODALITIES.stream().filter(m -> !present.contains(m)).toList())
                .setStrategy("weighted_mean").setFusionModelVersion("1").setEventTime(at).setFirstArrival(at)
                .setEmittedAt(at).setWaitMs(50 + revision * 400L).setContributions(Map.of()).build();
    }

    private static ModalityScore score(String id, String modality, float directed, Instant at) {
        return ModalityScore.newBuilder().setEventId(id).setModality(modality).setModel("m").setModelVersion("1")
                .setScores(List.of(directed, 1 - directed)).setScoreType(io.latefuse.avro.ScoreType.PROBABILITY)
                .setEventTime(at).build();
    }

    @Test
    void qualityPerSubsetEqualsTheReferenceAndJudgedScoresAreExported(KafkaEnvironment env, @TempDir Path dir)
            throws Exception {
        String prefix = "qit" + UUID.randomUUID().toString().substring(0, 6) + ".";
        String text = yaml(env, prefix);
        PipelineConfig config = PipelineConfigLoader.parse(text, "QualityIT", Map.of());
        Path configFile = Files.writeString(dir.resolve("quality.yaml"), text);
        PipelineConfig.Quality q = config.quality();
        try (Admin admin = env.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            for (String t : List.of(config.outputTopic(), q.labelsTopic())) {
                topics.add(new NewTopic(t, PARTITIONS, (short) 1));
            }
            config.inputTopics().forEach(t -> topics.add(new NewTopic(t, PARTITIONS, (short) 1)));
            for (String t : List.of(q.qualityTopic(), q.labelledTopic(), config.deadLetterTopic())) {
                topics.add(new NewTopic(t, 1, (short) 1));
            }
            KafkaEnvironment.createTopics(admin, topics);
            assertThat(QualityPreflight.check(admin, config, false, Optional.empty(), Optional.empty()))
                    .isEqualTo(PARTITIONS);
        }

        // The events: revision 0 on a random subset, a third revised with every modality; 50 of 60 labelled.
        Random random = new Random(42);
        Instant base = Instant.now().minusSeconds(120);
        List<Event> events = new ArrayList<>();
        Map<String, Integer> scoresHeld = new HashMap<>();
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        SchemaRegistry registry = SchemaRegistry.connect(rc);
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), (topic, v) -> new AvroSerializer<>(registry, rc, false)
                .serialize(topic, (org.apache.avro.generic.IndexedRecord) v))) {
            for (int i = 0; i < 60; i++) {
                String id = "ev-" + i;
                Instant t = base.plusMillis(i * 10L);
                List<String> present = SUBSETS.get(random.nextInt(SUBSETS.size()));
                List<FusedPrediction> revisions = new ArrayList<>();
                revisions.add(prediction(id, 0, present, random.nextFloat(), t));
                if (present.size() < 3 && random.nextInt(3) == 0) {
                    revisions.add(prediction(id, 1, MODALITIES, random.nextFloat(), t.plusMillis(5)));
                }
                List<String> scored = revisions.get(revisions.size() - 1).getPresent();
                for (String m : scored) {
                    producer.send(new ProducerRecord<>(config.modalities().get(config.modalityIndex(m)).topic(), null,
                            t.toEpochMilli() - 1, id, score(id, m, random.nextFloat(), t)));
                }
                for (FusedPrediction p : revisions) {
                    producer.send(new ProducerRecord<>(config.outputTopic(), null, p.getEmittedAt().toEpochMilli(), id, p));
                }
                String truth = i < 50 ? (random.nextBoolean() ? "directed" : "undirected") : null;
                events.add(new Event(id, revisions, truth));
                if (truth != null) {
                    scoresHeld.put(id, scored.size());
                }
            }
            long labelled = base.plusSeconds(60).toEpochMilli();
            for (Event e : events) {
                if (e.truth() != null) {
                    producer.send(new ProducerRecord<>(q.labelsTopic(), null, labelled, e.id(), GroundTruth.newBuilder()
                            .setEventId(e.id()).setLabel(e.truth()).setLabelledAt(Instant.ofEpochMilli(labelled)).build()));
                }
            }
            // A duplicate (the first wins) and a label of a class the config does not have.
            Event dup = events.get(3);
            producer.send(new ProducerRecord<>(q.labelsTopic(), null, labelled + 1, dup.id(), GroundTruth.newBuilder()
                    .setEventId(dup.id()).setLabel(dup.truth().equals("directed") ? "undirected" : "directed")
                    .setLabelledAt(Instant.ofEpochMilli(labelled + 1)).build()));
            producer.send(new ProducerRecord<>(q.labelsTopic(), null, labelled + 1, "ev-55", GroundTruth.newBuilder()
                    .setEventId("ev-55").setLabel("maybe").setLabelledAt(Instant.ofEpochMilli(labelled + 1)).build()));
            producer.flush();
        }
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()), new StringSerializer(),
                new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(q.labelsTopic(), "ev-56", "not avro".getBytes(StandardCharsets.UTF_8))).get();
        }

        io.micrometer.prometheusmetrics.PrometheusMeterRegistry meters = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        Map<String, FusionQuality> latest = new LinkedHashMap<>();
        QualityApp app = new QualityApp(config, new QualityTelemetry(meters), new FusionTelemetry(meters));
        try (app; KafkaConsumer<String, FusionQuality> reader = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                AvroDeserializer.specific(FusionQuality.class, registry))) {
            app.streams().cleanUp();
            app.start();
            reader.subscribe(List.of(q.qualityTopic()));
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ZERO).until(() -> {
                for (ConsumerRecord<String, FusionQuality> r : reader.poll(Duration.ofMillis(300))) {
                    latest.put(r.value().getSubset() + "/" + r.value().getRevision(), r.value());
                }
                FusionQuality all = latest.get("all/LAST");
                return all != null && all.getEvents() == 50 && latest.get("all/FIRST").getEvents() == 50;
            });
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
            // Every quality metric the dashboard queries is in the quality app's scrape.
            String scrape = meters.scrape();
            assertThat(io.latefuse.testkit.DashboardMetrics.names().stream()
                    .filter(io.latefuse.testkit.DashboardMetrics::ofQualityApp)).isNotEmpty().allSatisfy(name ->
                    assertThat(scrape).as("dashboards/latefuse.json queries " + name).containsPattern("(?m)^" + name + "[{ ]"));
            assertThat(scrape).contains("latefuse_quality_accuracy{revision=\"first\",subset=\"all\"}");
        }

        // The reference, from the events as produced.
        Map<String, List<QualityOutcome>> expected = new LinkedHashMap<>();
        for (Event e : events) {
            if (e.truth() == null) {
                continue;
            }
            FusedPrediction first = e.revisions().get(0);
            FusedPrediction last = e.revisions().get(e.revisions().size() - 1);
            for (var kind : List.of(Map.entry("FIRST", first), Map.entry("LAST", last))) {
                FusedPrediction p = kind.getValue();
                QualityOutcome o = QualityMathTest.outcome(e.id(), kind.getKey().toLowerCase(), Subsets.of(p.getPresent()),
                        p.getLabel(), e.truth(), p.getScores().get(p.getLabel().equals("directed") ? 0 : 1), null,
                        p.getWaitMs());
                expected.computeIfAbsent(o.getSubset() + "/" + kind.getKey(), k -> new ArrayList<>()).add(o);
                expected.computeIfAbsent("all/" + kind.getKey(), k -> new ArrayList<>()).add(o);
            }
        }
        assertThat(latest.keySet()).containsAll(expected.keySet());
        expected.forEach((row, outcomes) -> {
            FusionQuality got = latest.get(row);
            QualityMathTest.Reference ref = QualityMathTest.Reference.of(outcomes, null);
            assertThat(got.getEvents()).as(row).isEqualTo(ref.n());
            assertThat(got.getCorrect()).as(row).isEqualTo(outcomes.stream()
                    .filter(o -> o.getPredicted().equals(o.getTruth())).count());
            assertThat(got.getAccuracy()).as(row).isCloseTo(ref.accuracy(), within(1e-9));
            assertThat(got.getEce()).as(row).isCloseTo(ref.ece(), within(1e-6));
            assertThat(got.getMeanWaitMs()).as(row).isCloseTo(ref.meanWait(), within(1e-9));
        });
        assertThat(meters.find("latefuse.quality.labels.joined").counter().count()).isEqualTo(50);
        assertThat(meters.find("latefuse.quality.labels.duplicate").counter().count()).isEqualTo(1);

        // Dead letters: the unknown class, naming the event and the value, and the undecodable label.
        List<ConsumerRecord<String, byte[]>> dead = CommittedReader.read(env, config.deadLetterTopic(),
                new ByteArrayDeserializer(), 2);
        Map<String, String> reasons = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : dead) {
            reasons.put(r.key(), new String(r.headers().lastHeader(DeadLetterReason.HEADER).value(), StandardCharsets.UTF_8)
                    + ": " + new String(r.headers().lastHeader(DeadLetterReason.DETAIL_HEADER).value(), StandardCharsets.UTF_8));
        }
        assertThat(reasons.get("ev-55")).startsWith("unknown_class: ").contains("event ev-55").contains("'maybe'");
        assertThat(reasons.get("ev-56")).startsWith("deserialization: ");

        // The labelled topic: one LabelledModalityScore per score held by each judged event, with the true class.
        int expectedLabelled = scoresHeld.values().stream().mapToInt(Integer::intValue).sum();
        List<ConsumerRecord<String, LabelledModalityScore>> labelledRecords = CommittedReader.read(env,
                q.labelledTopic(), AvroDeserializer.specific(LabelledModalityScore.class, registry), scoresHeld.size());
        assertThat(labelledRecords).hasSize(expectedLabelled);
        Map<String, String> truths = new HashMap<>();
        events.forEach(e -> truths.put(e.id(), e.truth()));
        assertThat(labelledRecords).allSatisfy(r -> assertThat(r.value().getLabel()).isEqualTo(truths.get(r.key())));

        // export writes the data file train, evaluate and calibrate read.
        Path out = dir.resolve("labelled.avro");
        java.io.StringWriter said = new java.io.StringWriter();
        picocli.CommandLine cli = Main.commandLine();
        cli.setOut(new java.io.PrintWriter(said));
        long started = System.nanoTime();
        assertThat(cli.execute("export", "--config", configFile.toString(), "--out", out.toString(),
                "--max-events", "100000", "--timeout", "3s")).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("stops once idle").isLessThan(Duration.ofSeconds(60));
        assertThat(said.toString()).contains("Wrote " + expectedLabelled + " labelled scores");
        List<LabelledScores.Event> read = LabelledScores.read(out, config);
        assertThat(read).hasSize(scoresHeld.size());
        assertThat(read).allSatisfy(e -> assertThat(config.classes().get(e.label())).isEqualTo(truths.get(e.eventId())));

        // A topic with no labelled scores: no file that train would refuse, exit code 1, and why.
        String empty = prefix + "empty-labelled";
        try (Admin admin = env.admin()) {
            KafkaEnvironment.createTopics(admin, List.of(new NewTopic(empty, 1, (short) 1)));
        }
        Path none = dir.resolve("none.avro");
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli2 = Main.commandLine();
        cli2.setErr(new java.io.PrintWriter(err));
        assertThat(cli2.execute("export", "--config", configFile.toString(), "--from-topic", empty, "--out",
                none.toString(), "--timeout", "1s")).isEqualTo(1);
        assertThat(none).doesNotExist();
        assertThat(err.toString()).contains("no labelled scores on " + empty).contains("wrote no file");
        registry.close();
    }

    @Test
    void topicsThatAreNotCoPartitionedAreRefusedNamingThemAndTheirCounts(KafkaEnvironment env) throws Exception {
        String prefix = "qitcp" + UUID.randomUUID().toString().substring(0, 6) + ".";
        PipelineConfig config = PipelineConfigLoader.parse(yaml(env, prefix), "QualityIT", Map.of());
        try (Admin admin = env.admin()) {
            List<NewTopic> topics = new ArrayList<>(List.of(new NewTopic(config.outputTopic(), 3, (short) 1),
                    new NewTopic(config.quality().labelsTopic(), 2, (short) 1)));
            config.inputTopics().forEach(t -> topics.add(new NewTopic(t, 3, (short) 1)));
            KafkaEnvironment.createTopics(admin, topics);
            assertThatThrownBy(() -> QualityPreflight.check(admin, config, true, Optional.empty(), Optional.empty()))
                    .isInstanceOf(TopicPreflight.TopicCheckException.class)
                    .hasMessageContaining(config.outputTopic() + ": 3 partitions")
                    .hasMessageContaining(config.quality().labelsTopic() + ": 2 partitions");
        }
    }
}
