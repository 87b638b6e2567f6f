package io.latefuse.quality;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * When each event the quality join holds expires, in time order: keys are (expiry, big-endian, then the event id),
 * so that a scan range-reads only what has expired, never the whole store. Changelogged with the events store, so it
 * needs no rebuild (and no {@code all()}) when a task starts. An entry may be stale (its event was forgotten early,
 * when a record found it expired): the caller checks each one against the event's state.
 */
final class ExpiryIndex {
    private static final byte[] NO_VALUE = new byte[0];

    record Entry(long expiresAt, String eventId) {}

    private final KeyValueStore<Bytes, byte[]> store;
    /** No entry is earlier than this; scans start here, not at the store's first key (RocksDB's tombstones). */
    private long lowWater;

    ExpiryIndex(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    static Bytes key(long expiresAt, String eventId) {
        byte[] id = eventId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(8 + id.length).putLong(expiresAt).put(id).array());
    }

    /** The smallest key at {@code time}: below every entry of that time. */
    static Bytes bound(long time) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(time).array());
    }

    void add(long expiresAt, String eventId) {
        store.put(key(expiresAt, eventId), NO_VALUE);
        lowWater = Math.min(lowWater, expiresAt);
    }

    /** {@code put(key, null)}: a {@code delete} would read the old value to return it. */
    void remove(long expiresAt, String eventId) {
        store.put(key(expiresAt, eventId), null);
    }

    /**
     * Up to {@code limit} entries that expire at or before {@code now}, in time order, left in the store (the caller
     * removes each). A bounded range from the low water mark to {@code now}: O(expired), whatever the store holds.
     */
    List<Entry> due(long now, int limit) {
        List<Entry> due = new ArrayList<>();
        if (lowWater > now) {
            return due;
        }
        long end = now == Long.MAX_VALUE ? now : now + 1;
        try (KeyValueIterator<Bytes, byte[]> it = store.range(bound(lowWater), bound(end))) {
            while (it.hasNext() && due.size() < limit) {
                KeyValue<Bytes, byte[]> e = it.next();
                ByteBuffer k = ByteBuffer.wrap(e.key.get());
                long time = k.getLong();
                if (time > now) {
                    break; // the bound itself, (now + 1, ""), is never a key of an event
                }
                due.add(new Entry(time, new String(e.key.get(), 8, e.key.get().length - 8, StandardCharsets.UTF_8)));
            }
        }
        lowWater = due.size() < limit ? end : due.get(due.size() - 1).expiresAt();
        return due;
    }
}
