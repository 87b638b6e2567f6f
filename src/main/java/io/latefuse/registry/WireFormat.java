package io.latefuse.registry;

import org.apache.kafka.common.errors.SerializationException;

import java.nio.ByteBuffer;

/**
 * Confluent's wire format: magic byte {@code 0}, a 4-byte big-endian schema id, then the Avro binary body.
 */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {}

    /** Reads and checks the header, returning the schema id; the body starts at {@link #HEADER_SIZE}. */
    public static int schemaId(String topic, byte[] data) {
        if (data.length < HEADER_SIZE) {
            throw new SerializationException("Truncated payload on topic '" + topic + "': " + data.length
                    + " bytes, but the Confluent wire format needs at least " + HEADER_SIZE
                    + " (magic byte + 4-byte schema id)");
        }
        if (data[0] != MAGIC_BYTE) {
            throw new SerializationException(String.format(
                    "Unknown magic byte 0x%02x on topic '%s': expected 0x00 (Confluent wire format); "
                            + "the record was not written by a schema-registry Avro serializer", data[0] & 0xff, topic));
        }
        return ByteBuffer.wrap(data, 1, 4).getInt();
    }

    /** Writes the header for {@code schemaId} into {@code out}, which must have room for it. */
    public static void writeHeader(ByteBuffer out, int schemaId) {
        out.put(MAGIC_BYTE).putInt(schemaId);
    }
}
