package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfig.DeadlineClock;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionResult;
import io.latefuse.metrics.FusionTelemetry;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;

/**
 * The per-event complete-or-deadline join (DESIGN.md, "The join").
 * <ul>
 *   <li>{@code pending}: event id to what has arrived, with the first arrival and the current timer.</li>
 *   <li>{@code deadlines}: (time, kind, event id) index; a punctuation range-scans only what is due.</li>
 *   <li>{@code finished}: recently emitted events, for late arrivals, forgotten after {@code late.retention}.</li>
 * </ul>
 * An event is emitted COMPLETE the moment its last awaited modality arrives, and DEGRADED when its deadline passes
 * with a required modality missing. Invalid records throw {@link InvalidScoreException} before any state changes;
 * the processing exception handler sends them to the dead-letter topic.
 */
public final class FusionProcessor implements Processor<String, ModalityScore, String, FusedPrediction> {
    private static final byte[] NO_VALUE = new byte[0];

    private final PipelineConfig config;
    private final EventFusion fusion;
    private final ScoreValidator validator;
    private final long maxWaitMs;
    private final long optionalWaitMs;
    private final long retentionMs;

    private ProcessorContext<String, FusedPrediction> context;
    private KeyValueStore<String, EventState> pending;
    private KeyValueStore<String, EventState> finished;
    private KeyValueStore<Bytes, byte[]> deadlines;
    /**
     * When {@link #process} next looks for due timers itself: under load a degraded emission then waits for the next
     * record rather than the next punctuation, while punctuations cover idle input. At most once per punctuation
     * interval, or sooner for a timer added earlier. 0 until the first scan, so that restored timers are seen.
     */
    private long nextDue;
    /**
     * No timer is earlier than this. Scans start here rather than at the first key: in RocksDB the index's past is
     * a run of tombstones until compaction, and a scan from the first key would step over all of them.
     */
    private long lowWater;
    private final long punctuationMs;

    private final FusionTelemetry telemetry;
    /** Events this task holds in its pending store, for the pending-events gauge. */
    private long pendingHere;

    FusionProcessor(PipelineConfig config, EventFusion fusion, FusionTelemetry telemetry) {
        this.config = config;
        this.telemetry = telemetry;
        this.fusion = fusion;
        this.validator = new ScoreValidator(config, fusion.strategy().embeddingSize());
        this.maxWaitMs = config.maxWait().toMillis();
        this.optionalWaitMs = config.optionalWait().toMillis();
        this.retentionMs = config.lateRetention().toMillis();
        this.punctuationMs = Math.max(1, config.punctuationInterval().toMillis());
    }

    @Override
    public void init(ProcessorContext<String, FusedPrediction> context) {
        this.context = context;
        this.pending = context.getStateStore(FusionTopology.PENDING_STORE);
        this.finished = context.getStateStore(FusionTopology.FINISHED_STORE);
        this.deadlines = context.getStateStore(FusionTopology.DEADLINES_STORE);
        this.pendingHere = pending.approximateNumEntries(); // what was restored from the changelog
        telemetry.pendingChanged(pendingHere);
        PunctuationType type = config.deadlineClock() == DeadlineClock.WALL
                ? PunctuationType.WALL_CLOCK_TIME : PunctuationType.STREAM_TIME;
        context.schedule(config.punctuationInterval(), type, this::fireDueTimers);
    }

    /** Now, in the deadline clock's time. */
    private long clockNow() {
        return config.deadlineClock() == DeadlineClock.WALL ? context.currentSystemTimeMs() : context.currentStreamTimeMs();
    }

    @Override
    public void process(Record<String, ModalityScore> record) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse(null);
        if (clockNow() >= nextDue) {
            fireDueTimers(clockNow());
        }
        ModalityScore score = record.value();
        int modality = validator.validate(record.key(), score, topic);
        String id = score.getEventId();
        long bit = 1L << modality;

        EventState done = finished.get(id);
        if (done != null) {
            lateArrival(done, score, bit, record.timestamp());
            return;
        }

        long now = clockNow();
        EventState state = pending.get(id);
        if (state == null) {
            long eventTime = score.getEventTime().toEpochMilli();
            long deadline = (config.deadlineClock() == DeadlineClock.WALL ? now : eventTime) + maxWaitMs;
            state = new EventState(id, eventTime, context.currentSystemTimeMs(), deadline, -1, new ArrayList<>());
            addTimer(deadline, TimerKey.EMIT, id);
            pendingChanged(1);
        } else if ((fusion.presentMask(state) & bit) != 0) {
            telemetry.duplicate();
            return;
        }
        state.getArrivals().add(score);
        state.setEventTime(Math.min(state.getEventTime(), score.getEventTime().toEpochMilli()));

