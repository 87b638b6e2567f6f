package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The fusion app as a real KafkaStreams instance on the embedded KRaft broker and the real registry. */
@ExtendWith(RealKafka.class)
class FusionIT {
    private static final List<String> MODALITIES = List.of("acoustic", "lexical", "prosody", "visual");
    private static final long MAX_WAIT_MS = 2_000;
    private static final long PUNCTUATION_MS = 200;
    /**
     * DESIGN.md's bound once input is caught up: one punctuation interval, plus the end-offset probe's age (half an
     * interval) and the replication allowance (half an interval), plus the stream thread's own work in between (a
     * transaction commit, an offsets probe's round trip, the batch's fusion). The last was left out until the tail
     * met it: 2,399, 2,401 and 2,412 ms against 2,400 in runs on a quiet machine and in CI (p99 about 2,350-2,370).
     */
    private static final long THREAD_WORK_ALLOWANCE_MS = 150;
    private static final long DEGRADED_BOUND_MS = MAX_WAIT_MS + 2 * PUNCTUATION_MS + THREAD_WORK_ALLOWANCE_MS;
    private static KafkaEnvironment env;

    @BeforeAll
    static void services(KafkaEnvironment services) {
        env = services;
    }

    private static PipelineConfig config(String prefix) {
        return config(prefix, "");
    }

    private static PipelineConfig config(String prefix, String extraYaml) {
        return PipelineConfigLoader.parse("""
                application.id: %s
                bootstrap.servers: %s
                schema.registry.url: %s
                topic.prefix: %s
                classes: [directed, undirected]
                strategy: log_odds
                modalities:
                  - {name: acoustic}
                  - {name: lexical}
                  - {name: prosody}
                  - {name: visual, required: false}
                max.wait: %dms
                punctuation.interval: %dms
                processing.guarantee: exactly_once_v2
                """.formatted(KafkaEnvironment.freshAppId("fusion-it"), env.bootstrapServers(), env.registryUrl(),
                prefix, MAX_WAIT_MS, PUNCTUATION_MS) + extraYaml, "FusionIT", Map.of());
    }

    private static String freshPrefix() {
        return "it" + UUID.randomUUID().toString().substring(0, 6) + ".";
    }

