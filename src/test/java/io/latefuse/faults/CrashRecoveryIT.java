package io.latefuse.faults;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.EmbeddedKafkaAndRegistry;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Exactly-once across crashes: the fusion app runs as its own JVM (the shaded jar, exactly_once_v2, RocksDB) and is
 * killed with SIGKILL twice during a 50,000-event run, restarted each time; then the broker itself is restarted
 * while the run goes on. A read_committed consumer must then find exactly one revision-0 prediction per event: none
 * lost, none duplicated.
 */
@ExtendWith(RealKafka.class)
class CrashRecoveryIT {
    private static final int EVENTS = 50_000;
    private static final List<String> MODALITIES = List.of("acoustic", "lexical", "prosody");
    /** A score the test could not send would look like a lost prediction: fail on it by name instead. */
    private static final java.util.concurrent.atomic.AtomicReference<Exception> SEND_FAILURE =
            new java.util.concurrent.atomic.AtomicReference<>();

    @Test
    void killedTwiceAndBrokerRestartedMidRunEveryEventStillHasExactlyOneRevisionZero(EmbeddedKafkaAndRegistry env,
                                                                                     @TempDir Path dir) throws Exception {
        String prefix = "crash" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path config = dir.resolve("pipeline.yaml");
        Files.writeString(config, env.ddsdYaml("crash", prefix)
                // A restart takes seconds: a longer deadline keeps most events COMPLETE, though the claim under
                // test (one revision 0 each) holds either way.
                .replace("max.wait: 300ms", "max.wait: 2s")
                // A killed instance is noticed only after the session timeout, and its restarted successor waits
                // for that: keep it short, as a fast-failover deployment would.
                .replace("kafka: {}", "kafka: {state.dir: " + dir.resolve("state")
                        + ", consumer.session.timeout.ms: 6000, consumer.heartbeat.interval.ms: 1000}"));

        Process app = start(config, dir.resolve("run-1.log"));
        try {
            awaitRunning(dir.resolve("run-1.log"));
            RegistryConfig rc = RegistryConfig.of(env.registryUrl());
            // The producer sends in three releases of the run, so that each fault lands while events are being
            // sent however long the restarts take: crash 1 in the first, crash 2 in the second, the broker
            // restart in the third.
            AtomicInteger released = new AtomicInteger(15_000);
            Thread producer = new Thread(() -> produce(env, rc, prefix, released), "crash-producer");
            producer.start();

            // Kill mid-run twice, restarting each time, while the producer keeps going.
            for (int crash = 1; crash <= 2; crash++) {
                Thread.sleep(5_000);
                app.destroyForcibly(); // SIGKILL: no close, no commit, no leave-group
                assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();
                Path log = dir.resolve("run-" + (crash + 1) + ".log");
                app = start(config, log);
                awaitRunning(log);
                released.set(crash == 1 ? 30_000 : EVENTS);
            }
            // Then the broker goes down under the running app and the producer: open transactions are aborted or
            // completed by the coordinator when it comes back, and both clients reconnect to the same port.
            Thread.sleep(3_000);
            assertThat(producer.isAlive()).as("the broker restart must come while events are still being sent").isTrue();
            long t = System.nanoTime();
            env.restartBroker();
            System.err.printf("CrashRecoveryIT: broker restarted in %.1f s%n", (System.nanoTime() - t) / 1e9);
            producer.join(240_000);
            assertThat(producer.isAlive()).isFalse();
            assertThat(SEND_FAILURE.get()).as("a score the test failed to send").isNull();
            assertThat(app.isAlive()).as("the app rode out the broker restart").isTrue();

            List<ConsumerRecord<String, FusedPrediction>> out = CommittedReader.read(env, prefix + "fused",
                    AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), EVENTS);
            Map<String, Integer> revisionZero = new HashMap<>();
            int revisions = 0;
            for (ConsumerRecord<String, FusedPrediction> r : out) {
                if (r.value().getRevision() == 0) {
                    revisionZero.merge(r.key(), 1, Integer::sum);
                } else {
                    revisions++;
                }
            }
            System.err.printf("CrashRecoveryIT: %d events, %d revision-0 outputs, %d distinct, %d revisions%n",
                    EVENTS, revisionZero.values().stream().mapToInt(Integer::intValue).sum(), revisionZero.size(), revisions);
            assertThat(revisionZero).hasSize(EVENTS).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));

            // A revision is right only for a score that was truly late: written (by the broker's clock) more than
            // max.wait after its event's first score, as when the broker was down while the producer held it back.
            List<Long> lateness = io.latefuse.testkit.ScoreTimes.read(env, prefix, MODALITIES).revisionLateness(out);
            long falseRevisions = lateness.stream().filter(l -> l <= 2_000).count();
            System.err.printf("CrashRecoveryIT: of %d revisions, %d for scores written more than max.wait (2 s) after "
                    + "their event's first, %d for scores written within it (lateness min %s ms)%n", lateness.size(),
                    lateness.size() - falseRevisions, falseRevisions,
                    lateness.stream().mapToLong(Long::longValue).min().stream().boxed().findFirst().orElse(null));
            assertThat(falseRevisions).as("revisions for scores that were written in time").isZero();
        } finally {
            app.destroyForcibly();
        }
    }

    private static Process start(Path config, Path log) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", Jars.RUNTIME.toString(), "run", "--config", config.toString(),
                "--create-topics", "--partitions", "3", "--replication-factor", "1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitRunning(Path log) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.exists(log) && Files.readString(log).contains("-> RUNNING"));
    }

    private static void produce(KafkaEnvironment env, RegistryConfig rc, String prefix, AtomicInteger released) {
        try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 10),
                new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
            long next = System.nanoTime();
            for (int e = 0; e < EVENTS; e++) {
                while (e >= released.get()) {
                    LockSupport.parkNanos(10_000_000L);
                    next = System.nanoTime();
                }
                String id = "ev-" + e;
                for (String m : MODALITIES) {
                    p.send(new ProducerRecord<>(prefix + "scores." + m, id, ModalityScore.newBuilder().setEventId(id)
                            .setModality(m).setModel(m).setModelVersion("1").setScores(List.of(0.6f, 0.4f))
                            .setScoreType(ScoreType.PROBABILITY).setEventTime(Instant.now()).build()),
                            (md, ex) -> {
                                if (ex != null) {
                                    SEND_FAILURE.compareAndSet(null, ex);
                                }
                            });
                }
                // About 1,250 events per second; sleep, not spin: 2 cores.
                next += 800_000L;
                if (e % 25 == 24) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
            }
        }
    }
}
