package io.latefuse.registry;

import io.latefuse.avro.ModalityScore;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Serde logic on the in-memory {@code mock://} registry; the same paths run on a real registry in the ITs. */
class AvroSerdeTest {
    private static final String SCOPE = "serde-test";
    private final SchemaRegistry registry = InMemorySchemaRegistry.forScope(SCOPE);

    @AfterEach
    void drop() {
        InMemorySchemaRegistry.dropScope(SCOPE);
    }

    private static RegistryConfig config(Map<String, Object> extra) {
        Map<String, Object> m = new java.util.HashMap<>(extra);
        m.put(RegistryConfig.URL, InMemorySchemaRegistry.SCHEME + SCOPE);
        return RegistryConfig.fromMap(m);
    }

    @Test
    void framesWithMagicByteAndTheSubjectsId() {
        AvroSerializer<ModalityScore> ser = new AvroSerializer<>(registry, config(Map.of()), false);
        byte[] bytes = ser.serialize("scores.a", SchemaRegistryScenarios.score("e1"));
        assertThat(bytes[0]).isZero();
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(registry.latest("scores.a-value").id());
        assertThat(AvroDeserializer.specific(ModalityScore.class, registry).deserialize("scores.a", bytes))
                .isEqualTo(SchemaRegistryScenarios.score("e1"));
    }

    @Test
    void withoutAutoRegisterAnUnregisteredSchemaIsRefused() {
        AvroSerializer<ModalityScore> ser = new AvroSerializer<>(registry, config(Map.of(RegistryConfig.AUTO_REGISTER, false)), false);
        assertThatThrownBy(() -> ser.serialize("scores.b", SchemaRegistryScenarios.score("e1")))
                .isInstanceOf(SerializationException.class).hasMessageContaining("scores.b-value");
        registry.register("scores.b-value", ModalityScore.getClassSchema());
        assertThat(ser.serialize("scores.b", SchemaRegistryScenarios.score("e1"))).isNotNull();
    }

    @Test
    void useLatestVersionWritesWithTheLatestSchema() {
        Schema v2 = SchemaRegistryScenarios.v2();
        registry.register("scores.c-value", ModalityScore.getClassSchema());
        int v2Id = registry.register("scores.c-value", v2);
        AvroSerializer<ModalityScore> ser = new AvroSerializer<>(registry, config(Map.of(RegistryConfig.USE_LATEST, true)), false);
        byte[] bytes = ser.serialize("scores.c", SchemaRegistryScenarios.score("e2"));
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(v2Id);
        GenericRecord asV2 = AvroDeserializer.generic(registry).deserialize("scores.c", bytes);
        assertThat(asV2.getSchema()).isEqualTo(v2);
        assertThat(asV2.get("event_id").toString()).isEqualTo("e2");
        assertThat(asV2.get("device_id")).isNull();
    }

    @Test
    void useLatestVersionAsksTheRegistryOncePerTtlNotPerRecord() {
        registry.register("scores.d-value", ModalityScore.getClassSchema());
        int[] lookups = {0};
        SchemaRegistry counting = new SchemaRegistry() {
            public int register(String subject, Schema schema) {
                return registry.register(subject, schema);
            }

            public int lookupId(String subject, Schema schema) {
                return registry.lookupId(subject, schema);
            }

            public Schema schemaById(int id) {
                return registry.schemaById(id);
            }

            public RegisteredSchema latest(String subject) {
                lookups[0]++;
                return registry.latest(subject);
            }

            public boolean isCompatible(String subject, Schema schema) {
                return registry.isCompatible(subject, schema);
            }

            public String compatibility(String subject) {
                return registry.compatibility(subject);
            }

            public void setCompatibility(String subject, String level) {
                registry.setCompatibility(subject, level);
            }
        };
        long[] now = {1_000_000};
        AvroSerializer<ModalityScore> ser = new AvroSerializer<>(counting,
                config(Map.of(RegistryConfig.USE_LATEST, true, RegistryConfig.LATEST_CACHE_TTL_SEC, 60)), false,
                () -> now[0]);
        for (int i = 0; i < 100; i++) {
            ser.serialize("scores.d", SchemaRegistryScenarios.score("e" + i));
        }
        assertThat(lookups[0]).isEqualTo(1);

        // A new version registered meanwhile is picked up once the cached one is older than the TTL.
        int v2Id = registry.register("scores.d-value", SchemaRegistryScenarios.v2());
        now[0] += 59_000;
        assertThat(ByteBuffer.wrap(ser.serialize("scores.d", SchemaRegistryScenarios.score("x")), 1, 4).getInt())
                .isNotEqualTo(v2Id);
        now[0] += 2_000;
        assertThat(ByteBuffer.wrap(ser.serialize("scores.d", SchemaRegistryScenarios.score("y")), 1, 4).getInt())
                .isEqualTo(v2Id);
        assertThat(lookups[0]).isEqualTo(2);

        assertThatThrownBy(() -> config(Map.of(RegistryConfig.LATEST_CACHE_TTL_SEC, -5)))
                .hasMessageContaining(RegistryConfig.LATEST_CACHE_TTL_SEC);
    }

    @Test
    void nullIsATombstoneBothWays() {
        assertThat(new AvroSerializer<ModalityScore>(registry, config(Map.of()), false).serialize("t", null)).isNull();
        assertThat(AvroDeserializer.specific(ModalityScore.class, registry).deserialize("t", null)).isNull();
    }

    @Test
    void headerErrorsSayWhichWasWrong() {
        AvroDeserializer<ModalityScore> de = AvroDeserializer.specific(ModalityScore.class, registry);
        assertThatThrownBy(() -> de.deserialize("t", new byte[] {1, 0, 0, 0, 1, 2}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Unknown magic byte 0x01");
        assertThatThrownBy(() -> de.deserialize("t", new byte[0]))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Truncated payload").hasMessageContaining("0 bytes");
        assertThatThrownBy(() -> de.deserialize("t", new byte[] {0, 0, 0, 0, 42, 2}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("Unknown schema id 42");
    }

    @Test
    void mockRegistryEnforcesBackwardCompatibility() {
        registry.register("s-value", ModalityScore.getClassSchema());
        assertThat(registry.isCompatible("s-value", SchemaRegistryScenarios.v2())).isTrue();
        Schema bad = org.apache.avro.SchemaBuilder.record("ModalityScore").namespace("io.latefuse.avro").fields()
                .requiredString("tenant").endRecord();
        assertThat(registry.isCompatible("s-value", bad)).isFalse();
        assertThatThrownBy(() -> registry.register("s-value", bad))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(409));
    }
}
