package io.latefuse.topology;

import io.latefuse.avro.internal.EventState;
import io.latefuse.metrics.FusionTelemetry;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One task's stores of the fusion join, and how they are read and written (docs/DESIGN.md, "State"):
 * <ul>
 *   <li>{@code pending}: event id to what has arrived, with the first arrival and the deadline. Changelogged.</li>
 *   <li>{@code deadline-index}: (deadline, event id) for every pending event; derived from {@code pending}, not
 *   changelogged, rebuilt here when the task starts.</li>
 *   <li>{@code emitted}: emitted events, kept for {@code late.retention} under their emission time rounded down to a
 *   bucket, and dropped a segment at a time.</li>
 * </ul>
 * It also counts the task's pending events for the gauge. What the join does with them is {@link FusionProcessor}'s.
 */
final class EventStores {
    private static final Logger log = LoggerFactory.getLogger(EventStores.class);
    /** Enough for the events of a few commit intervals of one task; a miss only costs a decode. */
    private static final int RECENT_CAPACITY = 1_024;
    /** Index entries written per batch when the index is rebuilt. */
    private static final int REBUILD_BATCH = 10_000;

    /** An emitted event, and the time its entry is kept under. */
    record Emitted(long at, EventState state) {}

    private final long retentionMs;
    /** Emitted events are kept under their emission time rounded down to this. */
    private final long emittedBucketMs;
    private final FusionTelemetry telemetry;

