package io.latefuse.quality;

import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.internal.QualityOutcome;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The sliding window over every judged outcome: the outcomes topic has one partition, so this runs in one task, and
 * its figures cover every partition of the join. Outcomes are kept in the {@code quality-window} store under
 * (judged_at, kind, event id), big-endian, so that what leaves the window is a range read of the oldest keys; the
 * tallies are in memory, added to as outcomes come and subtracted from as they leave, and rebuilt from the window's
 * range when the task starts. Every {@code quality.interval} (wall clock) it forgets what left the window and
 * publishes every row.
 */
final class QualityWindow implements Processor<String, QualityOutcome, String, FusionQuality> {
    private final long windowMs;
    private final java.time.Duration interval;
    private final String positiveClass;
    private final QualityTelemetry telemetry;
    private ProcessorContext<String, FusionQuality> context;
    private KeyValueStore<Bytes, QualityOutcome> store;
    private SlidingQuality sliding;
    /** Outcomes judged at or before this were not added to the tallies (they had left the window at init). */
    private long countedAfter;
    /** No outcome in the store is judged earlier than this. */
    private long lowWater;

    QualityWindow(java.time.Duration window, java.time.Duration interval, String positiveClass,
                  QualityTelemetry telemetry) {
        this.windowMs = window.toMillis();
        this.interval = interval;
        this.positiveClass = positiveClass;
        this.telemetry = telemetry;
    }

    static Bytes key(QualityOutcome o) {
        byte[] id = o.getEventId().getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(9 + id.length).putLong(o.getJudgedAt())
                .put((byte) RevisionKind.of(o.getKind()).ordinal()).put(id).array());
    }

    private static Bytes bound(long time) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(time).array());
    }

    @Override
    public void init(ProcessorContext<String, FusionQuality> context) {
        this.context = context;
        this.store = context.getStateStore(QualityTopology.WINDOW_STORE);
        this.sliding = new SlidingQuality(positiveClass);
        this.lowWater = 0;
        this.countedAfter = cutoff(context.currentSystemTimeMs());
        // The window's outcomes, a range from the cutoff: nothing older is read (a task may be revived: no field
        // carries over).
        try (KeyValueIterator<Bytes, QualityOutcome> it = store.range(bound(countedAfter + 1), bound(Long.MAX_VALUE))) {
            while (it.hasNext()) {
                sliding.add(it.next().value);
            }
        }
        context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::publish);
    }

    private long cutoff(long now) {
        return now < Long.MIN_VALUE + windowMs ? Long.MIN_VALUE : now - windowMs;
    }

    @Override
    public void process(Record<String, QualityOutcome> record) {
        QualityOutcome o = record.value();
        if (o.getJudgedAt() <= cutoff(context.currentSystemTimeMs())) {
            return; // judged before the window (a backlog of outcomes read late): it would leave at once
        }
        Bytes k = key(o);
        if (store.get(k) != null) {
            return; // redelivered (at-least-once): already in the store and the tallies
        }
        store.put(k, o);
        sliding.add(o);
        lowWater = Math.min(lowWater, o.getJudgedAt());
    }

    /** Forgets the outcomes that left the window by {@code now}, then publishes every row. */
    void publish(long now) {
        long cutoff = cutoff(now);
        if (lowWater <= cutoff) {
            try (KeyValueIterator<Bytes, QualityOutcome> it = store.range(bound(lowWater), bound(cutoff + 1))) {
                while (it.hasNext()) {
                    KeyValue<Bytes, QualityOutcome> e = it.next();
                    if (e.value.getJudgedAt() > cutoff) {
                        break; // the bound, (cutoff + 1), is below every key of that time
                    }
                    if (e.value.getJudgedAt() > countedAfter) {
                        sliding.remove(e.value);
                    }
                    store.put(e.key, null);
                }
            }
            lowWater = cutoff + 1;
        }
        List<FusionQuality> rows = sliding.rows(cutoff, now);
        for (FusionQuality row : rows) {
            context.forward(new Record<>(row.getSubset(), row, now));
        }
        telemetry.published(rows);
    }

    @Override
    public void close() {
        telemetry.aggregationClosed();
    }
}
