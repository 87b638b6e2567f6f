package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionResult;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.progress.InputProgress;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.DeadLetters;
import io.latefuse.streams.InvalidScoreException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-event complete-or-deadline join (docs/DESIGN.md, "The join").
 * <ul>
 *   <li>{@code pending}: event id to what has arrived, with the first arrival and the deadline. Changelogged.</li>
 *   <li>{@code deadline-index}: (deadline, event id) for every pending event; a punctuation range-scans only what is
 *   due. Derived from {@code pending}: not changelogged, rebuilt when the task starts.</li>
 *   <li>{@code emitted}: emitted events, for late arrivals, in a window store that drops them a segment at a time
 *   after {@code late.retention}. Changelogged.</li>
 * </ul>
 * A complete event thus costs its {@code pending} writes (on RocksDB, within one commit interval, a single tombstone:
 * its arrivals stay in the record cache), one entry and one removal in the local index, and one {@code emitted}
 * entry, with no scores in it if every modality came (it is settled). Nothing is written later to forget it.
 * An event is emitted COMPLETE the moment its last awaited modality arrives, and DEGRADED when its deadline passes
 * with a required modality missing. Invalid records throw {@link InvalidScoreException} before any state changes;
 * the processing exception handler sends them to the dead-letter topic.
 * <p>
 * On the {@code input} deadline clock (the default), an event's deadline is its first score's Kafka timestamp plus
 * {@code max.wait}, and it fires only once every input partition of the task has been read up to it: the partition
 * is caught up (no lag, nothing buffered), or a record on it was read with a later timestamp. So an app that was down,
 * is restoring or is behind never declares a modality missing while its score sits unread.
 * <p>
 * An event leaves {@code pending} only after its prediction was forwarded. If fusing it fails, that one event's
 * scores go to the dead-letter topic (reason {@code fusion_failed}) and the other events due with it are emitted.
 */
public final class FusionProcessor implements Processor<String, ModalityScore, String, SpecificRecord> {
    private static final Logger log = LoggerFactory.getLogger(FusionProcessor.class);
    /** {@code revision} of an emitted event whose fusion failed and whose scores were dead-lettered. */
    static final int DEAD_LETTERED = -2;
    /** Modalities found in restored state that the config no longer has; each is logged once per JVM. */
    private static final Set<String> STALE_MODALITIES_LOGGED = ConcurrentHashMap.newKeySet();

