package io.latefuse.scoring;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.streams.Causes;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.DeadLetters;
import io.latefuse.streams.EventTimeBound;
import io.latefuse.streams.InvalidScoreException;
import io.latefuse.streams.NotTheRecordsFault;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores features in micro-batches. Records wait in a changelogged buffer store, not in memory, so that under
 * exactly-once a commit never acknowledges input whose scores were not yet written. The buffer is scored when it
 * holds {@code batchSize} records, and at least every {@code linger}.
 * <p>
 * Bad input costs only itself, as in the fusion app:
 * <ul>
 *   <li>A record that cannot be scored or whose score could not be written (wrong modality or length, a value that is
 *       not finite, an {@code event_time} outside {@link EventTimeBound}) is refused at the door: the processing
 *       handler dead-letters its original bytes and it never enters the buffer.</li>
 *   <li>At a flush, the buffer is checked again (it may hold what an older release accepted), and a batch the model
 *       fails on is scored record by record, so that only the records the model fails on alone are dead-lettered; a
 *       record the model scores as NaN or infinite is dead-lettered as {@code not_finite}, and one whose score
 *       cannot be serialized as {@code processing_error}. Each record leaves the buffer once its dead letter or its
 *       score is forwarded (at-least-once may repeat one, never lose it).</li>
 *   <li>A flush that cannot write (the registry is down, say) is no record's fault: it fails the stream thread
 *       ({@link NotTheRecordsFault}), which is replaced and flushes again what is still buffered. It never
 *       dead-letters the record that filled the batch, nor writes an empty dead letter for a punctuation.</li>
 * </ul>
 * Dead letters written at a flush carry the features as they would be written to the features topic (its subject's
 * schema), with the {@code latefuse.topic} header naming that topic, for replay.
 */
final class ScoringProcessor implements Processor<String, ModalityFeatures, String, Object> {
    private static final Logger log = LoggerFactory.getLogger(ScoringProcessor.class);

    private final BatchScorer scorer;
    private final int batchSize;
    private final Duration linger;
    private final EventTimeBound eventTimes;
    private final String featuresTopic;

    private ProcessorContext<String, Object> context;
    private KeyValueStore<Bytes, ModalityFeatures> buffer;
    private long nextSeq;
    private int buffered;

    /** A buffered record the flush gives up on, and why. */
    private record Letter(Bytes key, ModalityFeatures features, DeadLetterReason reason, String detail) {}

    ScoringProcessor(BatchScorer scorer, int batchSize, Duration linger, EventTimeBound eventTimes, String featuresTopic) {
        this.scorer = scorer;
        this.batchSize = batchSize;
        this.linger = linger;
        this.eventTimes = eventTimes;
        this.featuresTopic = featuresTopic;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.buffer = context.getStateStore(ScoringTopology.BUFFER_STORE);
        // After a restart the buffer holds what was restored from its changelog: continue after it. (An in-memory
        // store of at most batchSize entries, so reading it whole is cheap.)
        try (KeyValueIterator<Bytes, ModalityFeatures> it = buffer.all()) {
            while (it.hasNext()) {
                nextSeq = ByteBuffer.wrap(it.next().key.get()).getLong() + 1;
                buffered++;
            }
        }
        context.schedule(linger, PunctuationType.WALL_CLOCK_TIME, t -> flush());
    }

    @Override
    public void process(Record<String, ModalityFeatures> record) {
        ModalityFeatures f = record.value();
        InvalidScoreException invalid = check(record.key(), f);
        if (invalid != null) {
            throw invalid;
        }
        buffer.put(Bytes.wrap(ByteBuffer.allocate(8).putLong(nextSeq++).array()), f);
        if (++buffered >= batchSize) {
            flush();
        }
    }

