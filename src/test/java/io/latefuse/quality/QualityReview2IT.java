package io.latefuse.quality;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.GroundTruth;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.DeadLetterReason;
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
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review 2: a label produced onto another partition than its key maps to (librdkafka's default CRC32 partitioner,
 * which docs/operations.md tells fusion users to change for scores) never meets its prediction. The fusion app dead-letters such
 * a score as wrong_partition; the quality app takes the label silently, holds it for labels.retention and then
 * counts it unmatched: nothing says why quality has no events.
 */
@ExtendWith(RealKafka.class)
class QualityReview2IT {
    @Test
    void aLabelOnTheWrongPartitionIsDeadLetteredNotHeldSilently(KafkaEnvironment env) throws Exception {
        String prefix = "qr2" + UUID.randomUUID().toString().substring(0, 6) + ".";
        String text = """
                application.id: %s
                bootstrap.servers: %s
                schema.registry.url: %s
                topic.prefix: %s
                classes: [directed, undirected]
                modalities:
                  - {name: acoustic}
                  - {name: lexical}
                labels.topic: %slabels
                labels.retention: 1h
                quality.window: 1h
                quality.interval: 1s
                """.formatted(KafkaEnvironment.freshAppId("quality-r2"), env.bootstrapServers(), env.registryUrl(),
                prefix, prefix);
        PipelineConfig config = PipelineConfigLoader.parse(text, "QualityReview2IT", Map.of());
        PipelineConfig.Quality q = config.quality();
        try (Admin admin = env.admin()) {
            List<NewTopic> topics = new ArrayList<>();
            topics.add(new NewTopic(config.outputTopic(), 3, (short) 1));
            topics.add(new NewTopic(q.labelsTopic(), 3, (short) 1));
            for (String t : List.of(q.qualityTopic(), config.deadLetterTopic())) {
                topics.add(new NewTopic(t, 1, (short) 1));
            }
            config.inputTopics().forEach(t -> topics.add(new NewTopic(t, 3, (short) 1)));
            KafkaEnvironment.createTopics(admin, topics);
        }
        String id = "ev-1";
        int right = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % 3;
        int wrong = (right + 1) % 3;
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        SchemaRegistry registry = SchemaRegistry.connect(rc);
        Instant t = Instant.now();
        try (KafkaProducer<String, Object> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), (topic, v) -> new AvroSerializer<>(registry, rc, false)
                .serialize(topic, (org.apache.avro.generic.IndexedRecord) v))) {
            FusedPrediction p = FusedPrediction.newBuilder().setEventId(id).setLabel("directed")
                    .setScores(List.of(0.8f, 0.2f)).setStatus(io.latefuse.avro.PredictionStatus.COMPLETE)
                    .setRevision(0).setPresent(List.of("acoustic", "lexical")).setMissing(List.of())
                    .setStrategy("weighted_mean").setFusionModelVersion("1").setEventTime(t).setFirstArrival(t)
                    .setEmittedAt(t).setWaitMs(10L).setContributions(Map.of()).build();
            producer.send(new ProducerRecord<>(config.outputTopic(), right, t.toEpochMilli(), id, p));
            producer.send(new ProducerRecord<>(q.labelsTopic(), wrong, t.toEpochMilli() + 1, id, GroundTruth.newBuilder()
                    .setEventId(id).setLabel("directed").setLabelledAt(t).build()));
            producer.flush();
        }
        Map<String, FusionQuality> latest = new LinkedHashMap<>();
        List<String> reasons = new ArrayList<>();
        var meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        QualityApp app = new QualityApp(config, new QualityTelemetry(meters), new FusionTelemetry(meters));
        try (app; KafkaConsumer<String, FusionQuality> reader = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                AvroDeserializer.specific(FusionQuality.class, registry));
             KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                     ConsumerConfig.GROUP_ID_CONFIG, "dlq-" + UUID.randomUUID(),
                     ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(),
                     new ByteArrayDeserializer())) {
            app.streams().cleanUp();
            app.start();
            reader.subscribe(List.of(q.qualityTopic()));
            dlq.subscribe(List.of(config.deadLetterTopic()));
            long until = System.currentTimeMillis() + 30_000;
            // Until the dead letter came and the app published (or a published row counted the label).
            while (System.currentTimeMillis() < until && (reasons.isEmpty() || latest.get("all/FIRST") == null)
                    && (latest.get("all/FIRST") == null || latest.get("all/FIRST").getEvents() == 0)) {
                for (ConsumerRecord<String, FusionQuality> r : reader.poll(Duration.ofMillis(300))) {
                    latest.put(r.value().getSubset() + "/" + r.value().getRevision(), r.value());
                }
                for (ConsumerRecord<byte[], byte[]> r : dlq.poll(Duration.ofMillis(200))) {
                    Header h = r.headers().lastHeader(DeadLetterReason.HEADER);
                    reasons.add(h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8));
                }
            }
        }
        assertThat(latest.get("all/FIRST")).as("the app published").isNotNull();
        assertThat(latest.get("all/FIRST").getEvents()).as("the label never met its prediction").isZero();
        assertThat(reasons).as("what tells the operator why: the label on partition " + wrong + ", its key maps to "
                + right).contains("wrong_partition");
    }
}