    private final PipelineConfig config;
    private final EventFusion fusion;
    private final ScoreValidator validator;
    private final DeadlineClockRules clock;
    /** {@link #inputReadTo}, bound once: {@link #dueBy} runs on every record. */
    private final java.util.function.LongUnaryOperator inputReadTo = this::inputReadTo;
    private final long optionalWaitMs;
    private final long retentionMs;
    /** Emitted events are kept under their emission time rounded down to this. */
    private final long emittedBucketMs;

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, EventState> pending;
    private WindowStore<String, EventState> emitted;
    private DeadlineIndex deadlines;
    /**
     * When {@link #process} next looks for due timers itself: under load a degraded emission then waits for the next
     * record rather than the next punctuation, while punctuations cover idle input. At most once per punctuation
     * interval, or sooner for a timer added earlier. 0 after {@link #init}, so that restored timers are seen.
     */
    private long nextDue;
    private final long punctuationMs;
    /**
     * The states of recently written pending events, as objects, so that an event's next arrival does not decode
     * what this processor just encoded (`latefuse bench` profile: decoding state took 6.5% of the stream thread).
     * Written through: the store stays the record. Emptied by {@link #init}, which Kafka Streams calls again after
     * it restored the stores (a task revived after an aborted transaction), so it never outlives the store's state.
     */
    private final Map<String, EventState> recent = new LinkedHashMap<>(RECENT_CAPACITY, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, EventState> eldest) {
            return size() > RECENT_CAPACITY;
        }
    };
    /** Enough for the events of a few commit intervals of one task; a miss only costs a decode. */
    private static final int RECENT_CAPACITY = 1_024;

    private final FusionTelemetry telemetry;
    /** Events this task holds in its pending store, for the pending-events gauge. */
    private long pendingHere;

    private final InputProgress progress;
    /** This task's input partitions, by modality index. */
    private TopicPartition[] inputs;
    /**
     * Per modality index: every record of this task's partition written up to this time has been read (the highest
     * write time read since init, less 1 ms).
     */
    private long[] readTo;
    /** The wall-clock time of {@link #init}. */
    private long initializedAt;

    FusionProcessor(PipelineConfig config, EventFusion fusion, FusionTelemetry telemetry, InputProgress progress) {
        this.config = config;
        this.telemetry = telemetry;
        this.progress = progress;
        this.fusion = fusion;
        this.validator = new ScoreValidator(config, fusion.strategy().embeddingSize());
        this.clock = new DeadlineClockRules(config.deadlineClock(), config.maxWait(), progress);
        this.optionalWaitMs = config.optionalWait().toMillis();
        this.retentionMs = config.lateRetention().toMillis();
        this.emittedBucketMs = FusionTopology.emittedBucketMs(retentionMs);
        this.punctuationMs = Math.max(1, config.punctuationInterval().toMillis());
    }

    /**
     * Establishes every field from the stores. Kafka Streams may call this again on the same instance after it
     * wiped and restored the stores (a task revived in place), so nothing may carry over from before.
     */
    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.pending = context.getStateStore(FusionTopology.PENDING_STORE);
        this.emitted = context.getStateStore(FusionTopology.EMITTED_STORE);
        this.deadlines = new DeadlineIndex(context.getStateStore(FusionTopology.DEADLINE_INDEX_STORE));
        this.nextDue = 0;
        this.recent.clear();
        this.initializedAt = context.currentSystemTimeMs();
        int partition = context.taskId().partition();
        this.inputs = new TopicPartition[config.numModalities()];
        this.readTo = new long[config.numModalities()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = new TopicPartition(config.modalities().get(i).topic(), partition);
            readTo[i] = Long.MIN_VALUE; // nothing read yet: only a caught-up partition counts as read
        }
        telemetry.pendingChanged(-pendingHere); // in case close() was skipped before this init
        pendingHere = rebuildIndex();
        telemetry.pendingChanged(pendingHere);
        moveLegacyFinished(context.getStateStore(FusionTopology.LEGACY_FINISHED_STORE));
        context.schedule(config.punctuationInterval(), clock.punctuationType(), this::fireDueTimers);
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
        try (KeyValueIterator<String, EventState> it = pending.all()) {
            while (it.hasNext()) {
                KeyValue<String, EventState> e = it.next();
                deadlines.add(e.value.getTimer(), e.key);
                n++;
            }
        }
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
                    emitted.put(e.key, e.value, emittedBucket(Math.max(0, e.value.getTimer() - retentionMs)));
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

    private long clockNow() {
        return clock.now(context);
    }

    private long dueBy() {
        return clock.dueBy(context, inputReadTo);
    }

    /** The time up to which every input partition of the task has been read, at most {@code wallNow}. */
    private long inputReadTo(long wallNow) {
        long to = wallNow;
        for (int i = 0; i < inputs.length; i++) {
            to = Math.min(to, Math.max(progress.readTo(inputs[i]), readTo[i]));
        }
        return to;
    }

    private long arrivalTime(Record<String, ModalityScore> record) {
        return clock.arrival(context, record.timestamp());
    }

    @Override
    public void process(Record<String, ModalityScore> record) {
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta == null ? null : meta.topic();
        int input = inputIndex(topic);
        // Scans run before this record counts as taken off the input: until it is applied, its own event may
        // still be waiting for it.
        if (clockNow() >= nextDue) {
            fireDueTimers(clockNow());
        }
        try {
            apply(record, topic);
        } catch (RuntimeException e) {
            recent.clear(); // a state object may have changed without reaching the store
            throw e;
        } finally {
            // Taken off the input, applied or dead-lettered.
            if (meta != null && input >= 0) {
                progress.seen(inputs[input], meta.offset());
                // Records appended in one batch share a LogAppendTime: others stamped the same may still be unread.
                readTo[input] = Math.max(readTo[input], clock.writtenAt(record.timestamp()) - 1);
            }
        }
    }

    private void apply(Record<String, ModalityScore> record, String topic) {
        ModalityScore score = record.value();
        int modality = validator.validate(record.key(), score, topic, context.currentSystemTimeMs());
        String id = score.getEventId();
        long bit = 1L << modality;

        EventState state = loadPending(id, record.timestamp());
        if (state != null && arrivalTime(record) > state.getTimer() && state.getTimer() <= clockNow()
                && state.getTimer() <= dueBy()) {
            // This score came after its event's deadline, and the event is due (this score may itself be what
            // moved the input past the deadline): the event is answered without it, and it is a late arrival.
            fireDueTimers(clockNow());
            state = loadPending(id, record.timestamp());
        }
        if (state == null) {
            Emitted done = loadEmitted(id, record.timestamp());
            if (done != null) {
                lateArrival(done, score, bit, record.timestamp());
                return;
            }
        }

        long now = arrivalTime(record);
        if (state == null) {
            long eventTime = score.getEventTime().toEpochMilli();
            long deadline = clock.deadline(eventTime, now);
            long firstArrival = clock.firstArrival(now, context.currentSystemTimeMs());
            state = new EventState(id, eventTime, firstArrival, deadline, -1, new ArrayList<>(), false);
            addTimer(deadline, id);
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
                finish(state, fuse(state), record.timestamp(), Long.MIN_VALUE);
                return;
            }
            // Every required modality is in: wait at most optional.wait for the optional ones.
            long soon = Math.min(state.getTimer(), Saturating.add(now, optionalWaitMs));
            if (soon != state.getTimer()) {
                deadlines.remove(state.getTimer(), id);
                addTimer(soon, id);
                state.setTimer(soon);
            }
        }
        putPending(id, state);
    }

    private int inputIndex(String topic) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].topic().equals(topic)) {
                return i;
            }
        }
        return -1;
    }

    private void lateArrival(Emitted entry, ModalityScore score, long bit, long timestamp) {
        EventState done = entry.state();
        if (done.getSettled() || (fusion.presentMask(done) & bit) != 0) {
            telemetry.duplicate();
            return;
        }
        if (done.getRevision() == DEAD_LETTERED) {
            throw new InvalidScoreException(DeadLetterReason.FUSION_FAILED, "event " + done.getEventId()
                    + ": its fusion failed and its scores were dead-lettered; this later " + score.getModality()
                    + " score follows them");
        }
        telemetry.lateArrival();
        if (config.latePolicy() == PipelineConfig.LatePolicy.DROP) {
            throw new InvalidScoreException(DeadLetterReason.LATE, "event " + done.getEventId() + ": modality "
                    + score.getModality() + " arrived after revision " + done.getRevision()
                    + " was emitted (late.policy=drop)");
        }
        done.getArrivals().add(score);
        done.setEventTime(Math.min(done.getEventTime(), score.getEventTime().toEpochMilli()));
        Fused fused = fuse(done);
        if (fused.failure() != null) {
            // Nothing was stored: the event keeps its last revision, and this score is dead-lettered.
            throw new InvalidScoreException(DeadLetterReason.FUSION_FAILED, "event " + done.getEventId()
                    + ": fusing revision " + (done.getRevision() + 1) + " with this " + score.getModality()
                    + " score failed: " + fused.failure());
        }
        int revision = done.getRevision() + 1;
        FusedPrediction revised = fusion.prediction(done, fused.result(), revision, context.currentSystemTimeMs());
        forward(revised, timestamp);
        done.setRevision(revision);
        emitted.put(done.getEventId(), settledOrAsIs(done), entry.at());
    }

    /**
     * Revision 0: forwards the prediction (or, if fusion failed, dead-letters the event's scores), and only then
     * moves the event from pending to emitted.
     */
    private void finish(EventState state, Fused fused, long timestamp, long dueBy) {
        String id = state.getEventId();
        if (fused.failure() == null) {
            FusedPrediction prediction = fusion.prediction(state, fused.result(), 0, context.currentSystemTimeMs());
            if (prediction.getStatus() == io.latefuse.avro.PredictionStatus.DEGRADED) {
                prediction.setDeadline(java.time.Instant.ofEpochMilli(state.getTimer()));
                prediction.setDegradedReason(clock.degradedReason(state.getTimer(), dueBy, prediction.getMissing()));
            }
            forward(prediction, timestamp);
            telemetry.emitted(prediction.getStatus().name(), prediction.getWaitMs(), prediction.getMissing());
            state.setRevision(0);
        } else {
            log.warn("Event {}: fusion failed ({}); its {} score(s) go to the dead-letter topic as {}", id,
                    fused.failure(), state.getArrivals().size(), DeadLetterReason.FUSION_FAILED.code());
            for (ModalityScore s : state.getArrivals()) {
                deadLetter(id, s, DeadLetterReason.FUSION_FAILED, "event " + id + ": fusion failed: " + fused.failure(),
                        timestamp);
            }
            state.setRevision(DEAD_LETTERED);
        }
        deletePending(id);
        deadlines.remove(state.getTimer(), id);
        pendingChanged(-1);
        if (retentionMs > 0) {
            emitted.put(id, settledOrAsIs(state), emittedBucket(clockNow()));
        }
    }

    /**
     * What the emitted store keeps of an event: an event answered with every configured modality can take no
     * revision (any later score is a duplicate), so its scores are dropped; the others keep theirs for revisions.
     */
    private EventState settledOrAsIs(EventState state) {
        if (state.getRevision() < 0 || !fusion.allPresent(fusion.presentMask(state))) {
            return state;
        }
        return new EventState(state.getEventId(), state.getEventTime(), state.getFirstArrival(), state.getTimer(),
                state.getRevision(), new ArrayList<>(), true);
    }

    /** One event's fusion: its result, or why it failed. */
    private record Fused(FusionResult result, String failure) {
        static Fused failed(RuntimeException e) {
            return new Fused(null, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private Fused fuse(EventState state) {
        try {
            return checked(fusion.strategy().fuse(fusion.input(state)));
        } catch (RuntimeException e) {
            return Fused.failed(e);
        }
    }

    /**
     * Fuses the events due together as one batch (a learned head runs them in one call). If the batch fails, each
     * event is fused on its own, so that one bad event fails alone.
     */
    private List<Fused> fuseAll(List<EventState> states) {
        List<Fused> out = new ArrayList<>(states.size());
        try {
            List<FusionInput> inputs = new ArrayList<>(states.size());
            for (EventState s : states) {
                inputs.add(fusion.input(s));
            }
            List<FusionResult> results = fusion.strategy().fuseBatch(inputs);
            for (FusionResult r : results) {
                out.add(checked(r));
            }
            return out;
        } catch (RuntimeException batchFailed) {
            if (states.size() == 1) {
                return List.of(Fused.failed(batchFailed));
            }
            out.clear();
            for (EventState s : states) {
                out.add(fuse(s));
            }
            return out;
        }
    }

    /** A result the prediction can carry: one finite probability per class. */
    private Fused checked(FusionResult r) {
        double[] p = r.probabilities();
        if (p.length != config.numClasses()) {
            return new Fused(null, "the strategy returned " + p.length + " probabilities for " + config.numClasses()
                    + " classes");
        }
        for (double v : p) {
            if (!Double.isFinite(v) || v < 0) {
                return new Fused(null, "the strategy returned " + java.util.Arrays.toString(p)
                        + ", which is not a probability vector");
            }
        }
        return new Fused(r, null);
    }

    /** The time an event emitted at {@code time} is kept under: rounded down to its bucket. */
    private long emittedBucket(long time) {
        return time - Math.floorMod(time, emittedBucketMs);
    }

    /** An emitted event, and the time its entry is kept under. */
    private record Emitted(long at, EventState state) {}

    /**
     * A pending event's state: from {@link #recent} if it is there, else decoded from the store. Scores of a
     * modality the config no longer has are taken out; see {@link #withoutStaleModalities}.
     */
    private EventState loadPending(String id, long timestamp) {
        EventState state = recent.get(id);
        if (state != null) {
            return state;
        }
        state = pending.get(id);
        if (state == null) {
            return null;
        }
        if (!fusion.knowsAll(state)) {
            withoutStaleModalities(id, state, timestamp);
            if (state.getArrivals().isEmpty()) {
                deletePending(id);
                deadlines.remove(state.getTimer(), id);
                pendingChanged(-1);
                return null;
            }
            putPending(id, state);
        }
        return state;
    }

    private void putPending(String id, EventState state) {
        pending.put(id, state);
        recent.put(id, state);
    }

    /**
     * {@code put(id, null)} rather than {@code delete(id)}: a delete returns the old value, which the store reads (a
     * RocksDB get) and decodes, only for it to be thrown away (`latefuse bench` profile: 5% of the stream thread).
     */
    private void deletePending(String id) {
        pending.put(id, null);
        recent.remove(id);
    }

    /**
     * The event's entry in the emitted store, if it was emitted within {@code late.retention}: the latest, should
     * a clock that stepped back have stored two.
     */
    private Emitted loadEmitted(String id, long timestamp) {
        if (retentionMs == 0) {
            return null;
        }
        Emitted found = null;
        // From one bucket further back: an entry is kept under the start of its bucket.
        long from = Math.max(0, Saturating.add(clockNow(), -(retentionMs + emittedBucketMs)));
        try (WindowStoreIterator<EventState> it = emitted.fetch(id, from, Long.MAX_VALUE)) {
            while (it.hasNext()) {
                KeyValue<Long, EventState> e = it.next();
                if (found == null || e.key >= found.at()) {
                    found = new Emitted(e.key, e.value);
                }
            }
        }
        if (found != null && !fusion.knowsAll(found.state())) {
            withoutStaleModalities(id, found.state(), timestamp);
            emitted.put(id, found.state(), found.at());
        }
        return found;
    }

    /**
     * Takes out of an event's state the scores of a modality the config no longer has (the state was written under
     * an older config) and dead-letters them as {@code unknown_modality}, as they would be if they arrived now.
     */
    private void withoutStaleModalities(String id, EventState state, long timestamp) {
        List<ModalityScore> kept = new ArrayList<>();
        for (ModalityScore s : state.getArrivals()) {
            if (config.modalityIndex(s.getModality()) >= 0) {
                kept.add(s);
                continue;
            }
            if (STALE_MODALITIES_LOGGED.add(s.getModality())) {
                log.warn("Restored state holds scores of modality '{}', which the config no longer has (configured: {}); "
                        + "they go to the dead-letter topic as {}", s.getModality(), config.modalityNames(),
                        DeadLetterReason.UNKNOWN_MODALITY.code());
            }
            deadLetter(id, s, DeadLetterReason.UNKNOWN_MODALITY, "event " + id + ": restored state holds a score of "
                    + "modality '" + s.getModality() + "', which is no longer configured (configured: "
                    + String.join(", ", config.modalityNames()) + ")", timestamp);
        }
        state.setArrivals(kept);
    }

    /** Sends one score the processor holds to the dead-letter topic, in the same format scorers write. */
    private void deadLetter(String eventId, ModalityScore score, DeadLetterReason reason, String detail, long timestamp) {
        int m = config.modalityIndex(score.getModality());
        RecordHeaders headers = new RecordHeaders();
        DeadLetters.tag(headers, reason, detail);
        if (m >= 0) {
            headers.add(DeadLetterReason.TOPIC_HEADER, config.modalities().get(m).topic().getBytes(StandardCharsets.UTF_8));
        }
        context.forward(new Record<String, SpecificRecord>(eventId, score, timestamp, headers),
                FusionTopology.DEAD_LETTER_SINK);
        telemetry.deadLetter(reason.code());
    }

    private void addTimer(long time, String eventId) {
        deadlines.add(time, eventId);
        nextDue = Math.min(nextDue, time);
    }

    private void pendingChanged(long delta) {
        pendingHere += delta;
        telemetry.pendingChanged(delta);
    }

    private void forward(FusedPrediction prediction, long timestamp) {
        if (prediction.getRevision() > 0) {
            telemetry.revised();
        }
        context.forward(new Record<String, SpecificRecord>(prediction.getEventId(), prediction, timestamp),
                FusionTopology.SINK);
    }

    /**
     * Emits every pending event whose timer is due. Visits only due index entries; the events due together are fused
     * as one batch.
     */
    void fireDueTimers(long punctuationTime) {
        try {
            fireDue();
        } catch (RuntimeException e) {
            recent.clear(); // a state object may have changed without reaching the store
            throw e;
        }
    }

    private void fireDue() {
        nextDue = Saturating.add(clockNow(), punctuationMs);
        long now = dueBy();
        if (clock.waitsForInput()) {
            long wall = context.currentSystemTimeMs();
            // Nothing read yet from some partition (just started, restoring): held back since the task started.
            telemetry.inputHeldBack(context.taskId().toString(), wall - Math.max(now, initializedAt));
        }
        List<EventState> toEmit = new ArrayList<>();
        for (DeadlineIndex.Entry due : deadlines.pollDue(now)) {
            telemetry.deadlineIndexVisited();
            EventState state = loadPending(due.eventId(), now);
            if (state != null && state.getTimer() == due.time()) {
                toEmit.add(state); // its timer goes when it is emitted
                continue;
            }
            deadlines.remove(due.time(), due.eventId()); // stale: its event was emitted, or its timer moved
        }
        if (toEmit.isEmpty()) {
            return;
        }
        List<Fused> results = fuseAll(toEmit);
        // Punctuators have no input record: stamp outputs with the time they were due, in the deadline clock.
        for (int i = 0; i < toEmit.size(); i++) {
            finish(toEmit.get(i), results.get(i), now, now);
        }
    }

    @Override
    public void close() {
        telemetry.pendingChanged(-pendingHere);
        pendingHere = 0;
        if (context != null) {
            telemetry.inputReleased(context.taskId().toString());
        }
    }
}
