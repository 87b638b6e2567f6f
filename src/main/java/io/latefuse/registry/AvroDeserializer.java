package io.latefuse.registry;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads Confluent-framed Avro. The writer's schema comes from the registry by the id in the bytes and is
 * resolved against the reader's schema (the generated class's, or a given one), so BACKWARD-evolved data reads fine.
 * <p>
 * Errors that are the record's fault (wrong magic byte, truncated payload, an id the registry says it does not have,
 * a schema that is not Avro or that Avro cannot parse, corrupt body) raise {@link SerializationException} with a message that says which. Any
 * other registry failure (unreachable, 5xx, 401/403, a 404 that is not Confluent's "schema not found", an answer that
 * is not JSON) raises {@link SchemaRegistryException} instead: it is not the record's fault and must not send it to a
 * dead-letter topic.
 * Thread-safe.
 */
public class AvroDeserializer<T> implements Deserializer<T> {
    private final Class<T> specificClass;
    private final Schema readerSchema;
    private SchemaRegistry registry;
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

    private AvroDeserializer(Class<T> specificClass, Schema readerSchema, SchemaRegistry registry) {
        this.specificClass = specificClass;
        this.readerSchema = readerSchema;
        this.registry = registry;
    }

    /** Reads into the generated class {@code type}. */
    public static <T extends SpecificRecord> AvroDeserializer<T> specific(Class<T> type, SchemaRegistry registry) {
        TrustedAvroClasses.trust(type);
        return new AvroDeserializer<>(type, SpecificData.get().getSchema(type), registry);
    }

    /** Reads GenericRecords in the writer's own schema. */
    public static AvroDeserializer<GenericRecord> generic(SchemaRegistry registry) {
        return new AvroDeserializer<>(null, null, registry);
    }

    /** Reads GenericRecords projected onto {@code readerSchema}. */
    public static AvroDeserializer<GenericRecord> generic(Schema readerSchema, SchemaRegistry registry) {
        return new AvroDeserializer<>(null, readerSchema, registry);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (registry == null) {
            registry = SchemaRegistry.connect(RegistryConfig.fromMap(configs));
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        int id = WireFormat.schemaId(topic, data);
        DatumReader<T> reader = readers.get(id);
        if (reader == null) {
            reader = readerFor(topic, id);
            readers.put(id, reader);
        }
        try {
            return reader.read(null, DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE,
                    data.length - WireFormat.HEADER_SIZE, null));
        } catch (EOFException | ArrayIndexOutOfBoundsException e) {
            throw new SerializationException("Truncated Avro body on topic '" + topic + "' for schema id " + id
                    + ": the payload ends before the record does (" + data.length + " bytes)", e);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Corrupt Avro body on topic '" + topic + "' for schema id " + id + ": "
                    + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private DatumReader<T> readerFor(String topic, int id) {
        Schema writer;
        try {
            writer = registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            if (e.blamesRecord()) {
                String why = e.errorCode() == SchemaRegistryException.SCHEMA_NOT_FOUND
                        ? "the schema registry has no such schema (error_code " + e.errorCode() + ")" : e.getMessage();
                throw new SerializationException("Unknown schema id " + id + " on topic '" + topic + "': " + why, e);
            }
            throw e; // the registry's trouble, not the record's: the caller retries
        }
        if (specificClass != null) {
            return new SpecificDatumReader<>(writer, readerSchema, SpecificData.getForClass(specificClass));
        }
        return (DatumReader<T>) new GenericDatumReader<>(writer, readerSchema == null ? writer : readerSchema,
                GenericData.get());
    }
}
