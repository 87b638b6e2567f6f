package io.latefuse.topology;

import io.latefuse.registry.TrustedAvroClasses;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Plain Avro binary for latefuse's own state stores and their changelogs. No registry: the state is private to
 * the app.
 */
public final class PlainAvroSerde<T extends SpecificRecord> implements Serde<T> {
    private final SpecificDatumWriter<T> writer;
    private final SpecificDatumReader<T> reader;

    public PlainAvroSerde(Class<T> type) {
        TrustedAvroClasses.trust(type);
        SpecificData model = SpecificData.getForClass(type);
        Schema schema = model.getSchema(type);
        this.writer = new SpecificDatumWriter<>(schema, model);
        this.reader = new SpecificDatumReader<>(schema, schema, model);
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream(256);
                BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
                writer.write(value, enc);
                enc.flush();
                return out.toByteArray();
            } catch (IOException e) {
                throw new SerializationException("cannot write state to " + topic, e);
            }
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, null));
            } catch (IOException e) {
                throw new SerializationException("cannot read state from " + topic, e);
            }
        };
    }
}
