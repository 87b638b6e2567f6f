package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.embedded.EmbeddedKafka;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.StaleLocalState;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Review of the bounded-changelog change, on real brokers. */
@ExtendWith(RealKafka.class)
class ChangelogRetentionReviewIT {
    private static KafkaEnvironment env;

    @BeforeAll
    static void services(KafkaEnvironment services) {
        env = services;
    }

    private static PipelineConfig config(String appId, String bootstrap, String prefix, String extraYaml) {
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
                max.wait: 2000ms
                punctuation.interval: 200ms
                late.retention: 2m
                processing.guarantee: exactly_once_v2
                """.formatted(appId, bootstrap, env.registryUrl(), prefix) + extraYaml, "review", Map.of());
    }

    private static String freshPrefix() {
        return "rv" + UUID.randomUUID().toString().substring(0, 6) + ".";
    }

    private static Map<String, String> topicConfig(Admin admin, String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Map<String, String> out = new HashMap<>();
        admin.describeConfigs(List.of(r)).all().get().get(r).entries().forEach(e -> out.put(e.name(), e.value()));
        return out;
    }

    private static String topic(PipelineConfig config, String modality) {
        return config.modalities().get(config.modalityIndex(modality)).topic();
    }

    private static KafkaEnvironment on(String bootstrap) {
        return new KafkaEnvironment() {
            @Override
            public String bootstrapServers() {
                return bootstrap;
            }

            @Override
            public String registryUrl() {
                return env.registryUrl();
            }
        };
    }

    @Test
    void theUsersTopicRetentionMsReachesTheEmittedChangelog(@TempDir Path stateDir) throws Exception {
        // Promise 2: a user's topic.retention.ms wins over latefuse's per-store configs.
        PipelineConfig config = config(KafkaEnvironment.freshAppId("rv-retention"), env.bootstrapServers(),
                freshPrefix(), "kafka: {topic.retention.ms: 7200000}\n");
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(1), Optional.of((short) 1));
        }
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString()))) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            try (Admin admin = env.admin()) {
                assertThat(topicConfig(admin, config.applicationId() + "-emitted-changelog"))
                        .containsEntry("retention.ms", "7200000");
            }
        }
    }

    @Test
    void anEventAnsweredInABackfillGetsOneRevisionZeroAcrossAFailover(@TempDir Path stateDir) throws Exception {
        // A broker of its own that checks retention every second (the default is every 5 minutes).
        KafkaClusterTestKit kit = EmbeddedKafka.singleNode(new TestKitNodes.Builder())
                .setConfigProp("log.retention.check.interval.ms", "1000").build();
        kit.format();
        kit.startup();
        kit.waitForReadyBrokers();
        try {
            KafkaEnvironment own = on(kit.bootstrapServers());
            // The event clock, for what docs/concepts.md says it is for: replay and backfill.
            PipelineConfig config = config(KafkaEnvironment.freshAppId("rv-backfill"), own.bootstrapServers(),
                    freshPrefix(), "deadline.clock: event\n");
            try (Admin admin = own.admin()) {
                TopicPreflight.check(admin, config, true, Optional.of(1), Optional.of((short) 1));
            }
            try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.of(env.registryUrl()))) {
                config.inputTopics().forEach(t -> registry.register(t + "-value", ModalityScore.getClassSchema()));
            }
            RegistryConfig rc = RegistryConfig.of(env.registryUrl());
            try (KafkaProducer<String, ModalityScore> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, own.bootstrapServers()), new StringSerializer(),
                    new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
                // A backfill of yesterday's events.
                Instant yesterday = Instant.now().minus(Duration.ofDays(1));
                for (String m : List.of("acoustic", "lexical", "prosody")) {
                    producer.send(new ProducerRecord<>(topic(config, m), "e1", FusionDriver.score("e1", m, 0.9f, yesterday)));
                }
                producer.flush();

                try (FusionApp first = new FusionApp(config, Map.of(
                        StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("a").toString()))) {
                    first.start();
                    List<ConsumerRecord<String, FusedPrediction>> out = CommittedReader.read(own, config.outputTopic(),
                            AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), 1);
                    assertThat(out).extracting(r -> r.value().getRevision()).containsExactly(0);
                    // Give the broker time to apply retention.ms to the emitted changelog (checked every second).
                    TopicPartition changelog = new TopicPartition(config.applicationId() + "-emitted-changelog", 0);
                    try (Admin admin = own.admin()) {
                        long deadline = System.currentTimeMillis() + 20_000;
                        long earliest = 0;
                        while (System.currentTimeMillis() < deadline && earliest == 0) {
                            earliest = admin.listOffsets(Map.of(changelog, OffsetSpec.earliest())).all().get()
                                    .get(changelog).offset();
                            Thread.sleep(500);
                        }
                        System.err.printf("ChangelogRetentionReviewIT: %s starts at offset %d (retention.ms %s)%n",
                                changelog, earliest, topicConfig(admin, changelog.topic()).get("retention.ms"));
                    }
                }

                // The task fails over to an instance without its state (or the first crashed under exactly-once,
                // which wipes it): it restores the emitted store from the changelog, a minute into late.retention.
                try (FusionApp second = new FusionApp(config, Map.of(
                        StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("b").toString()))) {
                    second.start();
                    await().atMost(Duration.ofSeconds(60))
                            .until(() -> second.streams().state() == KafkaStreams.State.RUNNING);
                    // The optional modality's score, 30 s late in event time (late.retention is 2 min): a revision of
                    // e1. Then the next event, a minute on, moves stream time past any new deadline of e1.
                    producer.send(new ProducerRecord<>(topic(config, "visual"), "e1",
                            FusionDriver.score("e1", "visual", 0.1f, yesterday.plusSeconds(30))));
                    producer.flush();
                    Thread.sleep(1_000);
                    producer.send(new ProducerRecord<>(topic(config, "acoustic"), "e2",
                            FusionDriver.score("e2", "acoustic", 0.5f, yesterday.plusSeconds(60))));
                    producer.flush();
                    Thread.sleep(6_000);
                    List<ConsumerRecord<String, FusedPrediction>> out = CommittedReader.read(own, config.outputTopic(),
                            AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), 1);
                    List<String> e1 = out.stream().filter(r -> r.key().equals("e1")).map(r -> "revision "
                            + r.value().getRevision() + " " + r.value().getStatus() + " " + r.value().getPresent()).toList();
                    assertThat(e1).as("e1's predictions").filteredOn(p -> p.startsWith("revision 0 ")).hasSize(1);
                }
            }
        } finally {
            kit.close();
        }
    }

    @Test
    void theGuardsBoundFollowsTheTombstoneRetentionTheChangelogHas(@TempDir Path stateDir) throws Exception {
        String appId = KafkaEnvironment.freshAppId("rv-raised");
        String prefix = freshPrefix();
        PipelineConfig before = config(appId, env.bootstrapServers(), prefix, "");
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, before, true, Optional.of(1), Optional.of((short) 1));
        }
        Map<String, String> props = Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        try (FusionApp app = new FusionApp(before, props)) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
        }
        Path appDir = stateDir.resolve(appId);
        assertThat(appDir.resolve("0_0")).exists();
        try (Admin admin = env.admin()) {
            assertThat(topicConfig(admin, appId + "-pending-changelog")).containsEntry("delete.retention.ms", "3600000");
        }
        // Down for 2 h. Meanwhile the operator raised topic.delete.retention.ms to a day in the kafka map; Kafka
        // Streams leaves the existing changelog at 1 h (ChangelogTopics says so), so tombstones written while this
        // instance was away may already be gone.
        assertThat(Files.readString(appDir.resolve(StaleLocalState.MARKER))).contains("0_0 ");
        Files.writeString(appDir.resolve(StaleLocalState.MARKER),
                "0_0 " + Instant.now().minus(Duration.ofHours(2)).toEpochMilli() + "\n");
        PipelineConfig after = config(appId, env.bootstrapServers(), prefix, "kafka: {topic.delete.retention.ms: 86400000}\n");
        try (FusionApp app = new FusionApp(after, props)) {
            try (Admin admin = env.admin()) {
                assertThat(topicConfig(admin, appId + "-pending-changelog")).containsEntry("delete.retention.ms", "3600000");
            }
            assertThat(appDir.resolve("0_0")).as("state last alive 2 h ago, restored against a changelog that keeps "
                    + "tombstones 1 h").doesNotExist();
        }
    }
}