    private KeyValueStore<String, EventState> pending;
    private WindowStore<String, EventState> emitted;
    private DeadlineIndex deadlines;
    /**
     * The states of recently written pending events, as objects, so that an event's next arrival does not decode
     * what was just encoded (`latefuse bench` profile: decoding state took 6.5% of the stream thread). Written
     * through: the store stays the record. Emptied by {@link #init} and {@link #dropCache}, so that it never outlives
     * the store's state.
     */
    private final Map<String, EventState> recent = new LinkedHashMap<>(RECENT_CAPACITY, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, EventState> eldest) {
            return size() > RECENT_CAPACITY;
        }
    };
    /** Events this task holds in its pending store, for the pending-events gauge. */
    private long pendingHere;

    EventStores(long retentionMs, FusionTelemetry telemetry) {
        this.retentionMs = retentionMs;
        this.emittedBucketMs = FusionTopology.emittedBucketMs(retentionMs);
        this.telemetry = telemetry;
    }

    /**
     * Opens the task's stores and establishes everything from them: Kafka Streams may call this again on the same
     * instance after it wiped and restored the stores (a task revived in place).
     */
    void init(ProcessorContext<?, ?> context) {
        pending = context.getStateStore(FusionTopology.PENDING_STORE);
        emitted = context.getStateStore(FusionTopology.EMITTED_STORE);
        deadlines = new DeadlineIndex(context.getStateStore(FusionTopology.DEADLINE_INDEX_STORE));
        recent.clear();
        telemetry.pendingChanged(-pendingHere); // in case close() was skipped before this init
        long t = System.nanoTime();
        pendingHere = rebuildIndex();
        telemetry.pendingChanged(pendingHere);
        if (pendingHere > 0) {
            // The scan holds the task (and its stream thread) after a restore: its cost belongs in the restart's time.
            log.info("Task {}: rebuilt the deadline index of {} pending event(s) in {} ms", context.taskId(), pendingHere,
                    (System.nanoTime() - t) / 1_000_000);
        }
        moveLegacyFinished(context.getStateStore(FusionTopology.LEGACY_FINISHED_STORE));
    }

    /**
     * Puts every pending event's deadline into the index, which is not changelogged: after a crash, a move to
     * another instance or a restore it is empty or stale. A stale entry is harmless (a scan finds its event gone or
     * its timer changed, and deletes it); a missing one would leave its event pending forever. One pass over the
     * restored store, once per task initialization, which also counts the pending events: counted, not estimated,
     * because RocksDB's {@code approximateNumEntries()} read 0 for 10 entries after churn, and the gauge went negative.
     */
    private long rebuildIndex() {
        long n = 0;
        List<DeadlineIndex.Entry> batch = new ArrayList<>(REBUILD_BATCH);
        try (KeyValueIterator<String, EventState> it = pending.all()) {
            while (it.hasNext()) {
                KeyValue<String, EventState> e = it.next();
                batch.add(new DeadlineIndex.Entry(e.value.getTimer(), e.key));
                if (batch.size() == REBUILD_BATCH) {
                    deadlines.addAll(batch);
                    batch.clear();
                }
                n++;
            }
        }
        deadlines.addAll(batch);
        return n;
    }

    /**
     * Moves the emitted events that state formats 0 and 1 kept in {@code finished} (with their forget time as the
     * timer) into the emitted store, at the time they were emitted, and empties the old store: their late scores
     * still make revisions.
     */
    private void moveLegacyFinished(KeyValueStore<String, EventState> legacy) {
        List<String> moved = new ArrayList<>();
        try (KeyValueIterator<String, EventState> it = legacy.all()) {
            while (it.hasNext()) {
                KeyValue<String, EventState> e = it.next();
                if (retentionMs > 0) {
                    emitted.put(e.key, e.value, bucket(Math.max(0, e.value.getTimer() - retentionMs)));
                }
                moved.add(e.key);
            }
        }
        for (String id : moved) {
            legacy.put(id, null);
        }
        if (!moved.isEmpty()) {
            log.info("Moved {} emitted event(s) from the store of an earlier latefuse ('{}') into '{}'", moved.size(),
                    FusionTopology.LEGACY_FINISHED_STORE, FusionTopology.EMITTED_STORE);
        }
    }

    /** A pending event's state, from the objects just written if it is there, else decoded from the store. */
    EventState pending(String id) {
        EventState state = recent.get(id);
        return state != null ? state : pending.get(id);
    }

    /** A new pending event, before its first write: it gets its deadline in the index and counts as pending. */
    void created(String id, long deadline) {
        deadlines.add(deadline, id);
        pendingChanged(1);
    }

    void putPending(String id, EventState state) {
        pending.put(id, state);
        recent.put(id, state);
    }

    /**
     * Takes an event out of pending and its deadline out of the index. {@code put(id, null)} rather than
     * {@code delete(id)}: a delete returns the old value, which the store reads (a RocksDB get) and decodes, only for
     * it to be thrown away (`latefuse bench` profile: 5% of the stream thread).
     */
    void removePending(EventState state) {
        String id = state.getEventId();
        pending.put(id, null);
        recent.remove(id);
        deadlines.remove(state.getTimer(), id);
        pendingChanged(-1);
    }

    /** Moves a pending event's deadline in the index (the caller sets it in the state). */
    void moveDeadline(String id, long from, long to) {
        deadlines.remove(from, id);
        deadlines.add(to, id);
    }

    /**
     * The index entries due by {@code time}, at most {@code limit} (the next call goes on where this one stopped);
     * the caller removes the stale ones, and emitting removes the others.
     */
    List<DeadlineIndex.Entry> due(long time, int limit) {
        return deadlines.pollDue(time, limit);
    }

    void removeIndexEntry(DeadlineIndex.Entry entry) {
        deadlines.remove(entry.time(), entry.eventId());
    }

    /** Keeps an emitted event for {@code late.retention}, under the bucket of {@code emittedAt}. */
    void remember(EventState state, long emittedAt) {
        if (retentionMs > 0) {
            emitted.put(state.getEventId(), state, bucket(emittedAt));
        }
    }

    /** Replaces an emitted event's entry, under the time it is kept at. */
    void rewrite(Emitted entry) {
        emitted.put(entry.state().getEventId(), entry.state(), entry.at());
    }

    /**
     * The event's entry in the emitted store, if it was emitted within {@code late.retention} of {@code now}: the
     * latest, should a clock that stepped back have stored two.
     */
    Emitted emitted(String id, long now) {
        if (retentionMs == 0) {
            return null;
        }
        Emitted found = null;
        // From one bucket further back: an entry is kept under the start of its bucket.
        long from = Math.max(0, Saturating.add(now, -(retentionMs + emittedBucketMs)));
        try (WindowStoreIterator<EventState> it = emitted.fetch(id, from, Long.MAX_VALUE)) {
            while (it.hasNext()) {
                KeyValue<Long, EventState> e = it.next();
                if (found == null || e.key >= found.at()) {
                    found = new Emitted(e.key, e.value);
                }
            }
        }
        return found;
    }

    /** After a failure: a state object may have changed without reaching the store. */
    void dropCache() {
        recent.clear();
    }

    void close() {
        telemetry.pendingChanged(-pendingHere);
        pendingHere = 0;
    }

    /** The time an event emitted at {@code time} is kept under: rounded down to its bucket. */
    private long bucket(long time) {
        return time - Math.floorMod(time, emittedBucketMs);
    }

    private void pendingChanged(long delta) {
        pendingHere += delta;
        telemetry.pendingChanged(delta);
    }
}