    @Test
    void twoThousandEventsWithRandomMissingModalitiesGiveExactlyOneRevisionZeroEach(@TempDir Path stateDir) throws Exception {
        PipelineConfig config = config(freshPrefix());
        try (Admin admin = env.admin()) {
            // 4 score topics with 3 partitions each; the preflight creates the output and dead-letter topics.
            List<NewTopic> topics = new ArrayList<>();
            config.inputTopics().forEach(t -> topics.add(new NewTopic(t, 3, (short) 1)));
            KafkaEnvironment.createTopics(admin, topics);
            assertThat(TopicPreflight.check(admin, config, true, Optional.of(3), Optional.of((short) 1))).isEqualTo(3);
        }

        // Which modalities each event gets: every subset occurs; visual (optional) is often off.
        Random rnd = new Random(7);
        Map<String, List<String>> sent = new LinkedHashMap<>();
        for (int e = 0; e < 2_000; e++) {
            List<String> subset = new ArrayList<>();
            for (String m : MODALITIES) {
                if (rnd.nextDouble() < (m.equals("visual") ? 0.5 : 0.85)) {
                    subset.add(m);
                }
            }
            if (subset.isEmpty()) {
                subset.add(MODALITIES.get(rnd.nextInt(3)));
            }
            sent.put("utt-" + e, subset);
        }

        try (FusionApp app = new FusionApp(config, Map.of(
                StreamsConfig.STATE_DIR_CONFIG, stateDir.toString(),
                // Short commits: read_committed consumers see outputs soon after they are made.
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"))) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);

            // Scorers register their schema when they start, not on an event's critical path: a cold registry
            // can take a second per subject, longer than max.wait.
            try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.of(env.registryUrl()))) {
                config.inputTopics().forEach(t -> registry.register(t + "-value", ModalityScore.getClassSchema()));
            }
            Map<String, Long> firstSend = new HashMap<>();
            try (KafkaProducer<String, ModalityScore> producer = scoreProducer()) {
                // One warm-up event end to end: the first transactions of a fresh app (producer fencing, the
                // coordinator answering CONCURRENT_TRANSACTIONS while it completes the previous commit) can block
                // the stream thread for more than max.wait, which would rightly degrade the events then pending.
                for (String m : List.of("acoustic", "lexical", "prosody")) {
                    producer.send(new ProducerRecord<>(config.inputTopics().get(config.modalityIndex(m)), "warm-up",
                            FusionDriver.score("warm-up", m, 0.5f, Instant.now())));
                }
                producer.flush();
                assertThat(readCommitted(config.outputTopic(), 1)).extracting(ConsumerRecord::key).containsExactly("warm-up");

                List<String> ids = new ArrayList<>(sent.keySet());
                // Live traffic at 250 events/s (about 800 records/s), shuffled within batches of 20 events:
                // arrival order is random, yet an event's scores arrive close together, so "all required
                // arrived" means COMPLETE rather than a race between a backlog and max.wait.
                long start = System.nanoTime();
                for (int b = 0; b < ids.size(); b += 20) {
                    long due = start + TimeUnit.MILLISECONDS.toNanos(b / 20 * 80L);
                    while (System.nanoTime() < due) {
                        Thread.sleep(1);
                    }
                    List<ModalityScore> batch = new ArrayList<>();
                    for (String id : ids.subList(b, Math.min(ids.size(), b + 20))) {
                        for (String m : sent.get(id)) {
                            batch.add(FusionDriver.score(id, m, rnd.nextFloat(), Instant.now()));
                        }
                    }
                    Collections.shuffle(batch, rnd);
                    for (ModalityScore s : batch) {
                        firstSend.putIfAbsent(s.getEventId(), System.currentTimeMillis());
                        producer.send(new ProducerRecord<>(config.modalities().get(config.modalityIndex(s.getModality())).topic(),
                                s.getEventId(), s));
                    }
                    producer.flush();
                }
            }

            // Read with read_committed until every event has its revision 0, then a little longer for duplicates.
            List<ConsumerRecord<String, FusedPrediction>> out = readCommitted(config.outputTopic(), sent.size() + 1);

            Map<String, Integer> revisionZero = new HashMap<>();
            Map<String, FusedPrediction> latest = new HashMap<>();
            List<Long> degradedWaits = new ArrayList<>();
            List<Long> degradedEndToEnd = new ArrayList<>();
            for (ConsumerRecord<String, FusedPrediction> r : out) {
                FusedPrediction p = r.value();
                assertThat(r.key()).isEqualTo(p.getEventId());
                if (p.getEventId().equals("warm-up")) {
                    continue;
                }
                latest.merge(p.getEventId(), p, (a, b) -> b.getRevision() > a.getRevision() ? b : a);
                if (p.getRevision() != 0) {
                    continue;
                }
                revisionZero.merge(p.getEventId(), 1, Integer::sum);
                List<String> subset = sent.get(p.getEventId());
                boolean required = subset.containsAll(List.of("acoustic", "lexical", "prosody"));
                assertThat(p.getStatus()).as(p.getEventId() + " got " + subset + ": " + p)
                        .isEqualTo(required ? PredictionStatus.COMPLETE : PredictionStatus.DEGRADED);
                // Visual is optional with optional.wait 0: if it trails the required ones it comes in a revision.
                assertThat(p.getPresent()).isSubsetOf(subset).containsAll(
                        subset.stream().filter(m -> !m.equals("visual")).toList());
                if (p.getStatus() == PredictionStatus.DEGRADED) {
                    degradedWaits.add(p.getWaitMs());
                    degradedEndToEnd.add(r.timestamp() - firstSend.get(p.getEventId()));
                }
            }
            assertThat(revisionZero).hasSize(sent.size()).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            // The last revision of each event has everything that was sent for it, in config order.
            assertThat(latest).allSatisfy((id, p) -> assertThat(p.getPresent())
                    .containsExactlyElementsOf(MODALITIES.stream().filter(sent.get(id)::contains).toList()));
            long revisions = out.stream().filter(r -> r.value().getRevision() > 0).count();

            Collections.sort(degradedWaits);
            Collections.sort(degradedEndToEnd);
            assertThat(degradedWaits).isNotEmpty();
            assertThat(degradedWaits.get(0)).isGreaterThanOrEqualTo(MAX_WAIT_MS);
            System.err.printf("FusionIT: %d events, %d degraded, %d revisions; degraded wait_ms min %d p50 %d p99 %d max %d "
                            + "(bound %d); first send to degraded output timestamp p50 %d max %d ms%n",
                    sent.size(), degradedWaits.size(), revisions, degradedWaits.get(0), pct(degradedWaits, 50),
                    pct(degradedWaits, 99), degradedWaits.get(degradedWaits.size() - 1), DEGRADED_BOUND_MS,
                    pct(degradedEndToEnd, 50), degradedEndToEnd.get(degradedEndToEnd.size() - 1));
            assertThat(degradedWaits.get(degradedWaits.size() - 1)).isLessThanOrEqualTo(DEGRADED_BOUND_MS);
        }
    }

