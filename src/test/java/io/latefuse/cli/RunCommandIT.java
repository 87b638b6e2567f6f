package io.latefuse.cli;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.ScoreType;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.Jars;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code latefuse run} as users run it: the shaded jar in its own JVM, stopped with SIGTERM. The jar is built by
 * the package phase, which runs before the integration tests.
 */
@ExtendWith(RealKafka.class)
class RunCommandIT {

    @Test
    void runsUntilSigtermThenClosesAndLeavesTheGroup(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "run" + UUID.randomUUID().toString().substring(0, 6) + ".";
        String appId = KafkaEnvironment.freshAppId("run-it");
        Path config = dir.resolve("pipeline.yaml");
        // The shipped config, with this run's application id and topics; the cluster comes from the environment.
        Files.writeString(config, Files.readString(Path.of("config/ddsd.yaml"))
                .replace("application.id: latefuse-ddsd", "application.id: " + appId)
                .replace("topic.prefix: ddsd.", "topic.prefix: " + prefix)
                .replace("store.type: rocksdb", "store.type: memory")
                // A fresh app's first transactions can hold the thread past 300 ms; this test is about the lifecycle.
                .replace("max.wait: 300ms", "max.wait: 10s"));
        Path log = dir.resolve("run.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-jar", Jars.RUNTIME.toString(),
                "run", "--config", config.toString(), "--create-topics", "--partitions", "2", "--replication-factor", "1")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("LATEFUSE_BOOTSTRAP_SERVERS", env.bootstrapServers());
        pb.environment().put("LATEFUSE_SCHEMA_REGISTRY_URL", env.registryUrl());
        Process app = pb.start();
        try {
            await().atMost(Duration.ofSeconds(90)).until(() -> Files.readString(log).contains("-> RUNNING"));
            assertThat(Files.readString(log)).contains("co-partitioned (2 partitions)");

            RegistryConfig rc = RegistryConfig.of(env.registryUrl());
            try (KafkaProducer<String, ModalityScore> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()),
                    new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
                for (String m : List.of("acoustic", "lexical", "prosody")) {
                    producer.send(new ProducerRecord<>(prefix + "scores." + m, "utt-1", ModalityScore.newBuilder()
                            .setEventId("utt-1").setModality(m).setModel(m).setModelVersion("1")
                            .setScores(List.of(0.7f, 0.3f)).setScoreType(ScoreType.PROBABILITY)
                            .setEventTime(Instant.now()).build()));
                }
            }
            List<FusedPrediction> out = CommittedReader.read(env, prefix + "fused",
                    AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), 1)
                    .stream().map(ConsumerRecord::value).toList();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            assertThat(out.get(0).getMissing()).containsExactly("visual");
            assertThat(out.get(0).getStrategy()).isEqualTo("log_odds");

            app.destroy(); // SIGTERM
            assertThat(app.waitFor(60, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
            String text = Files.readString(log);
            assertThat(text).contains("shutting down").contains("fusion: stopped (Kafka Streams NOT_RUNNING)");
            try (Admin admin = env.admin()) {
                ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(appId)).all()
                        .get(30, TimeUnit.SECONDS).get(appId);
                assertThat(group.members()).as("left the group on close").isEmpty();
            }
        } finally {
            app.destroyForcibly();
        }
    }
}
