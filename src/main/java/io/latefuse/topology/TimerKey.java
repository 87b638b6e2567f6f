package io.latefuse.topology;

import org.apache.kafka.common.utils.Bytes;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Keys of the deadline index: an 8-byte big-endian time, then the event id in UTF-8. Stores order
 * keys as unsigned bytes, so entries sort by time, and "everything due by {@code now}" is a bounded range scan
 * whose cost is the number of due entries.
 */
public final class TimerKey {

    private TimerKey() {}

    /** The entry for an event due at {@code time}. */
    public static Bytes of(long time, String eventId) {
        byte[] id = eventId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(8 + id.length).putLong(Math.max(0, time)).put(id).array());
    }

    /**
     * The smallest possible key at {@code time}: it sorts before every entry at {@code time} and after every entry
     * before it, so {@code range(bound(a), bound(b + 1))} holds exactly the entries with {@code a <= time <= b}.
     */
    public static Bytes bound(long time) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(Math.max(0, time)).array());
    }

    public static long time(Bytes key) {
        return ByteBuffer.wrap(key.get()).getLong();
    }

    public static String eventId(Bytes key) {
        byte[] k = key.get();
        return new String(k, 8, k.length - 8, StandardCharsets.UTF_8);
    }
}
