package io.latefuse.health;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.topology.FusionApp;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
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
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * modality.health: quarantine on the real broker and registry: a modality whose scorer gets stuck is quarantined,
 * listed in the predictions (not fused, not awaited), reported in the metrics, and released after it recovers.
 */
@ExtendWith(RealKafka.class)
class QuarantineIT {
    private static final List<String> MODALITIES = List.of("acoustic", "lexical", "prosody", "visual");
    private static KafkaEnvironment env;

    @BeforeAll
    static void services(KafkaEnvironment services) {
        env = services;
    }

    private static ModalityScore score(String event, String modality, float p) {
        return ModalityScore.newBuilder().setEventId(event).setModality(modality).setModel(modality + "-model")
                .setModelVersion("1").setScores(List.of(p, 1 - p)).setScoreType(ScoreType.PROBABILITY)
                .setEventTime(Instant.now()).build();
    }

    @Test
    void aStuckScorerIsQuarantinedListedNotAwaitedAndReleasedAfterItRecovers(@TempDir Path stateDir) throws Exception {
        String prefix = "q" + UUID.randomUUID().toString().substring(0, 6) + ".";
        PipelineConfig config = PipelineConfigLoader.parse("""
                application.id: %s
                bootstrap.servers: %s
                schema.registry.url: %s
                topic.prefix: %s
                classes: [directed, undirected]
                strategy: weighted_mean
                modalities:
                  - {name: acoustic}
                  - {name: lexical}
                  - {name: prosody}
                  - {name: visual, required: false}
                max.wait: 5s
                punctuation.interval: 50ms
                modality.health: quarantine
                modality.health.stuck.scores: 5
                modality.health.release.scores: 30
                """.formatted(KafkaEnvironment.freshAppId("quarantine-it"), env.bootstrapServers(), env.registryUrl(),
                prefix), "QuarantineIT", Map.of());
        try (Admin admin = env.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            config.inputTopics().forEach(t -> topics.add(new NewTopic(t, 1, (short) 1)));
            KafkaEnvironment.createTopics(admin, topics);
            TopicPreflight.check(admin, config, true, Optional.of(1), Optional.of((short) 1));
        }
        try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.of(env.registryUrl()))) {
            config.inputTopics().forEach(t -> registry.register(t + "-value", ModalityScore.getClassSchema()));
        }
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Random rnd = new Random(5);
        // 20 healthy events, 30 with acoustic stuck at 0.9, one with acoustic never sent, then 80 healthy again.
        List<String> ids = new ArrayList<>();
        Map<String, Float> acoustic = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            ids.add("ok-" + i);
            acoustic.put("ok-" + i, rnd.nextFloat());
        }
        for (int i = 0; i < 30; i++) {
            ids.add("stuck-" + i);
            acoustic.put("stuck-" + i, 0.9f);
        }
        ids.add("no-acoustic");
        for (int i = 0; i < 80; i++) {
            ids.add("recovered-" + i);
            acoustic.put("recovered-" + i, rnd.nextFloat());
        }
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString()),
                new FusionTelemetry(meters))) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            try (KafkaProducer<String, ModalityScore> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 0),
                    new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(RegistryConfig.of(env.registryUrl())),
                    RegistryConfig.of(env.registryUrl()), false))) {
                for (String id : ids) {
                    for (String m : List.of("visual", "acoustic", "lexical", "prosody")) {
                        if (m.equals("acoustic") && !acoustic.containsKey(id)) {
                            continue;
                        }
                        float p = m.equals("acoustic") ? acoustic.get(id) : rnd.nextFloat();
                        producer.send(new ProducerRecord<>(config.inputTopics().get(config.modalityIndex(m)), id,
                                score(id, m, p))).get(); // in order: each event's scores before the next event's
                    }
                    if (id.equals("stuck-29")) {
                        // Let the stuck events be answered before the event that has no acoustic score at all.
                        await().atMost(Duration.ofSeconds(30)).until(() -> app.health().quarantinedMask() == 1L);
                    }
                }
            }
            List<ConsumerRecord<String, FusedPrediction>> out = CommittedReader.read(env, config.outputTopic(),
                    AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(RegistryConfig.of(env.registryUrl()))),
                    ids.size());
            Map<String, FusedPrediction> first = new HashMap<>();
            for (ConsumerRecord<String, FusedPrediction> r : out) {
                if (r.value().getRevision() == 0) {
                    assertThat(first.put(r.key(), r.value())).as(r.key() + " has one revision 0").isNull();
                }
            }
            assertThat(first).hasSize(ids.size());
            for (int i = 0; i < 20; i++) {
                FusedPrediction p = first.get("ok-" + i);
                assertThat(p.getQuarantined()).as(p.getEventId()).isNull();
                assertThat(p.getPresent()).contains("acoustic");
            }
            // The fifth stuck score quarantines acoustic: every event from then on is fused without it.
            int quarantinedFrom = -1;
            for (int i = 0; i < 30; i++) {
                FusedPrediction p = first.get("stuck-" + i);
                if (p.getQuarantined() != null) {
                    quarantinedFrom = quarantinedFrom < 0 ? i : quarantinedFrom;
                    assertThat(p.getQuarantined()).containsExactly("acoustic");
                    assertThat(p.getPresent()).doesNotContain("acoustic");
                    assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
                    assertThat(p.getDegradedReason()).contains("quarantined").contains("stuck");
                } else {
                    assertThat(quarantinedFrom).as("stuck-%d after the quarantine began", i).isNegative();
                }
            }
            // Never before the fifth stuck judgement. Kafka Streams reads the four topics in timestamp order only as far
            // as their fetches allow, so an event's scores may be taken a little out of order: a few events later at most.
            assertThat(quarantinedFrom).as("the first event fused without acoustic").isBetween(5, 8);
            // Not awaited: the event without acoustic is answered as its other scores arrive, not at max.wait (5 s).
            FusedPrediction none = first.get("no-acoustic");
            assertThat(none.getQuarantined()).containsExactly("acoustic");
            assertThat(none.getMissing()).isEmpty();
            assertThat(none.getWaitMs()).isLessThan(2_000);
            assertThat(none.getDeadline()).isNull();
            // Released after 30 healthy judgements: the last recovered events are fused with acoustic again.
            int releasedAt = -1;
            for (int i = 0; i < 80; i++) {
                FusedPrediction p = first.get("recovered-" + i);
                if (p.getQuarantined() == null && releasedAt < 0) {
                    releasedAt = i;
                }
                if (releasedAt >= 0) {
                    assertThat(p.getQuarantined()).as(p.getEventId() + " after the release").isNull();
                    assertThat(p.getPresent()).contains("acoustic");
                    assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
                }
            }
            // 30 healthy judgements: one per event answered with acoustic's score held. An event whose lexical and
            // prosody were taken before its acoustic score is answered without it (acoustic is not awaited while
            // quarantined), and its late score makes no judgement: so at least 30 events, a few more at most.
            assertThat(releasedAt).as("released after 30 healthy judgements").isBetween(30, 45);
            assertThat(app.health().quarantinedMask()).isZero();
            assertThat(meters.get("latefuse.modality.broken").tag("modality", "acoustic").counter().count()).isEqualTo(1);
            assertThat(meters.get("latefuse.modality.health").tag("modality", "acoustic").gauge().value()).isZero();
            assertThat(meters.get("latefuse.modality.stuck.run").tag("modality", "acoustic").gauge().value()).isLessThan(5);
        }
    }
}
