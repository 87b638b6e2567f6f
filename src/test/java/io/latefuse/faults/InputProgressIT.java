package io.latefuse.faults;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.LiveScores;
import io.latefuse.testkit.RealKafka;
import io.latefuse.testkit.ScoreTimes;
import io.latefuse.topology.FusionApp;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Input progress on a real broker and registry, through the operations a first review did not think of: scores
 * written by exactly-once scorers (readable only once they commit) and transactions left open, an instance joining
 * and leaving while a modality
 * goes quiet, and the app's producer fenced under traffic (its transaction aborted, its tasks closed dirty and
 * started again). max.wait 500 ms, the default exactly-once guarantee.
 */
@ExtendWith(RealKafka.class)
class InputProgressIT {
    private static final List<String> MODALITIES = List.of("acoustic", "lexical", "prosody");

    private static String prefix(String kind) {
        return kind + UUID.randomUUID().toString().substring(0, 6) + ".";
    }

    private static PipelineConfig pipeline(KafkaEnvironment env, String appIdPrefix, String prefix) throws Exception {
        PipelineConfig config = env.pipeline(appIdPrefix, prefix, "classes: [directed, undirected]\n"
                + "modalities: [{name: acoustic}, {name: lexical}, {name: prosody}]\n"
                + "kafka: {consumer.session.timeout.ms: 6000, consumer.heartbeat.interval.ms: 1000}\n");
        try (var admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(3), Optional.of((short) 1));
        }
        return config;
    }

    private static List<ConsumerRecord<String, FusedPrediction>> output(KafkaEnvironment env, PipelineConfig config,
                                                                        int events) {
        return CommittedReader.read(env, config.outputTopic(), AvroDeserializer.specific(FusedPrediction.class,
                SchemaRegistry.connect(RegistryConfig.of(env.registryUrl()))), events);
    }

    /** Revision 0 of every event, by id; fails on an event answered twice. */
    private static Map<String, FusedPrediction> firstAnswers(List<ConsumerRecord<String, FusedPrediction>> out) {
        Map<String, FusedPrediction> first = new HashMap<>();
        for (ConsumerRecord<String, FusedPrediction> r : out) {
            if (r.value().getRevision() == 0) {
                assertThat(first.put(r.key(), r.value())).as("one revision 0 for " + r.key()).isNull();
            }
        }
        return first;
    }

    @Test
    void exactlyOnceScorersCommittingEvery100msAt300EventsPerSecondDeclareNothingMissing(KafkaEnvironment env,
                                                                                         @TempDir Path dir) throws Exception {
        String prefix = prefix("txn");
        PipelineConfig config = pipeline(env, "txn", prefix);
        int events = 6_000; // 20 s at 300 per second
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.toString()))) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            // Scorer latencies up to max.wait - 150 ms, each score readable only once its transaction commits.
            LiveScores live = new LiveScores(env, MODALITIES, m -> prefix + "scores." + m, "txn-", events, 300, 350, 11,
                    (e, m) -> false).transactional(100).start();
            live.join(120_000);
            // A score counts from its append; deadlines wait for the transactions open on the input. The judge fails
            // on any event DEGRADED whose missing score was appended within max.wait of its first; a score the scorer
            // itself appended late (its sends wait while it commits) is truly late, and must stay rare.
            InputDeadlinesIT.judgeOutput(env, prefix, events, "exactly-once scorers");
        }
    }

    @Test
    void deadlinesWaitForOpenTransactionsAndForWhatIsCommittedBehindThem(KafkaEnvironment env, @TempDir Path dir)
            throws Exception {
        String prefix = prefix("open-txn");
        PipelineConfig config = pipeline(env, "open-txn", prefix);
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        try (SchemaRegistry registry = SchemaRegistry.connect(rc)) {
            config.inputTopics().forEach(t -> registry.register(t + "-value", ModalityScore.getClassSchema()));
        }
        // e2 and e3 on the same partition, so that e3's prosody score sits behind e2's open transaction.
        String e2 = null;
        String e3 = null;
        for (int i = 0; e3 == null; i++) {
            String id = "e-" + i;
            if (e2 == null) {
                e2 = id;
            } else if (partition(id) == partition(e2)) {
                e3 = id;
            }
        }
        String stuckScorer = "stuck-scorer-" + UUID.randomUUID();
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.toString()));
             KafkaProducer<String, ModalityScore> plain = producer(env, rc, null);
             KafkaProducer<String, ModalityScore> slow = producer(env, rc, "slow-scorer-" + UUID.randomUUID());
             KafkaProducer<String, ModalityScore> stuck = producer(env, rc, stuckScorer)) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            slow.initTransactions();
            stuck.initTransactions();

            // e1: its prosody score is appended within max.wait, in a transaction that commits 1.5 s later.
            send(plain, prefix, "e1", "acoustic");
            send(plain, prefix, "e1", "lexical");
            slow.beginTransaction();
            send(slow, prefix, "e1", "prosody");
            // e2: a scorer crashes with its prosody score in an open transaction; e3's prosody score, from another
            // scorer, is committed at once but sits behind it.
            stuck.beginTransaction();
            send(stuck, prefix, e2, "prosody");
            send(plain, prefix, e3, "prosody");
            for (String id : List.of(e2, e3)) {
                send(plain, prefix, id, "acoustic");
                send(plain, prefix, id, "lexical");
            }
            Thread.sleep(1_500);
            long committedAt = System.currentTimeMillis();
            slow.commitTransaction();
            Thread.sleep(1_500);
            // The stuck scorer restarts: its predecessor's open transaction is aborted.
            long abortedAt = System.currentTimeMillis();
            try (KafkaProducer<String, ModalityScore> restarted = producer(env, rc, stuckScorer)) {
                restarted.initTransactions();
            }

            Map<String, List<FusedPrediction>> byEvent = new HashMap<>();
            for (ConsumerRecord<String, FusedPrediction> r : CommittedReader.read(env, config.outputTopic(),
                    AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), 3)) {
                byEvent.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
            }
            assertThat(byEvent.get("e1")).singleElement().satisfies(p -> {
                assertThat(p.getStatus()).as("e1 waited for the commit").isEqualTo(PredictionStatus.COMPLETE);
                assertThat(p.getEmittedAt().toEpochMilli()).isGreaterThanOrEqualTo(committedAt);
            });
            assertThat(byEvent.get(e3)).singleElement().satisfies(p -> {
                assertThat(p.getStatus()).as("e3 waited for the transaction in front of its score")
                        .isEqualTo(PredictionStatus.COMPLETE);
                assertThat(p.getEmittedAt().toEpochMilli()).isGreaterThanOrEqualTo(abortedAt);
            });
            assertThat(byEvent.get(e2)).singleElement().satisfies(p -> {
                assertThat(p.getStatus()).as("e2's score was aborted").isEqualTo(PredictionStatus.DEGRADED);
                assertThat(p.getMissing()).containsExactly("prosody");
                assertThat(p.getEmittedAt().toEpochMilli()).isGreaterThanOrEqualTo(abortedAt);
            });
        }
    }

    private static int partition(String key) {
        return org.apache.kafka.common.utils.Utils.toPositive(
                org.apache.kafka.common.utils.Utils.murmur2(key.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % 3;
    }

    private static KafkaProducer<String, ModalityScore> producer(KafkaEnvironment env, RegistryConfig rc,
                                                                  String transactionalId) {
        Map<String, Object> props = new HashMap<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()));
        if (transactionalId != null) {
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return new KafkaProducer<>(props, new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false));
    }

    private static void send(KafkaProducer<String, ModalityScore> p, String prefix, String id, String modality)
            throws Exception {
        p.send(new ProducerRecord<>(prefix + "scores." + modality, id, score(id, modality))).get();
    }

    @Test
    void anInstanceJoiningAndLeavingWhileAModalityGoesQuietAnswersEveryEventWithinMaxWaitAndTheRebalance(
            KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = prefix("scale");
        PipelineConfig config = pipeline(env, "scale", prefix);
        int events = 3_000; // 30 s at 100 per second
        AtomicInteger prosodyQuietFrom = new AtomicInteger(Integer.MAX_VALUE);
        try (FusionApp a = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("a").toString()))) {
            a.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> a.streams().state() == KafkaStreams.State.RUNNING);
            LiveScores live = new LiveScores(env, MODALITIES, m -> prefix + "scores." + m, "scale-", events, 100, 200, 13,
                    (e, m) -> m == 2 && e >= prosodyQuietFrom.get()).start();
            Thread.sleep(4_000);
            try (FusionApp b = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("b").toString()))) {
                b.start(); // scale-out: some of a's partitions move to b, some polled by a and not yet processed
                await().atMost(Duration.ofSeconds(60)).until(() -> b.streams().state() == KafkaStreams.State.RUNNING
                        && !b.streams().metadataForLocalThreads().iterator().next().activeTasks().isEmpty());
                Thread.sleep(4_000);
                prosodyQuietFrom.set(live.sentEvents()); // prosody's camera is switched off from now on
                Thread.sleep(1_000);
            } // scale-in: b leaves, and its partitions come back to a, prosody's idle
            assertThat(live.sentEvents()).as("the rebalances land while events are sent").isLessThan(events);
            live.join(120_000);
            Map<String, FusedPrediction> first = firstAnswers(output(env, config, events));
            assertThat(first).as("every event answered, once").hasSize(events);
            ScoreTimes times = ScoreTimes.read(env, prefix, MODALITIES);
            List<Long> pastDeadline = new ArrayList<>();
            int quiet = 0;
            int falseDegraded = 0;
            for (FusedPrediction p : first.values()) {
                boolean prosodyWritten = times.has(p.getEventId(), "prosody");
                if (!prosodyWritten) {
                    quiet++;
                    assertThat(p.getStatus()).as(p.getEventId()).isEqualTo(PredictionStatus.DEGRADED);
                    assertThat(p.getMissing()).as(p.getEventId()).containsExactly("prosody");
                    pastDeadline.add(p.getEmittedAt().toEpochMilli() - p.getDeadline().toEpochMilli());
                } else if (p.getStatus() == PredictionStatus.DEGRADED) {
                    long firstWrite = times.firstWrite(p.getEventId());
                    boolean trulyLate = p.getMissing().stream()
                            .anyMatch(m -> times.written(p.getEventId(), m) - firstWrite > 500);
                    falseDegraded += trulyLate ? 0 : 1;
                }
            }
            pastDeadline.sort(Long::compare);
            System.err.printf("InputProgressIT scale-out and in: %d events, %d with prosody quiet, declared DEGRADED p50 "
                            + "%d ms, p99 %d ms, max %d ms after the deadline; %d false DEGRADED%n", events, quiet,
                    pastDeadline.get(pastDeadline.size() / 2),
                    pastDeadline.get((int) Math.ceil(pastDeadline.size() * 0.99) - 1),
                    pastDeadline.get(pastDeadline.size() - 1), falseDegraded);
            assertThat(quiet).as("events after prosody went quiet").isGreaterThan(1_000);
            assertThat(falseDegraded).isZero();
            assertThat(pastDeadline.get(pastDeadline.size() - 1))
                    .as("every quiet event declared within max.wait plus a few seconds of the rebalance")
                    .isLessThanOrEqualTo(10_000);
        }
    }

    @Test
    void theAppsProducerFencedThreeTimesUnderTrafficDeclaresNothingMissingLosesNothingDuplicatesNothing(
            KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = prefix("fence");
        PipelineConfig config = pipeline(env, "fence", prefix);
        int events = 5_000; // 25 s at 200 per second
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.toString()));
             Admin admin = env.admin()) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            LiveScores live = new LiveScores(env, MODALITIES, m -> prefix + "scores." + m, "fence-", events, 200, 300, 17,
                    (e, m) -> false).start();
            int fenced = 0;
            for (int i = 0; i < 3; i++) {
                Thread.sleep(6_000);
                // The app's open transaction is aborted and its producer fenced: Kafka Streams closes its tasks dirty,
                // rolls their state back, and reads again from the committed offsets.
                for (TransactionListing t : admin.listTransactions().all().get(30, TimeUnit.SECONDS)) {
                    if (t.transactionalId().startsWith(config.applicationId())) {
                        try (KafkaProducer<byte[], byte[]> fencer = new KafkaProducer<>(Map.of(
                                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                                ProducerConfig.TRANSACTIONAL_ID_CONFIG, t.transactionalId()),
                                new ByteArraySerializer(), new ByteArraySerializer())) {
                            fencer.initTransactions();
                            fenced++;
                        }
                    }
                }
            }
            assertThat(fenced).as("the app's transactional producer was found and fenced each time").isGreaterThanOrEqualTo(3);
            live.join(120_000);
            InputDeadlinesIT.Tally t = InputDeadlinesIT.judgeOutput(env, prefix, events, "producer fenced 3 times");
            assertThat(t.revisionZero).hasSize(events);
            System.err.printf("InputProgressIT fenced %d times: %d COMPLETE, %d DEGRADED, %d revisions%n", fenced,
                    t.complete, t.degraded, t.revisions);
        }
    }

    private static ModalityScore score(String id, String modality) {
        return ModalityScore.newBuilder().setEventId(id).setModality(modality).setModel(modality).setModelVersion("1")
                .setScores(List.of(0.6f, 0.4f)).setScoreType(ScoreType.PROBABILITY).setEventTime(Instant.now()).build();
    }
}
