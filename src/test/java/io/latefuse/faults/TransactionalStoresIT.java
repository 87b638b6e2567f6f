package io.latefuse.faults;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.Jars;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Transactional state stores (KIP-892, {@code enable.transactional.statestores}) across a SIGKILL under
 * exactly_once_v2, on RocksDB. Kafka Streams writes RocksDB without a WAL, so a killed store keeps what its memtables
 * had flushed to disk, with the changelog offsets flushed with it; the restart restores the rest from the changelog.
 * Memtables of 64 KiB ({@link io.latefuse.testkit.SmallMemtables}) make a few thousand events flush as tens of
 * thousands do with Kafka Streams' 16 MiB. The app's log runs Kafka Streams' state classes at INFO, so that what was
 * restored, and from where, can be read.
 */
@ExtendWith(RealKafka.class)
class TransactionalStoresIT {
    private static final List<String> REQUIRED = List.of("acoustic", "lexical", "prosody");
    /** Events that get two of their three required scores before the kill: they stay pending. */
    private static final int PENDING = 2_000;
    /** Events that get all three before the kill: they are emitted, and kept in {@code emitted}. */
    private static final int COMPLETE = 1_000;

    /**
     * Pending events complete once each after the kill, emitted ones are still remembered (a late score revises
     * them), and each task's {@code pending} store is restored from the offset it had flushed, not from the start.
     */
    @Test
    void aKilledInstanceRestartsOnItsOwnStateAndLosesNothing(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "txn" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path config = dir.resolve("pipeline.yaml");
        Files.writeString(config, env.ddsdYaml("txn", prefix)
                // Pending events must stay pending across the kill and the restart.
                .replace("max.wait: 300ms", "max.wait: 10m")
                .replace("kafka: {}", "kafka: {state.dir: " + dir.resolve("state")
                        + ", consumer.session.timeout.ms: 6000, consumer.heartbeat.interval.ms: 1000"
                        + ", enable.transactional.statestores: true"
                        + ", rocksdb.config.setter: " + io.latefuse.testkit.SmallMemtables.class.getName() + "}"));
        Path logback = logback(dir);
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        Process app = start(config, logback, dir.resolve("run-1.log"));
        try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
            awaitRunning(dir.resolve("run-1.log"));
            for (int e = 0; e < PENDING; e++) {
                send(p, prefix, "p-" + e, List.of("acoustic", "lexical"));
            }
            for (int e = 0; e < COMPLETE; e++) {
                send(p, prefix, "c-" + e, REQUIRED);
            }
            p.flush();
            assertThat(revisions(env, rc, prefix, COMPLETE)).hasSize(COMPLETE);
            // Several commits after the last input; then more input, mid-transaction, and the kill.
            Thread.sleep(2_000);
            for (int e = PENDING; e < PENDING + 500; e++) {
                send(p, prefix, "p-" + e, List.of("acoustic", "lexical"));
            }
            p.flush();
            Thread.sleep(50);
            app.destroyForcibly(); // SIGKILL: no close, no commit, no leave-group
            assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();

            Path log2 = dir.resolve("run-2.log");
            long t0 = System.nanoTime();
            app = start(config, logback, log2);
            awaitRunning(log2);
            System.err.printf("TransactionalStoresIT: restarted to RUNNING in %.1f s%n", (System.nanoTime() - t0) / 1e9);

            // Now every pending event gets its last score, and a late one for each emitted event.
            for (int e = 0; e < PENDING + 500; e++) {
                send(p, prefix, "p-" + e, List.of("prosody"));
            }
            for (int e = 0; e < COMPLETE; e++) {
                send(p, prefix, "c-" + e, List.of("visual"));
            }
            p.flush();
            int expected = PENDING + 500 + COMPLETE;
            Map<String, List<Integer>> out = revisions(env, rc, prefix, expected);
            for (int e = 0; e < PENDING + 500; e++) {
                assertThat(out.get("p-" + e)).as("p-" + e).containsExactly(0);
            }
            for (int e = 0; e < COMPLETE; e++) {
                assertThat(out.get("c-" + e)).as("c-" + e + ": remembered across the kill, so revised")
                        .containsExactly(0, 1);
            }
            // Restoring may go on after RUNNING: read the log now that every event is answered.
            String restartLog = Files.readString(log2);
            Files.copy(log2, Path.of("target", "txn-run-2.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            // Not wiped: every task's pending store starts from the offset it had flushed, and only the records
            // after it are restored.
            assertThat(restartLog.lines().filter(l -> l.contains("stream-task [")
                    && l.contains("State store pending initialized from checkpoint"))).hasSize(3);
            Matcher m = Pattern.compile("to store pending with a total number of (\\d+) records").matcher(restartLog);
            long restored = 0;
            while (m.find()) {
                restored += Long.parseLong(m.group(1));
            }
            System.err.println("TransactionalStoresIT: restored " + restored + " records of pending after the restart");
            assertThat(restored).isLessThan(PENDING);
        } finally {
            app.destroyForcibly();
        }
    }

    /**
     * The upgrade to this release, which turns transactional stores on by default: state written without them, by a
     * cleanly stopped instance, is read with them on, then survives a SIGKILL. Pending events complete once each;
     * emitted ones are still remembered (a late score revises them).
     */
    @Test
    void stateWrittenWithoutTransactionalStoresIsKeptWhenTheyAreTurnedOnAndThroughAKill(KafkaEnvironment env,
                                                                                        @TempDir Path dir) throws Exception {
        String prefix = "txu" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path before = dir.resolve("before.yaml");
        Path after = dir.resolve("after.yaml");
        String yaml = env.ddsdYaml("txu", prefix).replace("max.wait: 300ms", "max.wait: 10m");
        String kafka = "kafka: {state.dir: " + dir.resolve("state") + ", consumer.session.timeout.ms: 6000"
                + ", consumer.heartbeat.interval.ms: 1000, rocksdb.config.setter: "
                + io.latefuse.testkit.SmallMemtables.class.getName();
        Files.writeString(before, yaml.replace("kafka: {}", kafka + ", enable.transactional.statestores: false}"));
        Files.writeString(after, yaml.replace("kafka: {}", kafka + ", enable.transactional.statestores: true}"));
        Path logback = logback(dir);
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        Process app = start(before, logback, dir.resolve("run-1.log"));
        try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
            awaitRunning(dir.resolve("run-1.log"));
            for (int e = 0; e < PENDING; e++) {
                send(p, prefix, "p-" + e, List.of("acoustic", "lexical"));
            }
            for (int e = 0; e < COMPLETE; e++) {
                send(p, prefix, "c-" + e, REQUIRED);
            }
            p.flush();
            assertThat(revisions(env, rc, prefix, COMPLETE)).hasSize(COMPLETE);
            Thread.sleep(1_000);
            app.destroy(); // SIGTERM: a clean stop, as a rolling upgrade does
            assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();

            app = start(after, logback, dir.resolve("run-2.log"));
            awaitRunning(dir.resolve("run-2.log"));
            for (int e = PENDING; e < PENDING + 500; e++) {
                send(p, prefix, "p-" + e, List.of("acoustic", "lexical"));
            }
            p.flush();
            Thread.sleep(2_000);
            app.destroyForcibly(); // SIGKILL, now with transactional stores
            assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();

            app = start(after, logback, dir.resolve("run-3.log"));
            awaitRunning(dir.resolve("run-3.log"));
            for (int e = 0; e < PENDING + 500; e++) {
                send(p, prefix, "p-" + e, List.of("prosody"));
            }
            for (int e = 0; e < COMPLETE; e++) {
                send(p, prefix, "c-" + e, List.of("visual"));
            }
            p.flush();
            Map<String, List<Integer>> out = revisions(env, rc, prefix, PENDING + 500 + COMPLETE);
            for (int e = 0; e < PENDING + 500; e++) {
                assertThat(out.get("p-" + e)).as("p-" + e).containsExactly(0);
            }
            for (int e = 0; e < COMPLETE; e++) {
                assertThat(out.get("c-" + e)).as("c-" + e + ": remembered across the upgrade and the kill, so revised")
                        .containsExactly(0, 1);
            }
        } finally {
            app.destroyForcibly();
        }
    }

