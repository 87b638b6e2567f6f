package io.latefuse.scoring;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.InvalidScoreException;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores features in micro-batches. Records wait in a changelogged buffer store, not in memory, so that under
 * exactly-once a commit never acknowledges input whose scores were not yet written. The buffer is scored when it
 * holds {@code batchSize} records, and at least every {@code linger}.
 */
final class ScoringProcessor implements Processor<String, ModalityFeatures, String, ModalityScore> {
    private final ModalityScorer scorer;
    private final int batchSize;
    private final Duration linger;

    private ProcessorContext<String, ModalityScore> context;
    private KeyValueStore<Bytes, ModalityFeatures> buffer;
    private long nextSeq;
    private int buffered;

    ScoringProcessor(ModalityScorer scorer, int batchSize, Duration linger) {
        this.scorer = scorer;
        this.batchSize = batchSize;
        this.linger = linger;
    }

    @Override
    public void init(ProcessorContext<String, ModalityScore> context) {
        this.context = context;
        this.buffer = context.getStateStore(ScoringTopology.BUFFER_STORE);
        // After a restart the buffer holds what was restored from its changelog: continue after it.
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
        validate(record.key(), f);
        buffer.put(Bytes.wrap(ByteBuffer.allocate(8).putLong(nextSeq++).array()), f);
        if (++buffered >= batchSize) {
            flush();
        }
    }

    private void validate(String key, ModalityFeatures f) {
        if (f == null) {
            throw new InvalidScoreException(DeadLetterReason.MISSING_VALUE, "null features (tombstone) for key '" + key + "'");
        }
        if (key == null || !key.equals(f.getEventId())) {
            throw new InvalidScoreException(DeadLetterReason.KEY_MISMATCH, "record key '" + key
                    + "' differs from event_id '" + f.getEventId() + "'");
        }
        if (!scorer.modality().equals(f.getModality())) {
            throw new InvalidScoreException(DeadLetterReason.MODALITY_TOPIC_MISMATCH, "event " + f.getEventId()
                    + ": features of modality '" + f.getModality() + "' on the " + scorer.modality() + " features topic");
        }
        if (f.getValues().size() != scorer.features()) {
            throw new InvalidScoreException(DeadLetterReason.WRONG_LENGTH, "event " + f.getEventId() + ", modality "
                    + f.getModality() + ": " + f.getValues().size() + " feature values, the model takes " + scorer.features());
        }
        for (int i = 0; i < f.getValues().size(); i++) {
            if (!Float.isFinite(f.getValues().get(i))) {
                throw new InvalidScoreException(DeadLetterReason.NOT_FINITE, "event " + f.getEventId() + ", modality "
                        + f.getModality() + ": values[" + i + "] is " + f.getValues().get(i));
            }
        }
    }

    private void flush() {
        if (buffered == 0) {
            return;
        }
        List<Bytes> keys = new ArrayList<>(buffered);
        List<ModalityFeatures> batch = new ArrayList<>(buffered);
        try (KeyValueIterator<Bytes, ModalityFeatures> it = buffer.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, ModalityFeatures> e = it.next();
                keys.add(e.key);
                batch.add(e.value);
            }
        }
        List<ModalityScore> scores = scorer.score(batch);
        for (ModalityScore s : scores) {
            // Scores carry their event's time, whether scored on arrival or by the linger punctuator.
            context.forward(new Record<>(s.getEventId(), s, s.getEventTime().toEpochMilli()));
        }
        keys.forEach(buffer::delete);
        buffered = 0;
    }
}
