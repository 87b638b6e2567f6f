package io.latefuse.registry;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.testkit.KafkaEnvironment;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Serde and registry behaviour against a real broker and a real registry. Subclasses say which ones:
 * embedded (always) or Testcontainers (where Docker exists).
 */
abstract class SchemaRegistryScenarios {

    abstract KafkaEnvironment env();

    private SchemaRegistry client() {
        return SchemaRegistry.connect(RegistryConfig.of(env().registryUrl()));
    }

    static ModalityScore score(String id) {
        return ModalityScore.newBuilder()
                .setEventId(id).setModality("acoustic").setModel("am").setModelVersion("3")
                .setScores(List.of(0.8f, 0.2f)).setScoreType(ScoreType.PROBABILITY)
                .setConfidence(0.9f).setEventTime(Instant.ofEpochMilli(1_700_000_000_123L))
                .setAttributes(Map.of("device", "kitchen")).build();
    }

    private KafkaProducer<String, Object> producer() {
        Map<String, Object> p = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env().bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class,
                RegistryConfig.URL, env().registryUrl());
        return new KafkaProducer<>(p);
    }

    private <V> List<ConsumerRecord<String, V>> readAll(String topic, Deserializer<V> values, int expected) {
        Map<String, Object> c = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(c, new StringDeserializer(), values)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void modalityScoreRoundTripsThroughARealTopic() throws Exception {
        String topic = env().createTopic("scores.acoustic", 1);
        ModalityScore sent = score("utt-1");
        try (KafkaProducer<String, Object> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, "utt-1", sent)).get();
        }
        SchemaRegistry registry = client();
        List<ConsumerRecord<String, ModalityScore>> got =
                readAll(topic, AvroDeserializer.specific(ModalityScore.class, registry), 1);
        assertThat(got).hasSize(1);
        assertThat(got.get(0).key()).isEqualTo("utt-1");
        assertThat(got.get(0).value()).isEqualTo(sent);
    }

    @Test
    void theIdInTheBytesIsTheRegistrysIdForTheSubject() throws Exception {
        String topic = env().createTopic("scores.lexical", 1);
        try (KafkaProducer<String, Object> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, "utt-2", score("utt-2"))).get();
        }
        byte[] raw = readAll(topic, new ByteArrayDeserializer(), 1).get(0).value();
        assertThat(raw[0]).isEqualTo((byte) 0);
        int idInBytes = ByteBuffer.wrap(raw, 1, 4).getInt();

        SchemaRegistry.RegisteredSchema latest = client().latest(topic + "-value");
        assertThat(idInBytes).isEqualTo(latest.id());
        assertThat(latest.version()).isEqualTo(1);
        assertThat(latest.schema()).isEqualTo(ModalityScore.getClassSchema());
        // A fresh client (empty caches) resolves the same id to the same schema.
        assertThat(client().schemaById(idInBytes)).isEqualTo(ModalityScore.getClassSchema());
    }

    /** ModalityScore plus an optional field with a default: a BACKWARD-compatible evolution. */
    static Schema v2() {
        Schema v1 = ModalityScore.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        v1.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        fields.add(new Schema.Field("device_id", Schema.createUnion(Schema.create(Schema.Type.NULL),
                Schema.create(Schema.Type.STRING)), "added in v2", Schema.Field.NULL_DEFAULT_VALUE));
        return Schema.createRecord(v1.getName(), v1.getDoc(), v1.getNamespace(), false, fields);
    }

    static GenericRecord v2Record(Schema v2, String id) {
        GenericData.Record r = new GenericData.Record(v2);
        r.put("event_id", id);
        r.put("modality", "acoustic");
        r.put("model", "am");
        r.put("model_version", "4");
        r.put("scores", List.of(0.3f, 0.7f));
        r.put("score_type", new GenericData.EnumSymbol(v2.getField("score_type").schema(), "LOGIT"));
        r.put("event_time", 1_700_000_000_000L);
        r.put("attributes", Map.of());
        r.put("device_id", "dev-42");
        return r;
    }

    @Test
    void backwardEvolutionRegistersAndReadsBothWays() throws Exception {
        String topic = env().createTopic("scores.evolve", 1);
        Schema v2 = v2();
        try (KafkaProducer<String, Object> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, "old", score("old"))).get();            // v1 writer
            producer.send(new ProducerRecord<>(topic, "new", v2Record(v2, "new"))).get();     // v2 writer
        }
        SchemaRegistry registry = client();
        assertThat(registry.compatibility(null)).isEqualTo("BACKWARD");
        SchemaRegistry.RegisteredSchema latest = registry.latest(topic + "-value");
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.schema()).isEqualTo(v2);

        // v1 readers (the generated class) read v1 and v2 data; the new field is dropped.
        List<ConsumerRecord<String, ModalityScore>> asV1 =
                readAll(topic, AvroDeserializer.specific(ModalityScore.class, registry), 2);
        assertThat(asV1).extracting(r -> r.value().getEventId()).containsExactly("old", "new");
        assertThat(asV1.get(1).value().getScoreType()).isEqualTo(ScoreType.LOGIT);
        assertThat(asV1.get(1).value().getEventTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));

        // v2 readers read v1 data with the default, and v2 data with the value.
        List<ConsumerRecord<String, GenericRecord>> asV2 =
                readAll(topic, AvroDeserializer.generic(v2, registry), 2);
        assertThat(asV2.get(0).value().get("device_id")).isNull();
        assertThat(asV2.get(0).value().get("model_version").toString()).isEqualTo("3");
        assertThat(asV2.get(1).value().get("device_id").toString()).isEqualTo("dev-42");
    }

    /** FusedPrediction as releases before operating points wrote it: without decision, threshold, operating_point. */
    static Schema fusedPredictionBeforeDecisions() throws java.io.IOException {
        return new Schema.Parser().parse(java.nio.file.Files.readString(
                java.nio.file.Path.of("src/test/resources/schemas-before-decisions/FusedPrediction.avsc")));
    }

    static io.latefuse.avro.FusedPrediction prediction(String id, String decision) {
        return io.latefuse.avro.FusedPrediction.newBuilder().setEventId(id).setLabel("directed")
                .setScores(List.of(0.8f, 0.2f)).setStatus(io.latefuse.avro.PredictionStatus.COMPLETE).setRevision(0)
                .setPresent(List.of("acoustic")).setMissing(List.of()).setStrategy("log_odds")
                .setFusionModelVersion("closed-form").setEventTime(Instant.ofEpochMilli(1_700_000_000_000L))
                .setFirstArrival(Instant.ofEpochMilli(1_700_000_000_001L)).setEmittedAt(Instant.ofEpochMilli(1_700_000_000_300L))
                .setWaitMs(299).setContributions(Map.of("acoustic", 1f))
                .setDecision(decision).setThreshold(decision == null ? null : 0.42f)
                .setOperatingPoint(decision == null ? null : "frr-0.10").build();
    }

    @Test
    void fusedPredictionGainsItsDecisionFieldsUnderBackward() throws Exception {
        String topic = env().createTopic("fused.evolve", 1);
        String subject = topic + "-value";
        SchemaRegistry registry = client();
        Schema old = fusedPredictionBeforeDecisions();
        assertThat(registry.compatibility(null)).as("the registry's level").isEqualTo("BACKWARD");
        registry.register(subject, old);
        assertThat(registry.isCompatible(subject, io.latefuse.avro.FusedPrediction.getClassSchema())).isTrue();

        try (KafkaProducer<String, Object> producer = producer()) {
            GenericData.Record before = new GenericData.Record(old);
            io.latefuse.avro.FusedPrediction p = prediction("before", null);
            for (Schema.Field f : old.getFields()) {
                Object v = p.get(f.name());
                if (v instanceof Instant t) {
                    v = t.toEpochMilli();
                } else if (v instanceof io.latefuse.avro.PredictionStatus st) {
                    v = new GenericData.EnumSymbol(f.schema(), st.name());
                }
                before.put(f.name(), v);
            }
            producer.send(new ProducerRecord<>(topic, "before", before)).get();                       // the old writer
            producer.send(new ProducerRecord<>(topic, "after", prediction("after", "directed"))).get(); // this release
        }
        // The registry took the new schema as a second version of the subject.
        assertThat(registry.latest(subject).version()).isEqualTo(2);

        // A consumer still on the old schema reads both; the new fields are dropped.
        List<ConsumerRecord<String, GenericRecord>> asOld = readAll(topic, AvroDeserializer.generic(old, registry), 2);
        assertThat(asOld).extracting(r -> r.value().get("event_id").toString()).containsExactly("before", "after");
        assertThat(asOld.get(1).value().getSchema().getField("decision")).isNull();
        assertThat(asOld.get(1).value().get("label").toString()).isEqualTo("directed");

        // This release reads the old records with the defaults, and its own with the values.
        List<ConsumerRecord<String, io.latefuse.avro.FusedPrediction>> asNew =
                readAll(topic, AvroDeserializer.specific(io.latefuse.avro.FusedPrediction.class, registry), 2);
        assertThat(asNew.get(0).value().getDecision()).isNull();
        assertThat(asNew.get(0).value().getThreshold()).isNull();
        assertThat(asNew.get(1).value().getDecision()).isEqualTo("directed");
        assertThat(asNew.get(1).value().getThreshold()).isEqualTo(0.42f);
        assertThat(asNew.get(1).value().getOperatingPoint()).isEqualTo("frr-0.10");
    }

    @Test
    void anIncompatibleSchemaIsRefusedWithAClearError() throws Exception {
        String topic = env().createTopic("scores.incompatible", 1);
        String subject = topic + "-value";
        SchemaRegistry registry = client();
        registry.register(subject, ModalityScore.getClassSchema());

        // A new required field without a default cannot read old data: not BACKWARD-compatible.
        Schema v1 = ModalityScore.getClassSchema();
        Schema bad = SchemaBuilder.record(v1.getName()).namespace(v1.getNamespace()).fields()
                .requiredString("event_id").requiredString("tenant").endRecord();
        assertThat(registry.isCompatible(subject, bad)).isFalse();
        assertThatThrownBy(() -> registry.register(subject, bad))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("HTTP 409");
                });

        // Through the serializer, the error says which topic and subject refused the record.
        GenericData.Record record = new GenericData.Record(bad);
        record.put("event_id", "x");
        record.put("tenant", "t");
        AvroSerializer<GenericRecord> serializer = new AvroSerializer<>(registry, RegistryConfig.of(env().registryUrl()), false);
        assertThatThrownBy(() -> serializer.serialize(topic, record))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining(topic)
                .hasMessageContaining(subject);
    }

    @Test
    void garbageAndUnknownIdsGiveErrorsThatSayWhich() throws Exception {
        String topic = env().createTopic("scores.garbage", 1);
        byte[] good = new AvroSerializer<ModalityScore>(client(), RegistryConfig.of(env().registryUrl()), false)
                .serialize(topic, score("g"));
        byte[] wrongMagic = good.clone();
        wrongMagic[0] = 0x7b; // '{', as if someone wrote JSON
        byte[] tooShort = {0, 0, 1};
        byte[] truncatedBody = Arrays.copyOf(good, good.length - 6);
        byte[] unknownId = good.clone();
        ByteBuffer.wrap(unknownId).put(1, new byte[] {0x7f, 0x00, 0x00, 0x01}); // id 2130706433
        List<byte[]> bad = List.of(wrongMagic, tooShort, truncatedBody, unknownId);

        Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env().bootstrapServers());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for (byte[] b : bad) {
                producer.send(new ProducerRecord<>(topic, "k", b)).get();
            }
        }
        List<ConsumerRecord<String, byte[]>> raw = readAll(topic, new ByteArrayDeserializer(), bad.size());
        assertThat(raw).hasSize(bad.size());

        AvroDeserializer<ModalityScore> deserializer = AvroDeserializer.specific(ModalityScore.class, client());
        assertThatThrownBy(() -> deserializer.deserialize(topic, raw.get(0).value()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Unknown magic byte 0x7b");
        assertThatThrownBy(() -> deserializer.deserialize(topic, raw.get(1).value()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Truncated payload").hasMessageContaining("3 bytes");
        assertThatThrownBy(() -> deserializer.deserialize(topic, raw.get(2).value()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Truncated Avro body");
        assertThatThrownBy(() -> deserializer.deserialize(topic, raw.get(3).value()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Unknown schema id 2130706433")
                .hasMessageContaining(topic);

        // A plain consumer configured with the deserializer surfaces the same reason.
        Map<String, Object> c = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "garbage-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                RegistryConfig.URL, env().registryUrl());
        try (KafkaConsumer<String, ModalityScore> consumer =
                     new KafkaConsumer<>(c, new StringDeserializer(), AvroDeserializer.specific(ModalityScore.class, null))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            RecordDeserializationException failure = null;
            while (failure == null && System.currentTimeMillis() < deadline) {
                try {
                    consumer.poll(Duration.ofMillis(200));
                } catch (RecordDeserializationException e) {
                    failure = e;
                }
            }
            assertThat(failure).isNotNull();
            assertThat(failure.offset()).isZero();
            assertThat(failure.getCause()).hasMessageContaining("Unknown magic byte");
        }
    }
}