    /**
     * The emitted store is a window store: one RocksDB per segment, each flushed to disk on its own when its memtable
     * fills (Kafka Streams writes without a WAL). Events emitted into an older segment must survive a kill although a
     * newer segment has flushed since: a late score for them must revise them (revision 1), never answer them anew.
     * Memtables of 64 KiB ({@link io.latefuse.testkit.SmallMemtables}) make a few hundred events do what tens of
     * thousands do in production; the event clock puts the two batches of events a segment (60 s) apart at once.
     */
    @Test
    void eventsEmittedIntoAnOlderSegmentAreStillRememberedAfterAKill(KafkaEnvironment env, @TempDir Path dir)
            throws Exception {
        String prefix = "txs" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path config = dir.resolve("pipeline.yaml");
        Files.writeString(config, env.ddsdYaml("txs", prefix)
                .replace("max.wait: 300ms", "max.wait: 1s")
                .replace("deadline.clock: input", "deadline.clock: event")
                .replace("late.retention: 10m", "late.retention: 1m")
                .replace("kafka: {}", "kafka: {state.dir: " + dir.resolve("state")
                        + ", consumer.session.timeout.ms: 6000, consumer.heartbeat.interval.ms: 1000"
                        + ", enable.transactional.statestores: true"
                        + ", rocksdb.config.setter: " + io.latefuse.testkit.SmallMemtables.class.getName() + "}"));
        Path logback = logback(dir);
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        // A minute boundary ten minutes ago: the older segment starts there, the newer one 60 s later.
        long t0 = (System.currentTimeMillis() / 60_000 - 10) * 60_000 + 1_000;
        int older = 50;
        int newer = 1_500;
        Process app = start(config, logback, dir.resolve("run-1.log"));
        try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
            awaitRunning(dir.resolve("run-1.log"));
            for (int e = 0; e < older; e++) {
                send(p, prefix, "a-" + e, REQUIRED, t0);
            }
            p.flush();
            assertThat(revisions(env, rc, prefix, older)).hasSize(older);
            for (int e = 0; e < newer; e++) {
                send(p, prefix, "b-" + e, REQUIRED, t0 + 61_000);
            }
            p.flush();
            assertThat(revisions(env, rc, prefix, older + newer)).hasSize(older + newer);
            app.destroyForcibly(); // SIGKILL
            assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();

            Path log2 = dir.resolve("run-2.log");
            app = start(config, logback, log2);
            try {
                awaitRunning(log2);
            } finally {
                Files.copy(log2, Path.of("target", "txn-run-2-segments.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            for (int e = 0; e < older; e++) {
                send(p, prefix, "a-" + e, List.of("visual"), t0 + 61_000);
            }
            // Moves every task's stream time past the deadline a forgotten event would get.
            for (int e = 0; e < 30; e++) {
                send(p, prefix, "tick-" + e, REQUIRED, t0 + 64_000);
            }
            p.flush();
            Map<String, List<Integer>> out = revisions(env, rc, prefix, older + newer + 30);
            for (int e = 0; e < older; e++) {
                assertThat(out.get("a-" + e)).as("a-" + e + ": remembered across the kill, so revised")
                        .containsExactly(0, 1);
            }

            // After a clean stop the emitted store starts from its checkpoint: nothing is restored again.
            app.destroy(); // SIGTERM
            assertThat(app.waitFor(60, TimeUnit.SECONDS)).isTrue();
            Path log3 = dir.resolve("run-3.log");
            app = start(config, logback, log3);
            awaitRunning(log3);
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log3).lines()
                    .filter(l -> l.contains("to store emitted with a total number of")).count() == 3);
            assertThat(Files.readString(log3).lines().filter(l -> l.contains("stream-task [")
                    && l.contains("State store emitted initialized from checkpoint"))).hasSize(3);
            assertThat(Files.readString(log3)).doesNotContainPattern("to store emitted with a total number of [1-9]");
        } finally {
            app.destroyForcibly();
        }
    }

    /**
     * {@code GET /events/{id}} reads the stores with interactive queries. With transactional stores an answer must be
     * committed state, as read_committed consumers see it: never writes of a transaction that may still abort (after
     * which the event can be answered otherwise). A commit interval of 30 s keeps the two apart: an event's
     * prediction is visible to a read_committed consumer within moments of the lookup saying it was emitted.
     */
    @Test
    void aLookupAnswersWithCommittedStateOnly(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "txl" + UUID.randomUUID().toString().substring(0, 6) + ".";
        int port = io.latefuse.embedded.ApicurioRegistryProcess.freePort();
        Path config = dir.resolve("pipeline.yaml");
        Files.writeString(config, env.ddsdYaml("txl", prefix)
                .replace("max.wait: 300ms", "max.wait: 10m")
                .replace("kafka: {}", "commit.interval: 30s\nhttp.bind.address: 127.0.0.1\n"
                        + "http.advertised.host: 127.0.0.1\nkafka: {state.dir: " + dir.resolve("state")
                        + ", producer.transaction.timeout.ms: 60000, enable.transactional.statestores: true}"));
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.Function<String, String> lookup = id -> {
            try {
                return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                "http://127.0.0.1:" + port + "/events/" + id)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-jar", Jars.RUNTIME.toString(), "run", "--config", config.toString(), "--create-topics", "--partitions",
                "3", "--replication-factor", "1", "--metrics-port", String.valueOf(port))
                .redirectErrorStream(true).redirectOutput(dir.resolve("run.log").toFile()).start();
        try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()),
                new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false));
             org.apache.kafka.clients.consumer.KafkaConsumer<String, FusedPrediction> committed =
                     new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.of(
                             org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                             org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                             org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                             org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                     new org.apache.kafka.common.serialization.StringDeserializer(),
                     AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)))) {
            awaitRunning(dir.resolve("run.log"));
            await().atMost(Duration.ofSeconds(60)).until(() -> lookup.apply("nobody").contains("\"state\":\"UNKNOWN\""));
            committed.subscribe(List.of(prefix + "fused"));
            send(p, prefix, "e1", REQUIRED);
            p.flush();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50))
                    .until(() -> lookup.apply("e1").contains("\"state\":\"EMITTED\""));
            long seenAt = System.nanoTime();
            boolean visible = false;
            while (!visible && System.nanoTime() - seenAt < 3_000_000_000L) {
                for (ConsumerRecord<String, FusedPrediction> r : committed.poll(Duration.ofMillis(100))) {
                    visible |= r.key().equals("e1");
                }
            }
            assertThat(visible).as("a read_committed consumer sees e1's prediction within 3 s of the lookup's EMITTED")
                    .isTrue();
        } finally {
            app.destroyForcibly();
            Files.copy(dir.resolve("run.log"), Path.of("target", "txn-lookup.log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The app's log: Kafka Streams' state classes at INFO, so that what was wiped or restored can be read. */
    private static Path logback(Path dir) throws java.io.IOException {
        return Files.writeString(dir.resolve("logback.xml"), """
                <configuration>
                  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
                    <target>System.err</target>
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="io.latefuse" level="INFO"/>
                  <logger name="org.apache.kafka" level="WARN"/>
                  <logger name="org.apache.kafka.streams.processor.internals.ProcessorStateManager" level="INFO"/>
                  <logger name="org.apache.kafka.streams.processor.internals.StateDirectory" level="INFO"/>
                  <logger name="org.apache.kafka.streams.processor.internals.StateManagerUtil" level="DEBUG"/>
                  <logger name="org.apache.kafka.streams.processor.internals.StoreChangelogReader" level="INFO"/>
                  <root level="WARN"><appender-ref ref="STDERR"/></root>
                </configuration>
                                """);
    }

    private static Map<String, List<Integer>> revisions(KafkaEnvironment env, RegistryConfig rc, String prefix, int keys) {
        List<ConsumerRecord<String, FusedPrediction>> out = CommittedReader.read(env, prefix + "fused",
                AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), keys);
        Map<String, List<Integer>> byKey = new HashMap<>();
        for (ConsumerRecord<String, FusedPrediction> r : out) {
            byKey.computeIfAbsent(r.key(), k -> new java.util.ArrayList<>()).add(r.value().getRevision());
        }
        return byKey;
    }

    private static void send(KafkaProducer<String, ModalityScore> p, String prefix, String id, List<String> modalities) {
        send(p, prefix, id, modalities, System.currentTimeMillis());
    }

    private static void send(KafkaProducer<String, ModalityScore> p, String prefix, String id, List<String> modalities,
                             long eventTime) {
        for (String m : modalities) {
            p.send(new ProducerRecord<>(prefix + "scores." + m, id, ModalityScore.newBuilder().setEventId(id)
                    .setModality(m).setModel(m).setModelVersion("1").setScores(List.of(0.6f, 0.4f))
                    .setScoreType(ScoreType.PROBABILITY).setEventTime(Instant.ofEpochMilli(eventTime)).build()));
        }
    }

    private static Process start(Path config, Path logback, Path log) throws Exception {
        // The test classes too, for SmallMemtables.
        String classpath = Jars.RUNTIME + java.io.File.pathSeparator + Path.of("target", "test-classes");
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-Dlogback.configurationFile=" + logback, "-cp", classpath, "io.latefuse.cli.Main", "run", "--config",
                config.toString(), "--create-topics", "--partitions", "3", "--replication-factor", "1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitRunning(Path log) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.exists(log) && Files.readString(log).contains("-> RUNNING"));
    }
}