    /** Why a record cannot be scored and written, or null. */
    private InvalidScoreException check(String key, ModalityFeatures f) {
        if (f == null) {
            return new InvalidScoreException(DeadLetterReason.MISSING_VALUE, "null features (tombstone) for key '" + key + "'");
        }
        if (key == null || !key.equals(f.getEventId())) {
            return new InvalidScoreException(DeadLetterReason.KEY_MISMATCH, "record key '" + key
                    + "' differs from event_id '" + f.getEventId() + "'");
        }
        if (!scorer.modality().equals(f.getModality())) {
            return new InvalidScoreException(DeadLetterReason.MODALITY_TOPIC_MISMATCH, "event " + f.getEventId()
                    + ": features of modality '" + f.getModality() + "' on the " + scorer.modality() + " features topic");
        }
        if (f.getValues().size() != scorer.features()) {
            return new InvalidScoreException(DeadLetterReason.WRONG_LENGTH, "event " + f.getEventId() + ", modality "
                    + f.getModality() + ": " + f.getValues().size() + " feature values, the model takes " + scorer.features());
        }
        for (int i = 0; i < f.getValues().size(); i++) {
            if (!Float.isFinite(f.getValues().get(i))) {
                return new InvalidScoreException(DeadLetterReason.NOT_FINITE, "event " + f.getEventId() + ", modality "
                        + f.getModality() + ": values[" + i + "] is " + f.getValues().get(i));
            }
        }
        // The score is written with event_time as its timestamp: one Kafka refuses would fail the whole batch.
        String time = eventTimes.problem(f.getEventTime(), context.currentSystemTimeMs());
        if (time != null) {
            return new InvalidScoreException(DeadLetterReason.OUT_OF_RANGE, "event " + f.getEventId() + ", modality "
                    + f.getModality() + ": " + time);
        }
        return null;
    }

