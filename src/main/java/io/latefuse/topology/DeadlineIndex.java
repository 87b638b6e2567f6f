package io.latefuse.topology;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;

/**
 * The pending events' deadlines, in time order, over the {@code deadline-index} store, like Kafka's own
 * {@code KStreamKStreamJoin} keeps its outer-join records: a poll visits only what is due. Entries are
 * {@link TimerKey}s; the store is derived state (rebuilt from {@code pending} when a task starts), so an entry may be
 * stale, and the caller checks each one it polls against the event's state.
 */
final class DeadlineIndex {
    private static final byte[] NO_VALUE = new byte[0];

    /** One entry: an event due at a time. */
    record Entry(long time, String eventId) {}

    private final KeyValueStore<Bytes, byte[]> store;
    /**
     * No entry is earlier than this. Polls start here rather than at the first key: in RocksDB the index's past is a
     * run of tombstones until compaction, and a scan from the first key would step over all of them. 0 at first: the
     * store may hold entries from before this instance.
     */
    private long lowWater;
    /**
     * After a poll that stopped at its limit: the smallest key after the last entry it returned, where the next poll
     * goes on (at {@code lowWater}'s time), rather than stepping again over what the caller removed since. Null
     * otherwise, or once an entry is added before it.
     */
    private Bytes resumeFrom;

    DeadlineIndex(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
        this.lowWater = 0;
    }

    void add(long time, String eventId) {
        Bytes key = TimerKey.of(time, eventId);
        store.put(key, NO_VALUE);
        lowWater = Math.min(lowWater, time);
        if (resumeFrom != null && key.compareTo(resumeFrom) < 0) {
            resumeFrom = null; // the next poll starts at the low water again, and finds it
        }
    }

    /**
     * Adds many entries in one write (on RocksDB, one write batch rather than a call per entry): the rebuild of the
     * index when a task starts puts every pending event's deadline.
     */
    void addAll(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        List<KeyValue<Bytes, byte[]>> puts = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            puts.add(KeyValue.pair(TimerKey.of(e.time(), e.eventId()), NO_VALUE));
            lowWater = Math.min(lowWater, e.time());
        }
        store.putAll(puts);
        resumeFrom = null;
    }

    /** {@code put(key, null)}: a {@code delete} reads the old value first, to return it. */
    void remove(long time, String eventId) {
        store.put(TimerKey.of(time, eventId), null);
    }

    /** Whether nothing can be due by {@code now}: every entry is later (the clock may even have stepped back). */
    boolean nothingDueBy(long now) {
        return lowWater > now;
    }

    /**
     * The entries due by {@code now}, in time order, left in the store (the caller removes each as it is done with
     * it). Afterwards nothing earlier than {@code now + 1} is left to poll.
     * <p>
     * A bounded range, never {@code all()}: the record cache (and the in-memory store) copy the keys an iterator
     * covers, so an open-ended scan costs O(pending) however few entries are due. Profiling {@code latefuse bench}
     * found that copy taking most of the stream thread's time.
     */
    List<Entry> pollDue(long now) {
        return pollDue(now, Integer.MAX_VALUE);
    }

    /**
     * As {@link #pollDue(long)}, but at most {@code limit} entries: if more are due, the next poll goes on after the
     * last one returned (the entries returned are not polled again).
     */
    List<Entry> pollDue(long now, int limit) {
        List<Entry> due = new ArrayList<>();
        if (nothingDueBy(now)) {
            return due;
        }
        long end = Saturating.add(now, 1);
        Bytes from = resumeFrom != null ? resumeFrom : TimerKey.bound(lowWater);
        resumeFrom = null;
        try (KeyValueIterator<Bytes, byte[]> it = store.range(from, TimerKey.bound(end))) {
            while (it.hasNext()) {
                if (due.size() >= limit) {
                    Entry last = due.get(due.size() - 1);
                    lowWater = last.time();
                    byte[] k = TimerKey.of(last.time(), last.eventId()).get();
                    resumeFrom = Bytes.wrap(java.util.Arrays.copyOf(k, k.length + 1)); // the next key after it
                    return due;
                }
                KeyValue<Bytes, byte[]> e = it.next();
                due.add(new Entry(TimerKey.time(e.key), TimerKey.eventId(e.key)));
            }
        }
        lowWater = end;
        return due;
    }
}
