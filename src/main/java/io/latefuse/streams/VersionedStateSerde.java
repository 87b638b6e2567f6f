package io.latefuse.streams;

import io.latefuse.registry.TrustedAvroClasses;
import org.apache.avro.Schema;
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
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Avro binary for latefuse's own state stores and their changelogs, with a format version on every value, so that a
 * release can read what the one before it wrote, and refuses what it cannot read rather than mis-read it. No
 * registry: the state is private to the app.
 * <ul>
 *   <li>Format 5 (this release): {@code 0x01}, the format version, then Avro binary in the class's schema, frozen as
 *       {@code <Class>-v5.avsc} in the tests (a test fails when the class's schema drifts from it without a bump).
 *       {@code EventState} gained {@code emitted_with}: the modalities the last prediction emitted was made with.</li>
 *   <li>Format 4: {@code EventState} has the last prediction's {@code decision}.</li>
 *   <li>Format 3: {@code EventState} gained the last prediction's {@code scores} and {@code degraded_reason}, for
 *       event lookup. It shipped in two layouts under one number: {@code EventState-v3.avsc}, and from a later commit
 *       {@code EventState-v3-decision.avsc}, with {@code decision} appended. A format-3 value is read with the layout
 *       that decodes it to its last byte.</li>
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
    static final int CURRENT = 5;

    private final String type;
    private final SpecificDatumWriter<T> writer;
    /**
     * Per format version this release reads: readers from that version's writer schemas to the current one, in the
     * order they are tried (more than one only where a format shipped in more than one layout).
     */
    private final Map<Integer, List<SpecificDatumReader<T>>> readers = new HashMap<>();

    public VersionedStateSerde(Class<T> type) {
        TrustedAvroClasses.trust(type);
        this.type = type.getSimpleName();
        SpecificData model = SpecificData.getForClass(type);
        Schema schema = model.getSchema(type);
        this.writer = new SpecificDatumWriter<>(schema, model);
        readers.put(CURRENT, List.of(new SpecificDatumReader<>(schema, schema, model)));
        for (int version = 0; version < CURRENT; version++) {
            List<SpecificDatumReader<T>> layouts = new ArrayList<>();
            layouts.add(new SpecificDatumReader<>(writerSchema(type, version, "", true), schema, model));
            Schema later = writerSchema(type, version, "-decision", false);
            if (later != null) {
                layouts.add(new SpecificDatumReader<>(later, schema, model));
            }
            readers.put(version, List.copyOf(layouts));
        }
    }

    /** A frozen writer schema, {@code <Class>-v<version><suffix>.avsc}; null if optional and absent. */
    private static Schema writerSchema(Class<?> type, int version, String suffix, boolean required) {
        String resource = "/io/latefuse/state/" + type.getSimpleName() + "-v" + version + suffix + ".avsc";
        try (InputStream in = VersionedStateSerde.class.getResourceAsStream(resource)) {
            if (in == null) {
                if (!required) {
                    return null;
                }
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
            List<SpecificDatumReader<T>> layouts = readers.get(version);
            if (layouts == null) {
                throw new StateFormatException(type + " state in " + topic + " is in format " + version
                        + ", written by a newer latefuse; this release reads formats 0 to " + CURRENT
                        + ". Run the newer release, or reset the application's state (docs/operations.md, \"State and upgrades\").");
            }
            Exception last = null;
            for (SpecificDatumReader<T> reader : layouts) {
                try {
                    BinaryDecoder in = DecoderFactory.get().binaryDecoder(bytes, offset, bytes.length - offset, null);
                    T value = reader.read(null, in);
                    if (layouts.size() == 1 || in.isEnd()) {
                        return value;
                    }
                    last = new IOException("bytes left over after the " + reader.getSchema().getFields().size()
                            + "-field layout");
                } catch (IOException | RuntimeException e) {
                    last = e;
                }
            }
            throw new StateFormatException(type + " state in " + topic + " (format " + version
                    + ") cannot be read: " + last.getMessage(), last);
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
