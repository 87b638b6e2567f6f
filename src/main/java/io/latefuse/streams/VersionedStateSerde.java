package io.latefuse.streams;

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
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Avro binary for latefuse's own state stores and their changelogs, with a format version on every value, so that a
 * release can read what the one before it wrote, and refuses what it cannot read rather than mis-read it. No
 * registry: the state is private to the app.
 * <ul>
 *   <li>Format 3 (this release): {@code 0x01}, the format version, then Avro binary in the class's schema.
 *       {@code EventState} gained the last prediction's {@code scores} and {@code degraded_reason}, for event
 *       lookup.</li>
 *   <li>Format 2: the same framing; {@code EventState} gained {@code settled}. Writer schema
 *       {@code <Class>-v2.avsc}.</li>
 *   <li>Format 1: the same framing, before {@code settled}; the writer schema is kept as {@code io/latefuse/state/<Class>-v1.avsc}.</li>
 *   <li>Format 0 (0.1, before versioning): bare Avro binary. Its writer schema is kept as the resource
 *       {@code io/latefuse/state/<Class>-v0.avsc}. Its first byte is always even: every state record begins with a
 *       string, whose length Avro writes as a zigzag varint of a non-negative number. {@code 0x01} (zigzag -1) is
 *       therefore never the first byte of a format-0 value.</li>
 * </ul>
 * A new layout bumps {@link #CURRENT}, keeps the old writer schema as {@code <Class>-v<n>.avsc}, and adds it here.
 */
public final class VersionedStateSerde<T extends SpecificRecord> implements Serde<T> {
    /** The first byte of every versioned value. */
    static final byte MARKER = 0x01;
    /** The format this release writes. */
    static final int CURRENT = 3;

    private final String type;
    private final SpecificDatumWriter<T> writer;
    /** Per format version this release reads: a reader from that version's writer schema to the current one. */
    private final Map<Integer, SpecificDatumReader<T>> readers = new HashMap<>();

    public VersionedStateSerde(Class<T> type) {
        TrustedAvroClasses.trust(type);
        this.type = type.getSimpleName();
        SpecificData model = SpecificData.getForClass(type);
        Schema schema = model.getSchema(type);
        this.writer = new SpecificDatumWriter<>(schema, model);
        readers.put(CURRENT, new SpecificDatumReader<>(schema, schema, model));
        for (int version = 0; version < CURRENT; version++) {
            readers.put(version, new SpecificDatumReader<>(writerSchema(type, version), schema, model));
        }
    }

    private static Schema writerSchema(Class<?> type, int version) {
        String resource = "/io/latefuse/state/" + type.getSimpleName() + "-v" + version + ".avsc";
        try (InputStream in = VersionedStateSerde.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing " + resource + ": the writer schema of "
                        + type.getSimpleName() + " state in format " + version);
            }
            return new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream(256);
                out.write(MARKER);
                out.write(CURRENT);
                BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
                writer.write(value, enc);
                enc.flush();
                return out.toByteArray();
            } catch (IOException e) {
                throw new SerializationException("cannot write " + type + " state to " + topic, e);
            }
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            if (bytes.length == 0) {
                throw new StateFormatException(type + " state in " + topic + " is empty: not a value latefuse wrote");
            }
            int version;
            int offset;
            if ((bytes[0] & 1) == 0) {
                version = 0; // written before versioning
                offset = 0;
            } else if (bytes[0] == MARKER && bytes.length >= 2) {
                version = bytes[1] & 0xff;
                offset = 2;
            } else {
                throw new StateFormatException(type + " state in " + topic + " begins with byte " + (bytes[0] & 0xff)
                        + ": not a value latefuse wrote");
            }
            SpecificDatumReader<T> reader = readers.get(version);
            if (reader == null) {
                throw new StateFormatException(type + " state in " + topic + " is in format " + version
                        + ", written by a newer latefuse; this release reads formats 0 to " + CURRENT
                        + ". Run the newer release, or reset the application's state (README, \"State and upgrades\").");
            }
            try {
                return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, offset, bytes.length - offset, null));
            } catch (IOException | RuntimeException e) {
                throw new StateFormatException(type + " state in " + topic + " (format " + version
                        + ") cannot be read: " + e.getMessage(), e);
            }
        };
    }

    /** Stored state this release cannot read. The stream thread fails with it: state is never mis-read or skipped. */
    public static final class StateFormatException extends SerializationException {
        public StateFormatException(String message) {
            super(message);
        }

        public StateFormatException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
