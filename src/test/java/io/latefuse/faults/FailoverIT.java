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

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Failover: two instances of the fusion app (separate JVMs, same application.id) share the work; one is killed with
 * SIGKILL mid-run and not restarted. The survivor takes over its tasks and every event gets exactly one revision 0.
 */
@ExtendWith(RealKafka.class)
class FailoverIT {
    private static final int EVENTS = 6_000;

    @Test
    void theSurvivorCompletesEveryEvent(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "fo" + UUID.randomUUID().toString().substring(0, 6) + ".";
        String yaml = env.ddsdYaml("failover", prefix)
                .replace("max.wait: 300ms", "max.wait: 2s")
                .replace("store.type: rocksdb", "store.type: memory")
                .replace("standby.replicas: 0", "standby.replicas: 1");
        Path[] configs = new Path[2];
        for (int i = 0; i < 2; i++) {
            configs[i] = dir.resolve("instance-" + i + ".yaml");
            // A killed member is noticed only after the session timeout: keep it short, so the test is too.
            Files.writeString(configs[i], yaml.replace("kafka: {}", "kafka: {state.dir: " + dir.resolve("state-" + i)
                    + ", consumer.session.timeout.ms: 6000, consumer.heartbeat.interval.ms: 1000}"));
        }
        Process a = start(configs[0], dir.resolve("a.log"));
        Process b = null;
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(dir.resolve("a.log")).contains("-> RUNNING"));
            b = start(configs[1], dir.resolve("b.log"));
            await().atMost(Duration.ofSeconds(120)).until(() -> Files.readString(dir.resolve("b.log")).contains("-> RUNNING"));

            RegistryConfig rc = RegistryConfig.of(env.registryUrl());
            try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()),
                    new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
                for (int e = 0; e < EVENTS; e++) {
                    if (e == EVENTS / 3) {
                        p.flush();
                        a.destroyForcibly(); // SIGKILL one instance; it is not restarted
                    }
                    String id = "ev-" + e;
                    for (String m : List.of("acoustic", "lexical", "prosody")) {
                        p.send(new ProducerRecord<>(prefix + "scores." + m, id, ModalityScore.newBuilder().setEventId(id)
                                .setModality(m).setModel(m).setModelVersion("1").setScores(List.of(0.6f, 0.4f))
                                .setScoreType(ScoreType.PROBABILITY).setEventTime(Instant.now()).build()));
                    }
                    if (e % 50 == 49) {
                        Thread.sleep(20);
                    }
                }
            }
            assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();

            List<ConsumerRecord<String, FusedPrediction>> out = CommittedReader.read(env, prefix + "fused",
                    AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), EVENTS);
            Map<String, Integer> revisionZero = new HashMap<>();
            out.stream().filter(r -> r.value().getRevision() == 0).forEach(r -> revisionZero.merge(r.key(), 1, Integer::sum));
            for (int i = 0; i < EVENTS; i++) {
                final int e = i;
                if (!revisionZero.containsKey("ev-" + e)) {
                    // Keep the instances' logs for diagnosis.
                    System.err.println("FailoverIT: no revision 0 for ev-" + e + "; all outputs for it: "
                            + out.stream().filter(r -> r.key().equals("ev-" + e)).map(r -> r.value().toString()).toList()
                            + "; logs in target/failover-a.log and target/failover-b.log");
                    Files.copy(dir.resolve("b.log"), Path.of("target", "failover-b.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    Files.copy(dir.resolve("a.log"), Path.of("target", "failover-a.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            assertThat(revisionZero).hasSize(EVENTS).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            assertThat(b.isAlive()).as("the survivor still runs").isTrue();
        } finally {
            a.destroyForcibly();
            if (b != null) {
                b.destroyForcibly();
            }
        }
    }

    private static Process start(Path config, Path log) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-jar", Jars.RUNTIME.toString(), "run", "--config", config.toString(),
                "--create-topics", "--partitions", "4", "--replication-factor", "1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