    @Test
    void changelogsRollEveryTenMinutesKeepTombstonesAnHourAndTheUsersTopicConfigsWin(@TempDir Path stateDir)
            throws Exception {
        // The user sets the segment time for every internal topic; latefuse's per-store configs must not override it.
        PipelineConfig config = config(freshPrefix(), "kafka: {topic.segment.ms: 1234567}\n");
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(1), Optional.of((short) 1));
        }
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString()))) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            try (Admin admin = env.admin()) {
                Map<String, String> pending = topicConfig(admin, config.applicationId() + "-pending-changelog");
                Map<String, String> emitted = topicConfig(admin, config.applicationId() + "-emitted-changelog");
                assertThat(pending).containsEntry("cleanup.policy", "compact").containsEntry("segment.ms", "1234567")
                        .containsEntry("delete.retention.ms", String.valueOf(ChangelogTopics.TOMBSTONE_RETENTION.toMillis()));
                long keep = FusionTopology.emittedKeep(config.lateRetention()).toMillis();
                assertThat(emitted).containsEntry("cleanup.policy", "compact,delete")
                        .containsEntry("segment.ms", "1234567").containsEntry("message.timestamp.type", "LogAppendTime")
                        .containsEntry("retention.ms", String.valueOf(keep + ChangelogTopics.WINDOW_MARGIN.toMillis()));
            }
        }
        // Without the user's, latefuse's 10 minutes.
        PipelineConfig plain = config(freshPrefix());
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, plain, true, Optional.of(1), Optional.of((short) 1));
        }
        try (FusionApp app = new FusionApp(plain, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("2").toString()))) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            try (Admin admin = env.admin()) {
                String tenMinutes = String.valueOf(ChangelogTopics.SEGMENT.toMillis());
                assertThat(topicConfig(admin, plain.applicationId() + "-pending-changelog")).containsEntry("segment.ms", tenMinutes);
                assertThat(topicConfig(admin, plain.applicationId() + "-emitted-changelog")).containsEntry("segment.ms", tenMinutes);
            }
        }
    }

    private static Map<String, String> topicConfig(Admin admin, String topic) throws Exception {
        org.apache.kafka.common.config.ConfigResource r =
                new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
        Map<String, String> out = new HashMap<>();
        admin.describeConfigs(List.of(r)).all().get().get(r).entries().forEach(e -> out.put(e.name(), e.value()));
        return out;
    }

    @Test
    void badRecordsLandInTheDeadLetterTopicWithTheirReasons(@TempDir Path stateDir) throws Exception {
        PipelineConfig config = config(freshPrefix());
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(1), Optional.of((short) 1));
        }
        String acoustic = config.inputTopics().get(0);
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString(),
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"))) {
            app.start();
            byte[] unknownId;
            try (KafkaProducer<String, ModalityScore> producer = scoreProducer()) {
                ModalityScore wrongLength = FusionDriver.score("b2", "acoustic", 0.5f);
                wrongLength.setScores(List.of(0.5f));
                ModalityScore nan = FusionDriver.score("b3", "acoustic", 0.5f);
                nan.setScores(List.of(Float.NaN, 0.5f));
                producer.send(new ProducerRecord<>(acoustic, "b1", FusionDriver.score("b1", "camera", 0.5f)));
                producer.send(new ProducerRecord<>(acoustic, "b2", wrongLength));
                producer.send(new ProducerRecord<>(acoustic, "b3", nan));
                producer.send(new ProducerRecord<>(acoustic, "not-b4", FusionDriver.score("b4", "acoustic", 0.5f)));
                producer.flush();
                unknownId = new AvroSerializer<ModalityScore>(SchemaRegistry.connect(RegistryConfig.of(env.registryUrl())),
                        RegistryConfig.of(env.registryUrl()), false).serialize(acoustic, FusionDriver.score("b6", "acoustic", 0.5f));
                ByteBuffer.wrap(unknownId).putInt(1, 987_654);
            }
            try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(acoustic, bytes("b5"), new byte[] {'{', '"', 'x', '"', '}'})).get();
                raw.send(new ProducerRecord<>(acoustic, bytes("b6"), unknownId)).get();
            }
            // A good event afterwards still comes through.
            try (KafkaProducer<String, ModalityScore> producer = scoreProducer()) {
                for (String m : List.of("acoustic", "lexical", "prosody")) {
                    producer.send(new ProducerRecord<>(config.inputTopics().get(config.modalityIndex(m)), "ok",
                            FusionDriver.score("ok", m, 0.9f)));
                }
            }
            assertThat(readCommitted(config.outputTopic(), 1)).extracting(r -> r.value().getEventId()).containsExactly("ok");

            Map<String, String> reasonByKey = new HashMap<>();
            Map<String, String> detailByKey = new HashMap<>();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(config.deadLetterTopic()));
                long deadline = System.currentTimeMillis() + 30_000;
                while (reasonByKey.size() < 6 && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        String key = new String(r.key(), StandardCharsets.UTF_8);
                        reasonByKey.put(key, header(r, DeadLetterReason.HEADER));
                        detailByKey.put(key, header(r, DeadLetterReason.DETAIL_HEADER));
                    }
                }
            }
            assertThat(reasonByKey).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "b1", "unknown_modality", "b2", "wrong_length", "b3", "not_finite", "not-b4", "key_mismatch",
                    "b5", "deserialization", "b6", "deserialization"));
            assertThat(detailByKey.get("b5")).contains("Unknown magic byte 0x7b");
            assertThat(detailByKey.get("b6")).contains("Unknown schema id 987654");
            assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
        }
    }

    @Test
    void startupRefusesScoreTopicsThatAreNotCoPartitioned() throws Exception {
        PipelineConfig config = config(freshPrefix());
        try (Admin admin = env.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            for (int i = 0; i < config.inputTopics().size(); i++) {
                topics.add(new NewTopic(config.inputTopics().get(i), i == 2 ? 2 : 3, (short) 1));
            }
            KafkaEnvironment.createTopics(admin, topics);
            assertThatThrownBy(() -> TopicPreflight.check(admin, config, true, Optional.empty(), Optional.empty()))
                    .isInstanceOf(TopicPreflight.TopicCheckException.class)
                    .hasMessageContaining(config.inputTopics().get(0) + ": 3 partitions")
                    .hasMessageContaining(config.inputTopics().get(2) + ": 2 partitions")
                    .hasMessageContaining(config.inputTopics().get(3) + ": 3 partitions");
        }
        PipelineConfig missing = config(freshPrefix());
        try (Admin admin = env.admin()) {
            assertThatThrownBy(() -> TopicPreflight.check(admin, missing, false, Optional.empty(), Optional.empty()))
                    .hasMessageContaining("Missing topics").hasMessageContaining(missing.inputTopics().get(0))
                    .hasMessageContaining("--create-topics");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static long pct(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static KafkaProducer<String, ModalityScore> scoreProducer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(RegistryConfig.of(env.registryUrl())),
                RegistryConfig.of(env.registryUrl()), false));
    }

    private static List<ConsumerRecord<String, FusedPrediction>> readCommitted(String topic, int distinctEvents) {
        return CommittedReader.read(env, topic, AvroDeserializer.specific(FusedPrediction.class,
                SchemaRegistry.connect(RegistryConfig.of(env.registryUrl()))), distinctEvents);
    }

    private static Map<String, Object> consumerProps() {
        return Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    }
}