    private void flush() {
        if (buffered == 0) {
            return;
        }
        List<Bytes> keys = new ArrayList<>(buffered);
        List<ModalityFeatures> batch = new ArrayList<>(buffered);
        List<Letter> letters = new ArrayList<>();
        try (KeyValueIterator<Bytes, ModalityFeatures> it = buffer.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, ModalityFeatures> e = it.next();
                InvalidScoreException invalid = check(e.value == null ? null : e.value.getEventId(), e.value);
                if (invalid != null) {
                    letters.add(new Letter(e.key, e.value, invalid.reason(), invalid.getMessage()));
                } else {
                    keys.add(e.key);
                    batch.add(e.value);
                }
            }
        }
        List<ModalityScore> scores = scoreEach(keys, batch, letters);
        // Each record leaves the buffer once what it became (a dead letter, or its score) is forwarded: a flush that
        // fails part-way keeps exactly the records not yet written, and at-least-once may repeat one, never lose it.
        for (Letter letter : letters) {
            forward(() -> deadLetter(letter), letter.features());
            buffer.delete(letter.key());
        }
        for (int i = 0; i < scores.size(); i++) {
            ModalityScore s = scores.get(i);
            Bytes key = keys.get(i);
            try {
                // Scores carry their event's time, whether scored on arrival or by the linger punctuator.
                forward(() -> context.forward(new Record<>(s.getEventId(), s, s.getEventTime().toEpochMilli()),
                        ScoringTopology.SINK), null);
            } catch (UnwritableScore e) {
                ModalityFeatures f = buffer.get(key);
                forward(() -> deadLetter(new Letter(key, f, DeadLetterReason.PROCESSING_ERROR, "event "
                        + s.getEventId() + ", modality " + s.getModality() + ": its score cannot be written: "
                        + e.getCause())), f);
            }
            buffer.delete(key);
        }
        buffered = 0;
    }

    /** A score that cannot be serialized: the record's own fault, dead-lettered in its place. */
    private static final class UnwritableScore extends RuntimeException {
        UnwritableScore(Throwable cause) {
            super(cause);
        }
    }

    /**
     * Runs one forward. A score that cannot be serialized (and not for the registry's trouble) is {@link
     * UnwritableScore}; anything else that fails is {@link NotTheRecordsFault}, which fails the stream thread to be
     * retried: the record that started the flush is not at fault, and a punctuation has no record to dead-letter.
     *
     * @param letterOf the features whose dead letter is forwarded, or null when a score is
     */
    private void forward(Runnable forward, ModalityFeatures letterOf) {
        try {
            forward.run();
        } catch (RuntimeException e) {
            boolean registry = Causes.find(e, io.latefuse.registry.SchemaRegistryException.class) != null;
            if (letterOf == null && !registry
                    && Causes.find(e, org.apache.kafka.common.errors.SerializationException.class) != null) {
                throw new UnwritableScore(e);
            }
            throw new NotTheRecordsFault(scorer.describe() + ": a flush could not write "
                    + (letterOf == null ? "a score" : "the dead letter of event " + letterOf.getEventId())
                    + (registry ? " (schema registry trouble)" : "") + "; " + buffered + " buffered records wait", e);
        }
    }

    /**
     * Scores {@code batch} (whose buffer keys are {@code keys}); if the model fails on it, record by record. What
     * cannot be scored, or scores as NaN or infinite, moves from {@code keys} and {@code batch} to {@code letters}.
     */
    private List<ModalityScore> scoreEach(List<Bytes> keys, List<ModalityFeatures> batch, List<Letter> letters) {
        if (batch.isEmpty()) {
            return List.of();
        }
        List<ModalityScore> scores;
        try {
            scores = scorer.score(batch);
        } catch (RuntimeException batchFailure) {
            log.warn("{} failed on a batch of {} records ({}); scoring them one by one", scorer.describe(), batch.size(),
                    batchFailure.toString());
            scores = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                ModalityFeatures f = batch.get(i);
                try {
                    scores.add(scorer.score(List.of(f)).get(0));
                } catch (RuntimeException e) {
                    scores.add(null);
                    letters.add(new Letter(keys.get(i), f, DeadLetterReason.PROCESSING_ERROR, "event " + f.getEventId()
                            + ", modality " + f.getModality() + ": " + scorer.describe() + " failed on it: " + e));
                }
            }
        }
        List<ModalityScore> kept = new ArrayList<>(scores.size());
        List<Bytes> keptKeys = new ArrayList<>(scores.size());
        for (int i = 0; i < scores.size(); i++) {
            ModalityScore s = scores.get(i);
            if (s == null) {
                continue;
            }
            String notFinite = notFinite(s);
            if (notFinite != null) {
                ModalityFeatures f = batch.get(i);
                letters.add(new Letter(keys.get(i), f, DeadLetterReason.NOT_FINITE, "event " + f.getEventId()
                        + ", modality " + f.getModality() + ": " + scorer.describe() + " gave it " + notFinite));
                continue;
            }
            kept.add(s);
            keptKeys.add(keys.get(i));
        }
        keys.clear();
        keys.addAll(keptKeys);
        return kept;
    }

    private static String notFinite(ModalityScore s) {
        for (int c = 0; c < s.getScores().size(); c++) {
            if (!Float.isFinite(s.getScores().get(c))) {
                return "scores " + s.getScores() + " (scores[" + c + "] is " + s.getScores().get(c) + ")";
            }
        }
        List<Float> e = s.getEmbedding();
        for (int k = 0; e != null && k < e.size(); k++) {
            if (!Float.isFinite(e.get(k))) {
                return "an embedding whose value [" + k + "] is " + e.get(k);
            }
        }
        return null;
    }

    private void deadLetter(Letter letter) {
        log.debug("Dead letter ({}): {}", letter.reason().code(), letter.detail());
        RecordHeaders headers = new RecordHeaders();
        DeadLetters.tag(headers, letter.reason(), letter.detail());
        headers.add(DeadLetterReason.TOPIC_HEADER, featuresTopic.getBytes(StandardCharsets.UTF_8));
        ModalityFeatures f = letter.features();
        long timestamp = context.currentSystemTimeMs();
        context.forward(new Record<String, Object>(f == null ? null : f.getEventId(), f, timestamp, headers),
                ScoringTopology.DEAD_LETTER_SINK);
    }
}
