package io.latefuse.registry;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Serializes Avro records (generated SpecificRecords or GenericRecords) in the Confluent wire format,
 * under the TopicNameStrategy subject {@code <topic>-value} (or {@code -key}).
 * <ul>
 *   <li>{@code auto.register.schemas=true} (default): registers the record's schema.</li>
 *   <li>{@code auto.register.schemas=false}: looks the schema's id up and fails if it is not registered.</li>
 *   <li>{@code use.latest.version=true}: writes with the subject's latest schema and id, projecting the record onto it.
 *       The latest schema is looked up once per {@code latest.cache.ttl.sec}, not per record.</li>
 * </ul>
 * Thread-safe.
 */
public class AvroSerializer<T extends IndexedRecord> implements Serializer<T> {
    private SchemaRegistry registry;
    private RegistryConfig config;
    private boolean isKey;
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    private final Map<String, Latest> latest = new ConcurrentHashMap<>();
    private final LongSupplier clockMs;

    /** A subject's latest schema as looked up at {@code atMs}. */
    private record Latest(SchemaRegistry.RegisteredSchema schema, long atMs) {}

    /** For Kafka's reflective instantiation; {@link #configure} then connects to the registry. */
    public AvroSerializer() {
        this.clockMs = System::currentTimeMillis;
    }

    public AvroSerializer(SchemaRegistry registry, RegistryConfig config, boolean isKey) {
        this(registry, config, isKey, System::currentTimeMillis);
    }

    /** @param clockMs the clock that ages the cached latest schema */
    AvroSerializer(SchemaRegistry registry, RegistryConfig config, boolean isKey, LongSupplier clockMs) {
        this.registry = registry;
        this.config = config;
        this.isKey = isKey;
        this.clockMs = clockMs;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.config = RegistryConfig.fromMap(configs);
        this.registry = SchemaRegistry.connect(config);
        this.isKey = isKey;
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        if (registry == null) {
            throw new IllegalStateException("AvroSerializer is not configured: call configure() or pass a registry");
        }
        String subject = Subjects.topicName(topic, isKey);
        Schema schema = record.getSchema();
        Object toWrite = record;
        int id;
        try {
            if (config.useLatestVersion()) {
                SchemaRegistry.RegisteredSchema newest = latest(subject);
                if (!newest.schema().equals(schema)) {
                    toWrite = project(record, newest.schema());
                    schema = newest.schema();
                }
                id = newest.id();
            } else if (config.autoRegister()) {
                id = registry.register(subject, schema);
            } else {
                id = registry.lookupId(subject, schema);
            }
        } catch (SchemaRegistryException e) {
            if (e.httpStatus() == 409 || e.httpStatus() == 422 || e.isNotFound()) {
                throw new SerializationException("Cannot serialize to topic '" + topic + "' (subject '" + subject + "'): "
                        + e.getMessage(), e);
            }
            throw e; // unreachable registry or server error: not a fault of this record
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(64);
            out.write(WireFormat.MAGIC_BYTE);
            out.write(id >>> 24);
            out.write(id >>> 16);
            out.write(id >>> 8);
            out.write(id);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writerFor(schema, toWrite).write(toWrite, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("Cannot write Avro record to topic '" + topic + "' with schema "
                    + schema.getFullName() + ": " + e.getMessage(), e);
        }
    }

    private SchemaRegistry.RegisteredSchema latest(String subject) {
        long now = clockMs.getAsLong();
        long ttl = config.latestCacheTtl().toMillis();
        Latest cached = latest.get(subject);
        if (cached != null && (ttl < 0 || now - cached.atMs() < ttl)) {
            return cached.schema();
        }
        SchemaRegistry.RegisteredSchema fresh = registry.latest(subject);
        latest.put(subject, new Latest(fresh, now));
        return fresh;
    }

    private DatumWriter<Object> writerFor(Schema schema, Object record) {
        return writers.computeIfAbsent(schema, s -> record instanceof SpecificRecord sr
                ? new SpecificDatumWriter<>(s, SpecificData.getForClass(sr.getClass()))
                : new GenericDatumWriter<>(s, GenericData.get()));
    }

    /** Re-reads {@code record} through Avro schema resolution so that it can be written with {@code target}. */
    private static Object project(IndexedRecord record, Schema target) throws SerializationException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
            GenericData model = record instanceof SpecificRecord sr ? SpecificData.getForClass(sr.getClass()) : GenericData.get();
            new GenericDatumWriter<>(record.getSchema(), model).write(record, enc);
            enc.flush();
            return new GenericDatumReader<>(record.getSchema(), target, GenericData.get())
                    .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("use.latest.version: the record's schema " + record.getSchema().getFullName()
                    + " cannot be projected onto the latest registered schema: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        // the registry client is shared and holds no per-serializer resources
    }
}
