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
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-event complete-or-deadline join (docs/DESIGN.md, "The join"): its rules, over the stores of
 * {@link EventStores}, the clock of {@link DeadlineClockRules} and, on the input clock, the read marks of
 * {@link TaskInputs}.
 * <p>
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
    public static final int DEAD_LETTERED = -2;
    /**
     * The most deadlines one scan fires. After a restart or a move, every deadline that fell while the task was away
     * is due at once: a million pending events fired in one scan held the stream thread (and every fresh event of
     * the task) for seconds, and under exactly-once kept one transaction open past Kafka Streams' 10 s
     * {@code transaction.timeout.ms}: the producer was fenced, the task restarted, and fired them all again, over and
     * over (`bench --mode recovery`, 1,000,000 pending). Bounded, a scan takes tens of milliseconds; the rest wait for
     * the next scan (the next record, or punctuation), with commits and other events' records in between.
     */
    static final int MAX_DUE_PER_SCAN = 5_000;
    /** Modalities found in restored state that the config no longer has; each is logged once per JVM. */
    private static final Set<String> STALE_MODALITIES_LOGGED = ConcurrentHashMap.newKeySet();

    private final PipelineConfig config;
    private final EventFusion fusion;
    private final ScoreValidator validator;
    private final DeadlineClockRules clock;
    /** {@link #inputReadTo}, bound once: {@link #dueBy} runs on every record. */
    private final java.util.function.LongUnaryOperator inputReadTo = this::inputReadTo;
    private final long optionalWaitMs;
    private final long punctuationMs;
    private final FusionTelemetry telemetry;
    private final InputProgress progress;
    private final EventStores stores;
    /** {@code modality.health}: this instance's judgement of each modality, shared by its tasks. */
    private final io.latefuse.health.ModalityHealth health;

    private ProcessorContext<String, SpecificRecord> context;
    private TaskInputs inputs;
    /**
     * When {@link #process} next looks for due timers itself: under load a degraded emission then waits for the next
     * record rather than the next punctuation, while punctuations cover idle input. At most once per punctuation
     * interval, or sooner for a timer added earlier. 0 after {@link #init}, so that restored timers are seen.
     */
    private long nextDue;
    /** The wall-clock time of {@link #init}. */
    private long initializedAt;
    /** Whether the last scan stopped at {@link #MAX_DUE_PER_SCAN} with more due. */
    private boolean moreDue;

    FusionProcessor(PipelineConfig config, EventFusion fusion, FusionTelemetry telemetry, InputProgress progress) {
        this(config, fusion, telemetry, progress, io.latefuse.health.ModalityHealth.of(config, null));
    }

    FusionProcessor(PipelineConfig config, EventFusion fusion, FusionTelemetry telemetry, InputProgress progress,
                    io.latefuse.health.ModalityHealth health) {
        this.config = config;
        this.health = health;
        this.telemetry = telemetry;
        this.progress = progress;
        this.fusion = fusion;
        this.validator = new ScoreValidator(config, fusion.strategy().embeddingSize());
        this.clock = new DeadlineClockRules(config.deadlineClock(), config.maxWait(), config.maxHoldback(), progress);
        this.optionalWaitMs = config.optionalWait().toMillis();
        this.stores = new EventStores(config.lateRetention().toMillis(), telemetry);
        this.punctuationMs = Math.max(1, config.punctuationInterval().toMillis());
    }

    /**
     * Establishes every field from the stores. Kafka Streams may call this again on the same instance after it
     * wiped and restored the stores (a task revived in place), so nothing may carry over from before.
     */
    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.nextDue = 0;
        this.initializedAt = context.currentSystemTimeMs();
        this.inputs = new TaskInputs(config, context.taskId().toString(), context.taskId().partition(), progress,
                initializedAt);
        stores.init(context);
        this.moreDue = false;
        context.schedule(config.punctuationInterval(), clock.punctuationType(), this::fireDueTimers);
        if (clock.punctuationType() != org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME) {
            // A stream-time punctuation runs only when a record moves stream time: a scan stopped at its limit
            // after the last record would otherwise wait for new input to go on.
            context.schedule(config.punctuationInterval(), org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
                    t -> {
                        if (moreDue) {
                            fireDueTimers(t);
                        }
                    });
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
        return inputs.readTo(wallNow);
    }

    private long arrivalTime(Record<String, ModalityScore> record) {
        return clock.arrival(context, record.timestamp());
    }

    @Override
    public void process(Record<String, ModalityScore> record) {
        RecordMetadata meta = context.recordMetadata().orElse(null);
        String topic = meta == null ? null : meta.topic();
        int input = inputs.indexOf(topic);
        // Scans run before this record counts as taken off the input: until it is applied, its own event may
        // still be waiting for it.
        if (clockNow() >= nextDue) {
            fireDueTimers(clockNow());
        }
        try {
            if (meta != null && input >= 0) {
                checkPartition(record.key(), topic, meta.partition());
            }
            apply(record, topic);
        } catch (RuntimeException e) {
            stores.dropCache();
            throw e;
        } finally {
            if (meta != null && input >= 0) {
                inputs.taken(input, meta.offset(), clock.writtenAt(record.timestamp()));
            }
        }
    }

    /**
     * A score on a partition other than the one its key maps to can never meet its event's other scores (they are on
     * the key's partition, in another task): dead-lettered, naming both, unless {@code input.partitioner: custom}.
     */
    private void checkPartition(String key, String topic, int partition) {
        if (key == null || config.inputPartitioner() == PipelineConfig.InputPartitioner.CUSTOM) {
            return;
        }
        io.latefuse.streams.KeyPartitions.Misplaced wrong = io.latefuse.streams.KeyPartitions.misplaced(key, partition,
                fresh -> progress.partitionCount(topic, fresh));
        if (wrong != null) {
            int expected = wrong.expected();
            int partitions = wrong.partitions();
            throw new InvalidScoreException(DeadLetterReason.WRONG_PARTITION, "key '" + key + "' is on partition "
                    + partition + " of " + topic + ", but maps to partition " + expected + " of its " + partitions
                    + " (murmur2, as Java producers place keys): its event's other scores are there, so it can never "
                    + "meet them. Set the producer's partitioner to murmur2 (librdkafka: partitioner=murmur2_random), "
                    + "or input.partitioner: custom if your own partitioner co-partitions every input topic");
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
            if (state != null && state.getTimer() <= clockNow() && state.getTimer() <= dueBy()) {
                // Not among the deadlines that scan fired (it fires at most MAX_DUE_PER_SCAN): answered here.
                long by = dueBy();
                long q = health.quarantinedMask();
                finish(state, fuse(state, q), by, by, q);
                state = null;
            }
        }
        if (state == null) {
            EventStores.Emitted done = loadEmitted(id, record.timestamp());
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
            state = new EventState(id, eventTime, firstArrival, deadline, -1, new ArrayList<>(), false, null, null, null,
                    null);
            stores.created(id, deadline);
            nextDue = Math.min(nextDue, deadline);
        } else if ((fusion.presentMask(state) & bit) != 0) {
            telemetry.duplicate();
            return;
        }
        state.getArrivals().add(score);
        state.setEventTime(Math.min(state.getEventTime(), score.getEventTime().toEpochMilli()));
        telemetry.arrived(score.getModality(), clock.firstArrival(now, context.currentSystemTimeMs()) - state.getFirstArrival());

        long mask = fusion.presentMask(state);
        long q = health.quarantinedMask(); // quarantined modalities are not awaited
        if (fusion.allRequiredPresent(mask, q)) {
            if (fusion.allPresent(mask, q) || optionalWaitMs == 0) {
                finish(state, fuse(state, q), record.timestamp(), Long.MIN_VALUE, q);
                return;
            }
            // Every required modality is in: wait at most optional.wait for the optional ones.
            long soon = Math.min(state.getTimer(), Saturating.add(now, optionalWaitMs));
            if (soon != state.getTimer()) {
                stores.moveDeadline(id, state.getTimer(), soon);
                nextDue = Math.min(nextDue, soon);
                state.setTimer(soon);
            }
        }
        stores.putPending(id, state);
    }

    private void lateArrival(EventStores.Emitted entry, ModalityScore score, long bit, long timestamp) {
        EventState done = entry.state();
        if (done.getSettled()) {
            List<String> with = done.getEmittedWith();
            if (with == null || with.contains(score.getModality())) {
                telemetry.duplicate(); // answered with this modality already
                return;
            }
            // Settled under a config without this modality: no scores are kept to fuse a revision with.
            throw new InvalidScoreException(DeadLetterReason.LATE, "event " + done.getEventId() + " was answered "
                    + "(revision " + done.getRevision() + ") with every modality the config had then ("
                    + String.join(", ", with) + ") and keeps no scores to fuse again; this score of modality '"
                    + score.getModality() + "', added to the config since, cannot revise it");
        }
        if ((fusion.presentMask(done) & bit) != 0) {
            telemetry.duplicate();
            return;
        }
        if (done.getEmittedWith() == null && done.getRevision() >= 0) {
            // Null: the last prediction was made with every score the event holds. Said now, before a score that
            // revision.policy on_change may hold joins them.
            done.setEmittedWith(new ArrayList<>(fusion.presence().names(fusion.presentMask(done), true)));
        }
        if (done.getRevision() == DEAD_LETTERED) {
            throw new InvalidScoreException(DeadLetterReason.FUSION_FAILED, "event " + done.getEventId()
                    + ": its fusion failed and its scores were dead-lettered; this later " + score.getModality()
                    + " score follows them");
        }
        telemetry.lateArrival();
        telemetry.arrived(score.getModality(), clock.firstArrival(clock.arrival(context, timestamp),
                context.currentSystemTimeMs()) - done.getFirstArrival());
        if (config.latePolicy() == PipelineConfig.LatePolicy.DROP) {
            throw new InvalidScoreException(DeadLetterReason.LATE, "event " + done.getEventId() + ": modality "
                    + score.getModality() + " arrived after revision " + done.getRevision()
                    + " was emitted (late.policy=drop)");
        }
        done.getArrivals().add(score);
        done.setEventTime(Math.min(done.getEventTime(), score.getEventTime().toEpochMilli()));
        long q = health.quarantinedMask();
        if ((q & bit) != 0) {
            // A quarantined modality's score revises nothing: it is kept, so a revision after its release fuses it.
            telemetry.quarantinedLateScore();
            stores.rewrite(new EventStores.Emitted(entry.at(), done));
            return;
        }
        Fused fused = fuse(done, q);
        if (fused.failure() != null) {
            // Nothing was stored: the event keeps its last revision, and this score is dead-lettered.
            throw new InvalidScoreException(DeadLetterReason.FUSION_FAILED, "event " + done.getEventId()
                    + ": fusing revision " + (done.getRevision() + 1) + " with this " + score.getModality()
                    + " score failed: " + fused.failure());
        }
        int revision = done.getRevision() + 1;
        FusedPrediction revised = fusion.prediction(done, fused.result(), revision, context.currentSystemTimeMs(), q);
        if (!changes(done, revised)) {
            // revision.policy on_change: consumers keep the answer they have. The score stays in the event's
            // state, so a later revision fuses it too. Never settled here: a settled entry keeps no arrivals, and
            // its last prediction would then read as made with every modality.
            telemetry.revisionSuppressed();
            stores.rewrite(new EventStores.Emitted(entry.at(), done));
            return;
        }
        forward(revised, timestamp);
        done.setRevision(revision);
        done.setScores(revised.getScores());
        done.setDecision(revised.getDecision());
        // Null: made with every score it holds; else, without a quarantined one, with these.
        done.setEmittedWith(EventFusion.excluded(fusion.presentMask(done), q) != 0
                ? new ArrayList<>(revised.getPresent()) : null);
        stores.rewrite(new EventStores.Emitted(entry.at(), settledOrAsIs(done)));
    }

    /**
     * Whether a revision tells consumers something, against the last prediction emitted: always under
     * {@code revision.policy: always}; under {@code on_change}, when its label or its decision (with operating
     * points) differs, or a class probability moved by more than {@code revision.min.delta}. An event emitted
     * before its scores were kept (state format 2) is always revised.
     */
    private boolean changes(EventState done, FusedPrediction revised) {
        List<Float> last = done.getScores();
        if (config.revisions().policy() == PipelineConfig.Revisions.Policy.ALWAYS || last == null
                || last.size() != revised.getScores().size()) {
            return true;
        }
        int lastArgmax = 0;
        for (int i = 0; i < last.size(); i++) {
            if (Math.abs(last.get(i) - revised.getScores().get(i)) > config.revisions().minDelta()) {
                return true;
            }
            if (last.get(i) > last.get(lastArgmax)) {
                lastArgmax = i;
            }
        }
        return !config.classes().get(lastArgmax).equals(revised.getLabel())
                || !java.util.Objects.equals(done.getDecision(), revised.getDecision());
    }

    /**
     * Revision 0: forwards the prediction (or, if fusion failed, dead-letters the event's scores), and only then
     * moves the event from pending to emitted.
     */
    private void finish(EventState state, Fused fused, long timestamp, long dueBy, long quarantined) {
        String id = state.getEventId();
        if (fused.failure() == null) {
            FusedPrediction prediction = fusion.prediction(state, fused.result(), 0, context.currentSystemTimeMs(),
                    quarantined);
            long held = fusion.presentMask(state);
            boolean awaitedMissing = !fusion.allRequiredPresent(held, quarantined);
            if (prediction.getStatus() == io.latefuse.avro.PredictionStatus.DEGRADED && !awaitedMissing) {
                // Every modality it waited for came: DEGRADED only because a required modality is quarantined.
                prediction.setDegradedReason(health.describe(quarantined));
            } else if (prediction.getStatus() == io.latefuse.avro.PredictionStatus.DEGRADED) {
                prediction.setDeadline(java.time.Instant.ofEpochMilli(state.getTimer()));
                // On the input clock, a deadline past what was confirmed read fired after max.holdback.
                List<String> unconfirmed = clock.waitsForInput() && state.getTimer() > inputs.confirmedReadTo()
                        ? inputs.unconfirmed(state.getTimer()) : List.of();
                if (!unconfirmed.isEmpty()) {
                    telemetry.deadlineUnconfirmed();
                }
                String reason = clock.degradedReason(state.getTimer(), dueBy, prediction.getMissing(), unconfirmed,
                        clock.waitsForInput() && inputs.createTime());
                prediction.setDegradedReason(quarantined == 0 ? reason : reason + "; " + health.describe(quarantined));
            }
            if (health.judges()) {
                health.observe(fusion.input(state), held);
            }
            forward(prediction, timestamp);
            telemetry.emitted(prediction.getStatus().name(), prediction.getWaitMs(), prediction.getMissing());
            state.setRevision(0);
            if (EventFusion.excluded(held, quarantined) != 0) {
                // Made without a quarantined score it holds: the lookup and the settled rule must know.
                state.setEmittedWith(new ArrayList<>(prediction.getPresent()));
            }
            state.setScores(prediction.getScores());
            state.setDegradedReason(prediction.getDegradedReason());
            state.setDecision(prediction.getDecision());
        } else {
            log.warn("Event {}: fusion failed ({}); its {} score(s) go to the dead-letter topic as {}", id,
                    fused.failure(), state.getArrivals().size(), DeadLetterReason.FUSION_FAILED.code());
            for (ModalityScore s : state.getArrivals()) {
                deadLetter(id, s, DeadLetterReason.FUSION_FAILED, "event " + id + ": fusion failed: " + fused.failure(),
                        timestamp);
            }
            state.setRevision(DEAD_LETTERED);
        }
        stores.removePending(state);
        stores.remember(settledOrAsIs(state), clockNow());
    }

    /**
     * What the emitted store keeps of an event: an event answered with every configured modality can take no
     * revision (any later score is a duplicate), so its scores are dropped; the others keep theirs for revisions.
     */
    private EventState settledOrAsIs(EventState state) {
        if (state.getRevision() < 0 || !fusion.allPresent(fusion.presentMask(state)) || state.getEmittedWith() != null) {
            return state; // not answered, not every modality, or answered without a quarantined one: it may be revised
        }
        // It keeps no scores, so it names the modalities it was answered with: a score of one added to the config
        // later is told apart from a duplicate.
        return new EventState(state.getEventId(), state.getEventTime(), state.getFirstArrival(), state.getTimer(),
                state.getRevision(), new ArrayList<>(), true, state.getScores(), state.getDegradedReason(),
                state.getDecision(), new ArrayList<>(fusion.presence().names(fusion.presentMask(state), true)));
    }

    /** One event's fusion: its result, or why it failed. */
    private record Fused(FusionResult result, String failure) {
        static Fused failed(RuntimeException e) {
            return new Fused(null, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private Fused fuse(EventState state, long quarantined) {
        try {
            return checked(fusion.strategy().fuse(fusion.input(state, quarantined)));
        } catch (RuntimeException e) {
            return Fused.failed(e);
        }
    }

    /**
     * Fuses the events due together as one batch (a learned head runs them in one call). If the batch fails, each
     * event is fused on its own, so that one bad event fails alone.
     */
    private List<Fused> fuseAll(List<EventState> states, long quarantined) {
        List<Fused> out = new ArrayList<>(states.size());
        try {
            List<FusionInput> inputs = new ArrayList<>(states.size());
            for (EventState s : states) {
                inputs.add(fusion.input(s, quarantined));
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
                out.add(fuse(s, quarantined));
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

    /**
     * A pending event's state. Scores of a modality the config no longer has are taken out; see
     * {@link #withoutStaleModalities}.
     */
    private EventState loadPending(String id, long timestamp) {
        EventState state = stores.pending(id);
        if (state != null && !fusion.knowsAll(state)) {
            withoutStaleModalities(id, state, timestamp);
            if (state.getArrivals().isEmpty()) {
                stores.removePending(state);
                return null;
            }
            stores.putPending(id, state);
        }
        return state;
    }

    /** The event's entry in the emitted store, if it was emitted within {@code late.retention}; see {@link #loadPending}. */
    private EventStores.Emitted loadEmitted(String id, long timestamp) {
        EventStores.Emitted found = stores.emitted(id, clockNow());
        if (found != null && !fusion.knowsAll(found.state())) {
            withoutStaleModalities(id, found.state(), timestamp);
            stores.rewrite(found);
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
            stores.dropCache();
            throw e;
        }
    }

    private void fireDue() {
        nextDue = Saturating.add(clockNow(), punctuationMs);
        long now = dueBy();
        if (clock.waitsForInput()) {
            long wall = context.currentSystemTimeMs();
            // Nothing read yet from some partition (just started, restoring): held back since the task started.
            telemetry.inputHeldBack(context.taskId().toString(), wall - Math.max(inputs.confirmedReadTo(), initializedAt));
        }
        List<EventState> toEmit = new ArrayList<>();
        List<DeadlineIndex.Entry> dueNow = stores.due(now, MAX_DUE_PER_SCAN);
        moreDue = dueNow.size() >= MAX_DUE_PER_SCAN;
        if (moreDue) {
            nextDue = clockNow(); // more are due: the next record (or punctuation) goes on
        }
        for (DeadlineIndex.Entry due : dueNow) {
            telemetry.deadlineIndexVisited();
            EventState state = loadPending(due.eventId(), now);
            if (state != null && state.getTimer() == due.time()) {
                toEmit.add(state); // its timer goes when it is emitted
                continue;
            }
            stores.removeIndexEntry(due); // stale: its event was emitted, or its timer moved
        }
        if (toEmit.isEmpty()) {
            return;
        }
        long q = health.quarantinedMask();
        List<Fused> results = fuseAll(toEmit, q);
        // Punctuators have no input record: stamp outputs with the time they were due, in the deadline clock.
        for (int i = 0; i < toEmit.size(); i++) {
            finish(toEmit.get(i), results.get(i), now, now, q);
        }
    }

    @Override
    public void close() {
        stores.close();
        if (context != null) {
            telemetry.inputReleased(context.taskId().toString());
        }
    }
}
