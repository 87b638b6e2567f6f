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
import io.latefuse.testkit.AppProcess;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.LiveScores;
import io.latefuse.testkit.RealKafka;
import io.latefuse.topology.FusionApp;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The input deadline clock on a real broker and registry, with the default timing (max.wait 500 ms): no event is
 * declared DEGRADED while one of its scores sits unread, through a cold start on a backlog, a SIGKILL with 8 s down
 * under live traffic, and a rolling restart of three instances; and on idle input a missing modality is still
 * declared within max.wait plus a punctuation interval.
 */
@ExtendWith(RealKafka.class)
class InputDeadlinesIT {
    private static final List<String> MODALITIES = List.of("acoustic", "lexical", "prosody");

    private static String body() {
        return "classes: [directed, undirected]\nmodalities: [{name: acoustic}, {name: lexical}, {name: prosody}]\n";
    }

    private static String prefix(String kind) {
        return kind + UUID.randomUUID().toString().substring(0, 6) + ".";
    }

    @Test
    void aColdStartOnABacklogDeclaresNothingMissing(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = prefix("cold");
        PipelineConfig config = env.pipeline("cold", prefix, body());
        try (var admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(3), Optional.of((short) 1));
        }
        // Every score of 5,000 events is written before the app starts. Scorers register their schema when they
        // start: registering a fresh subject on the first send can take a second, which would make the first
        // events' other scores truly late (written more than max.wait after their first).
        int events = 5_000;
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        try (SchemaRegistry registry = SchemaRegistry.connect(rc)) {
            config.inputTopics().forEach(t -> registry.register(t + "-value", ModalityScore.getClassSchema()));
        }
        try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 20),
                new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
            for (int e = 0; e < events; e++) {
                String id = "cold-" + e;
                for (String m : MODALITIES) {
                    p.send(new ProducerRecord<>(prefix + "scores." + m, id, score(id, m)));
                }
            }
        }
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.toString()))) {
            app.start();
            judgeOutput(env, prefix, events, "cold start");
        }
    }

    @Test
    void onIdleInputAMissingModalityIsDeclaredWithinMaxWaitAndAPunctuation(KafkaEnvironment env, @TempDir Path dir)
            throws Exception {
        String prefix = prefix("idle");
        PipelineConfig config = env.pipeline("idle", prefix, body());
        try (var admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(3), Optional.of((short) 1));
        }
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.toString()));
             KafkaConsumer<String, FusedPrediction> reader = reader(env, config.outputTopic(), rc)) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            // Warm-up: a fresh app declares its first events up to 300 ms late while the JIT compiles its paths
            // (seen here: 100-326 ms for the first 20, then 10-130 ms). The claim is about the app in service.
            LiveScores warmUp = new LiveScores(env, MODALITIES, m -> prefix + "scores." + m, "warm-", 40, 20, 50, 3,
                    (e, m) -> m == 2).start();
            int warm = 0;
            long warmUntil = System.currentTimeMillis() + 60_000;
            while (warm < 40 && System.currentTimeMillis() < warmUntil) {
                warm += reader.poll(Duration.ofMillis(20)).count();
            }
            warmUp.join(30_000);
            assertThat(warm).as("warm-up predictions").isEqualTo(40);
            // 100 events at 20 per second; prosody's scorer never answers. The scores arrive within 50 ms of each
            // other, then the input goes idle until the next event.
            int events = 100;
            LiveScores live = new LiveScores(env, MODALITIES, m -> prefix + "scores." + m, "idle-", events, 20, 50, 7,
                    (e, m) -> m == 2).start();
            List<Long> latencies = new ArrayList<>();
            List<Long> pastDeadline = new ArrayList<>();
            Map<String, Long> seen = new HashMap<>();
            long until = System.currentTimeMillis() + 60_000;
            while (seen.size() < events && System.currentTimeMillis() < until) {
                for (ConsumerRecord<String, FusedPrediction> r : reader.poll(Duration.ofMillis(20))) {
                    long received = System.currentTimeMillis();
                    FusedPrediction p = r.value();
                    assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
                    assertThat(p.getMissing()).containsExactly("prosody");
                    assertThat(seen.put(r.key(), received)).as("one prediction per event").isNull();
                    // From the event's start (its first score is written at or after it) to the prediction in hand.
                    latencies.add(received - p.getEventTime().toEpochMilli());
                    // The app's own part: how long after the event's deadline it declared the event.
                    assertThat(p.getDeadline().toEpochMilli() - p.getFirstArrival().toEpochMilli()).isEqualTo(500);
                    pastDeadline.add(p.getEmittedAt().toEpochMilli() - p.getDeadline().toEpochMilli());
                }
            }
            live.join(30_000);
            assertThat(seen).hasSize(events);
            latencies.sort(Long::compare);
            pastDeadline.sort(Long::compare);
            long p50 = latencies.get(latencies.size() / 2);
            long p99 = latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1);
            long declaredP99 = pastDeadline.get((int) Math.ceil(pastDeadline.size() * 0.99) - 1);
            System.err.printf("InputDeadlinesIT idle input: DEGRADED after p50 %d ms, p99 %d ms, max %d ms from the event's "
                    + "first score (max.wait 500 ms, punctuation 50 ms, commit 100 ms); declared p50 %d ms, p99 %d ms, "
                    + "max %d ms after the deadline%n", p50, p99, latencies.get(latencies.size() - 1),
                    pastDeadline.get(pastDeadline.size() / 2), declaredP99, pastDeadline.get(pastDeadline.size() - 1));
            assertThat(latencies.get(0)).as("never before max.wait").isGreaterThanOrEqualTo(500);
            assertThat(pastDeadline.get(0)).as("never declared before the deadline").isGreaterThanOrEqualTo(0);
            // The claim: within one punctuation (50 ms) of the deadline, with a margin for a loaded 2-core runner.
            assertThat(declaredP99).as("declared past the deadline, p99").isLessThanOrEqualTo(50 + 200);
            // In the reader's hands: max.wait + one punctuation, plus what delivery adds (a scorer latency up to
            // 50 ms, the 100 ms exactly-once commit before a read_committed reader sees it). The median holds it
            // with a margin; the tail is the broker's and this machine's (a CI run saw a 400 ms stall).
            assertThat(p50).isLessThanOrEqualTo(500 + 50 + 50 + 100 + 200);
            assertThat(p99).isLessThanOrEqualTo(2_000);
        }
    }

    @Test
    void killedAndDown8sUnderLiveTrafficEveryEventIsCompleteOnceWithNoRevision(KafkaEnvironment env, @TempDir Path dir)
            throws Exception {
        String prefix = prefix("kill");
        Path config = writeConfig(env, dir, "kill", prefix, dir.resolve("state"));
        int events = 9_000; // 30 s at 300 events per second
        try (AppProcess first = AppProcess.start(config, dir.resolve("run-1.log")).awaitRunning()) {
            LiveScores live = new LiveScores(env, MODALITIES, m -> prefix + "scores." + m, "kill-", events, 300, 300, 3,
                    (e, m) -> false).start();
            await().atMost(Duration.ofSeconds(60)).until(() -> live.sentEvents() >= 2_400);
            first.kill();
            Thread.sleep(8_000); // down 8 s while the scorers keep writing
            try (AppProcess second = AppProcess.start(config, dir.resolve("run-2.log")).awaitRunning()) {
                live.join(120_000);
                judgeOutput(env, prefix, events, "kill -9, 8 s down");
            }
        }
    }

    @Test
    void aRollingRestartOfThreeInstancesDeclaresNothingMissing(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = prefix("roll");
        String appId = KafkaEnvironment.freshAppId("roll");
        Path[] configs = new Path[3];
        for (int i = 0; i < 3; i++) {
            configs[i] = writeConfig(env, dir, appId, prefix, dir.resolve("state-" + i), i);
        }
        // 90 s at 200 events per second: three restarts take about a minute, more on a loaded machine, and must
        // all land while events are still being sent.
        int events = 18_000;
        AppProcess[] apps = new AppProcess[3];
        try {
            for (int i = 0; i < 3; i++) {
                apps[i] = AppProcess.start(configs[i], dir.resolve("app-" + i + "-run-0.log"));
            }
            for (AppProcess a : apps) {
                a.awaitRunning();
            }
            LiveScores live = new LiveScores(env, MODALITIES, m -> prefix + "scores." + m, "roll-", events, 200, 300, 5,
                    (e, m) -> false).start();
            Thread.sleep(5_000);
            // Each instance in turn: stopped (SIGTERM: it commits and leaves the group), then started again.
            for (int i = 0; i < 3; i++) {
                apps[i].stop();
                Thread.sleep(2_000);
                apps[i] = AppProcess.start(configs[i], dir.resolve("app-" + i + "-run-1.log")).awaitRunning();
                Thread.sleep(3_000);
            }
            assertThat(live.sentEvents()).as("the restarts must land while events are being sent").isLessThan(events);
            live.join(120_000);
            judgeOutput(env, prefix, events, "rolling restart of 3");
        } finally {
            for (AppProcess a : apps) {
                if (a != null) {
                    a.close();
                }
            }
        }
    }

    /** Reads the app's output as a downstream consumer would, reports it, and judges it. */
    static Tally judgeOutput(KafkaEnvironment env, String prefix, int events, String scenario) {
        Tally t = Tally.of(CommittedReader.read(env, prefix + "fused", AvroDeserializer.specific(
                FusedPrediction.class, SchemaRegistry.connect(RegistryConfig.of(env.registryUrl()))), events));
        System.err.printf("InputDeadlinesIT %s: %d events, %d COMPLETE, %d DEGRADED, %d revisions%n",
                scenario, events, t.complete, t.degraded, t.revisions);
        t.explainDegraded(env, prefix);
        t.assertEveryEventOnceComplete(env, prefix, events);
        return t;
    }

    /** Revision-0 predictions per event, by status, and revisions. */
    static final class Tally {
        final Map<String, Integer> revisionZero = new HashMap<>();
        int complete;
        int degraded;
        int revisions;

        List<ConsumerRecord<String, FusedPrediction>> out = List.of();

        static Tally of(List<ConsumerRecord<String, FusedPrediction>> out) {
            Tally t = new Tally();
            t.out = out;
            for (ConsumerRecord<String, FusedPrediction> r : out) {
                if (r.value().getRevision() > 0) {
                    t.revisions++;
                    continue;
                }
                t.revisionZero.merge(r.key(), 1, Integer::sum);
                if (r.value().getStatus() == PredictionStatus.COMPLETE) {
                    t.complete++;
                } else {
                    t.degraded++;
                    t.degradedOnes.add(r.value());
                }
            }
            return t;
        }

        final List<FusedPrediction> degradedOnes = new ArrayList<>();

        /** For a failure's diagnosis: a few DEGRADED predictions, and when their missing scores were written. */
        void explainDegraded(KafkaEnvironment env, String prefix) {
            if (degradedOnes.isEmpty()) {
                return;
            }
            io.latefuse.testkit.ScoreTimes times = io.latefuse.testkit.ScoreTimes.read(env, prefix, MODALITIES);
            for (FusedPrediction p : degradedOnes.subList(0, Math.min(5, degradedOnes.size()))) {
                StringBuilder sb = new StringBuilder();
                for (String m : p.getMissing()) {
                    sb.append(m).append(" written ").append(times.written(p.getEventId(), m) - p.getDeadline().toEpochMilli())
                            .append(" ms after the deadline; ");
                }
                System.err.printf("  DEGRADED %s (first written %s): %s%n    %s%n", p.getEventId(), p.getFirstArrival(),
                        sb, p.getDegradedReason());
            }
        }

        /**
         * Every event answered exactly once; no event DEGRADED, and no revision, unless a score of it was truly late:
         * written (by the broker's clock) more than max.wait after its event's first score, which a producer stalled
         * on a slow send can do. Those are counted and printed, and must stay rare.
         */
        void assertEveryEventOnceComplete(KafkaEnvironment env, String prefix, int events) {
            assertThat(revisionZero).as("one revision 0 per event, none lost").hasSize(events)
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            if (degraded == 0 && revisions == 0) {
                return;
            }
            io.latefuse.testkit.ScoreTimes times = io.latefuse.testkit.ScoreTimes.read(env, prefix, MODALITIES);
            int falseDegraded = 0;
            for (FusedPrediction p : degradedOnes) {
                long first = times.firstWrite(p.getEventId());
                boolean trulyLate = p.getMissing().stream().anyMatch(m -> times.written(p.getEventId(), m) - first > 500);
                falseDegraded += trulyLate ? 0 : 1;
            }
            System.err.printf("  of %d DEGRADED, %d for a score written within max.wait of its event's first%n",
                    degraded, falseDegraded);
            assertThat(falseDegraded).as("DEGRADED although every missing score was written within max.wait").isZero();
            List<Long> lateness = times.revisionLateness(out);
            assertThat(lateness).as("revisions only for scores written more than max.wait after their event's first")
                    .allSatisfy(l -> assertThat(l).isGreaterThan(500L));
            assertThat(degraded).as("truly late scores stay rare (a stalled producer)").isLessThanOrEqualTo(events / 100);
        }
    }

    private static Path writeConfig(KafkaEnvironment env, Path dir, String appIdPrefix, String prefix, Path state)
            throws Exception {
        return writeConfig(env, dir, KafkaEnvironment.freshAppId(appIdPrefix), prefix, state, 0);
    }

    private static Path writeConfig(KafkaEnvironment env, Path dir, String appId, String prefix, Path state, int n)
            throws Exception {
        Path file = dir.resolve("pipeline-" + n + ".yaml");
        Files.writeString(file, "application.id: " + appId + "\nbootstrap.servers: " + env.bootstrapServers()
                + "\nschema.registry.url: " + env.registryUrl() + "\ntopic.prefix: " + prefix + "\n" + body()
                // -Dlatefuse.it.clock=processing_time runs the same scenarios on the old clock, for comparison.
                + "deadline.clock: " + System.getProperty("latefuse.it.clock", "input") + "\n"
                // A killed instance is noticed only after the session timeout: keep it short, as a fast-failover
                // deployment would, so that its successor takes over within the 8 s it is down.
                + "kafka: {state.dir: " + state + ", consumer.session.timeout.ms: 6000, consumer.heartbeat.interval.ms: 1000}\n");
        return file;
    }

    private static KafkaConsumer<String, FusedPrediction> reader(KafkaEnvironment env, String topic, RegistryConfig rc) {
        KafkaConsumer<String, FusedPrediction> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)));
        c.subscribe(List.of(topic));
        return c;
    }

    private static ModalityScore score(String id, String modality) {
        return ModalityScore.newBuilder().setEventId(id).setModality(modality).setModel(modality).setModelVersion("1")
                .setScores(List.of(0.6f, 0.4f)).setScoreType(ScoreType.PROBABILITY).setEventTime(Instant.now()).build();
    }
}