        long mask = fusion.presentMask(state);
        if (fusion.allRequiredPresent(mask)) {
            if (fusion.allPresent(mask) || optionalWaitMs == 0) {
                pending.delete(id);
                deadlines.delete(TimerKey.of(state.getTimer(), TimerKey.EMIT, id));
                pendingChanged(-1);
                emitFirst(state, fusion.strategy().fuse(fusion.input(state)), record.timestamp());
                return;
            }
            // Every required modality is in: wait at most optional.wait for the optional ones.
            long soon = Math.min(state.getTimer(), now + optionalWaitMs);
            if (soon != state.getTimer()) {
                deadlines.delete(TimerKey.of(state.getTimer(), TimerKey.EMIT, id));
                addTimer(soon, TimerKey.EMIT, id);
                state.setTimer(soon);
            }
        }
        pending.put(id, state);
    }

    private void lateArrival(EventState done, ModalityScore score, long bit, long timestamp) {
        if ((fusion.presentMask(done) & bit) != 0) {
            telemetry.duplicate();
            return;
        }
        telemetry.lateArrival();
        if (config.latePolicy() == PipelineConfig.LatePolicy.DROP) {
            throw new InvalidScoreException(DeadLetterReason.LATE, "event " + done.getEventId() + ": modality "
                    + score.getModality() + " arrived after revision " + done.getRevision()
                    + " was emitted (late.policy=drop)");
        }
        done.getArrivals().add(score);
        done.setRevision(done.getRevision() + 1);
        FusedPrediction revised = fusion.prediction(done, fusion.strategy().fuse(fusion.input(done)),
                done.getRevision(), context.currentSystemTimeMs());
        finished.put(done.getEventId(), done);
        forward(revised, timestamp);
    }

    /** Emits revision 0 and moves the event from pending to finished. */
    private void emitFirst(EventState state, FusionResult result, long timestamp) {
        FusedPrediction prediction = fusion.prediction(state, result, 0, context.currentSystemTimeMs());
        telemetry.emitted(prediction.getStatus().name(), prediction.getWaitMs(), prediction.getMissing());
        state.setRevision(0);
        if (retentionMs > 0) {
            long forgetAt = clockNow() + retentionMs;
            state.setTimer(forgetAt);
            finished.put(state.getEventId(), state);
            addTimer(forgetAt, TimerKey.FORGET, state.getEventId());
        }
        forward(prediction, timestamp);
    }

    private void addTimer(long time, byte kind, String eventId) {
        deadlines.put(TimerKey.of(time, kind, eventId), NO_VALUE);
        nextDue = Math.min(nextDue, time);
        lowWater = Math.min(lowWater, time);
    }

    private void pendingChanged(long delta) {
        pendingHere += delta;
        telemetry.pendingChanged(delta);
    }

    private void forward(FusedPrediction prediction, long timestamp) {
        if (prediction.getRevision() > 0) {
            telemetry.revised();
        }
        context.forward(new Record<>(prediction.getEventId(), prediction, timestamp));
    }

    /**
     * Emits every pending event whose timer is due and forgets finished events past retention. Visits only due
     * index entries; the events due together are fused as one batch.
     */
    void fireDueTimers(long punctuationTime) {
        long now = clockNow();
        nextDue = now + punctuationMs;
        if (lowWater > now) {
            return; // nothing can be due; the clock may even have stepped back
        }
        List<Bytes> due = new ArrayList<>();
        // A bounded range, never all(): the record cache (and the in-memory store) copy the keys an iterator
        // covers, so an open-ended scan costs O(pending) however few entries are due. Profiling `latefuse bench`
        // found that copy taking most of the stream thread's time.
        try (KeyValueIterator<Bytes, byte[]> it = deadlines.range(TimerKey.bound(lowWater), TimerKey.bound(now + 1))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> entry = it.next();
                telemetry.deadlineIndexVisited();
                due.add(entry.key);
            }
        }
        lowWater = now + 1;
        if (due.isEmpty()) {
            return;
        }
        List<EventState> toEmit = new ArrayList<>();
        for (Bytes key : due) {
            deadlines.delete(key);
            String id = TimerKey.eventId(key);
            long time = TimerKey.time(key);
            if (TimerKey.kind(key) == TimerKey.EMIT) {
                EventState state = pending.get(id);
                if (state != null && state.getTimer() == time) {
                    pending.delete(id);
                    pendingChanged(-1);
                    toEmit.add(state);
                }
            } else {
                EventState state = finished.get(id);
                if (state != null && state.getTimer() == time) {
                    finished.delete(id);
                }
            }
        }
        if (toEmit.isEmpty()) {
            return;
        }
        List<FusionInput> inputs = new ArrayList<>(toEmit.size());
        for (EventState s : toEmit) {
            inputs.add(fusion.input(s));
        }
        List<FusionResult> results = fusion.strategy().fuseBatch(inputs);
        // Punctuators have no input record: stamp outputs with the time they were due, in the deadline clock.
        for (int i = 0; i < toEmit.size(); i++) {
            emitFirst(toEmit.get(i), results.get(i), now);
        }
    }

    @Override
    public void close() {
        telemetry.pendingChanged(-pendingHere);
        pendingHere = 0;
    }
}
