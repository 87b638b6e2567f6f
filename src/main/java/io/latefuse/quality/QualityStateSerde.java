package io.latefuse.quality;

import io.latefuse.streams.VersionedStateSerde;
import org.apache.avro.io.BinaryDecoder;
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
 * Avro binary for the quality app's own state and its outcomes topic: {@code 0x01}, the format ({@link #FORMAT}),
 * then Avro in the class's schema, frozen in the tests ({@code QualityContractsTest}). A value in another format is
 * refused, never mis-read: the stream thread fails with {@link VersionedStateSerde.StateFormatException}, as the
 * fusion app's does.
 */
final class QualityStateSerde<T extends SpecificRecord> implements Serde<T> {
    static final byte MARKER = 0x01;
    /** The only format so far. A new layout bumps it and keeps a reader for this one. */
    static final int FORMAT = 1;

    private final String type;
    private final SpecificDatumWriter<T> writer;
    private final SpecificDatumReader<T> reader;

    QualityStateSerde(Class<T> type) {
        io.latefuse.registry.TrustedAvroClasses.trust(type); // Avro refuses to build classes it was not told to trust
        this.type = type.getSimpleName();
        SpecificData model = SpecificData.getForClass(type);
        org.apache.avro.Schema schema = model.getSchema(type);
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
                ByteArrayOutputStream out = new ByteArrayOutputStream(128);
                out.write(MARKER);
                out.write(FORMAT);
                BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
                writer.write(value, enc);
                enc.flush();
                return out.toByteArray();
            } catch (IOException e) {
                throw new SerializationException("cannot write " + type + " to " + topic, e);
            }
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            if (bytes.length < 2 || bytes[0] != MARKER || bytes[1] != FORMAT) {
                throw new VersionedStateSerde.StateFormatException(type + " in " + topic + " is not in format "
                        + FORMAT + " (it begins " + (bytes.length == 0 ? "with nothing" : "with byte " + (bytes[0] & 0xff)
                        + (bytes.length > 1 ? ", " + (bytes[1] & 0xff) : "")) + "): written by another release, or "
                        + "not by latefuse quality");
            }
            try {
                BinaryDecoder in = DecoderFactory.get().binaryDecoder(bytes, 2, bytes.length - 2, null);
                return reader.read(null, in);
            } catch (IOException | RuntimeException e) {
                throw new VersionedStateSerde.StateFormatException(type + " in " + topic + " cannot be read: "
                        + e.getMessage(), e);
            }
        };
    }
}
