package io.latefuse.registry;

import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Confluent-format Avro serdes sharing one registry client. */
public final class AvroSerdes {
    private AvroSerdes() {}

    /** A value serde for the generated class {@code type}. */
    public static <T extends SpecificRecord> Serde<T> specific(Class<T> type, SchemaRegistry registry, RegistryConfig config) {
        return Serdes.serdeFrom(new AvroSerializer<>(registry, config, false), AvroDeserializer.specific(type, registry));
    }

    /** A value serde for GenericRecords, read in the writer's schema. */
    public static Serde<GenericRecord> generic(SchemaRegistry registry, RegistryConfig config) {
        return Serdes.serdeFrom(new AvroSerializer<>(registry, config, false), AvroDeserializer.generic(registry));
    }
}
