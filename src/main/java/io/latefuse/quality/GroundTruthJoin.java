package io.latefuse.quality;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.GroundTruth;
import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.JudgedPrediction;
import io.latefuse.avro.internal.QualityEvent;
import io.latefuse.avro.internal.QualityOutcome;
import io.latefuse.config.PipelineConfig;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.InvalidScoreException;
import io.latefuse.streams.KeyPartitions;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;

/**
 * Per event, what of its predictions (revision 0 and the last), its scores (when exporting) and its label has been
 * read; when an event has a label and a prediction it is judged, once: an outcome for revision 0 and one for the last
 * revision read by then, and, with {@code labelled.topic}, one {@code LabelledModalityScore} per score held.
 * <ul>
 *   <li>The first label of an event wins; later ones are counted as duplicates and dropped.</li>
 *   <li>A revision read after its event was judged is counted and not judged: each event counts once per kind.</li>
 *   <li>An event is forgotten {@code labels.retention} after the first of its records was read (wall clock), at the
 *       first scan after that (every {@code quality.interval}), or sooner when a record finds it expired; a judged
 *       event is kept until then too, to recognise its duplicates.</li>
 *   <li>A label of an unknown class, a record whose key is not its event id, a prediction naming an unknown modality:
 *       dead-lettered with the reason, and the app goes on.</li>
 * </ul>
 */
final class GroundTruthJoin implements Processor<String, SpecificRecord, String, SpecificRecord> {
    /** Expired events forgotten per scan, at most; a scan that stops there goes on at the next one. */
    static final int MAX_EXPIRED_PER_SCAN = 10_000;

    private final PipelineConfig config;
    private final PipelineConfig.Quality quality;
    private final QualityTelemetry telemetry;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, QualityEvent> events;
    private ExpiryIndex expiries;

    /** How many partitions the labels topic has; 0 when unknown (no check). */
    private final KeyPartitions.Count labelsPartitions;

    GroundTruthJoin(PipelineConfig config, QualityTelemetry telemetry) {
        this(config, telemetry, fresh -> 0);
    }

    GroundTruthJoin(PipelineConfig config, QualityTelemetry telemetry, KeyPartitions.Count labelsPartitions) {
        this.config = config;
        this.quality = config.quality();
        this.telemetry = telemetry;
        this.labelsPartitions = labelsPartitions;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.events = context.getStateStore(QualityTopology.EVENTS_STORE);
        KeyValueStore<Bytes, byte[]> index = context.getStateStore(QualityTopology.EXPIRY_STORE);
        this.expiries = new ExpiryIndex(index);
        context.schedule(quality.interval(), PunctuationType.WALL_CLOCK_TIME, this::expire);
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        long now = context.currentSystemTimeMs();
        SpecificRecord value = record.value();
        String topic = context.recordMetadata().map(m -> m.topic()).orElse("?");
        if (value == null) {
            throw new InvalidScoreException(DeadLetterReason.MISSING_VALUE, "a record with no value on " + topic
                    + ", key '" + record.key() + "'");
        }
        if (value instanceof FusedPrediction p) {
            requireKey(record.key(), p.getEventId(), topic);
            prediction(p, now);
        } else if (value instanceof GroundTruth g) {
            requireKey(record.key(), g.getEventId(), topic);
            checkPartition(record.key(), topic);
            label(g, now);
        } else if (value instanceof ModalityScore s) {
            requireKey(record.key(), s.getEventId(), topic);
            score(s, now);
        } else {
            throw new IllegalStateException("the quality join reads predictions, labels and scores, not "
                    + value.getClass().getSimpleName());
        }
    }

    /**
     * A label on a partition other than its key's (a producer with another partitioner: librdkafka's default) can
     * never meet its prediction, which is on the key's partition in another task: dead-lettered as
     * {@code wrong_partition}, naming both, rather than held until it expires. Not under {@code input.partitioner:
     * custom}.
     */
    private void checkPartition(String key, String topic) {
        int partition = context.recordMetadata().map(m -> m.partition()).orElse(-1);
        if (partition < 0 || config.inputPartitioner() == PipelineConfig.InputPartitioner.CUSTOM) {
            return;
        }
        KeyPartitions.Misplaced wrong = KeyPartitions.misplaced(key, partition, labelsPartitions);
        if (wrong != null) {
            throw new InvalidScoreException(DeadLetterReason.WRONG_PARTITION, "label of '" + key + "' is on partition "
                    + partition + " of " + topic + ", but its key maps to partition " + wrong.expected() + " of its "
                    + wrong.partitions() + " (murmur2, as Java producers place keys), where its prediction is: it can never "
                    + "meet it. Set the producer's partitioner to murmur2 (librdkafka: partitioner=murmur2_random)");
        }
    }

    private static void requireKey(String key, String eventId, String topic) {
        if (key == null || !key.equals(eventId)) {
            throw new InvalidScoreException(DeadLetterReason.KEY_MISMATCH, "a record on " + topic + " has key '" + key
                    + "' but event_id '" + eventId + "'");
        }
    }

    private void prediction(FusedPrediction p, long now) {
        JudgedPrediction judged = judgeable(p);
        QualityEvent e = live(p.getEventId(), now);
        if (e.getJudged()) {
            if (e.getLast() == null || p.getRevision() > e.getLast().getRevision()) {
                telemetry.revisionAfterJudging();
            }
            return;
        }
        if (p.getRevision() == 0 && e.getFirst() == null) {
            e.setFirst(judged);
        }
        if (e.getLast() == null || p.getRevision() >= e.getLast().getRevision()) {
            e.setLast(judged);
        }
        if (e.getTruth() != null) {
            judge(e, now);
        }
        events.put(e.getEventId(), e);
    }

    /** What of a prediction is judged; a prediction that does not fit the config is dead-lettered, naming why. */
    private JudgedPrediction judgeable(FusedPrediction p) {
        for (String m : p.getPresent()) {
            if (config.modalityIndex(m) < 0) {
                throw new InvalidScoreException(DeadLetterReason.UNKNOWN_MODALITY, "event " + p.getEventId()
                        + ": the prediction names modality '" + m + "', which is not in the config "
                        + config.modalityNames());
            }
        }
        int predicted = config.classes().indexOf(p.getLabel());
        if (predicted < 0) {
            throw new InvalidScoreException(DeadLetterReason.UNKNOWN_CLASS, "event " + p.getEventId()
                    + ": the prediction's label '" + p.getLabel() + "' is not a class of the config " + config.classes());
        }
        if (p.getScores().size() != config.numClasses()) {
            throw new InvalidScoreException(DeadLetterReason.WRONG_LENGTH, "event " + p.getEventId() + ": the prediction has "
                    + p.getScores().size() + " scores, expected " + config.numClasses() + " (one per class)");
        }
        float confidence = p.getScores().get(predicted);
        if (!Float.isFinite(confidence)) {
            throw new InvalidScoreException(DeadLetterReason.NOT_FINITE, "event " + p.getEventId()
                    + ": the predicted class's probability is " + confidence);
        }
        return JudgedPrediction.newBuilder().setRevision(p.getRevision()).setPredicted(p.getLabel())
                .setConfidence(confidence).setDecision(p.getDecision()).setSubset(Subsets.of(config.modalityNames().stream()
                        .filter(new java.util.HashSet<>(p.getPresent())::contains).toList()))
                .setWaitMs(p.getWaitMs()).build();
    }

    private void label(GroundTruth g, long now) {
        if (!config.classes().contains(g.getLabel())) {
            throw new InvalidScoreException(DeadLetterReason.UNKNOWN_CLASS, "event " + g.getEventId() + ": label '"
                    + g.getLabel() + "' is not a class of the config " + config.classes());
        }
        QualityEvent e = live(g.getEventId(), now);
        if (e.getTruth() != null) {
            telemetry.duplicateLabel();
            return;
        }
        e.setTruth(g.getLabel());
        if (e.getFirst() != null || e.getLast() != null) {
            judge(e, now);
        }
        events.put(e.getEventId(), e);
    }

    private void score(ModalityScore s, long now) {
        if (config.modalityIndex(s.getModality()) < 0) {
            throw new InvalidScoreException(DeadLetterReason.UNKNOWN_MODALITY, "event " + s.getEventId()
                    + ": modality '" + s.getModality() + "' is not in the config " + config.modalityNames());
        }
        if (s.getScores().size() != config.numClasses()
                || io.latefuse.fusion.ScoreRules.check(s.getScores(), s.getScoreType(), config.classes()) != null) {
            return; // the fusion app dead-letters it; it must not reach the training data either
        }
        QualityEvent e = live(s.getEventId(), now);
        if (e.getJudged() || e.getScores().stream().anyMatch(h -> h.getModality().equals(s.getModality()))) {
            return; // judged already, or a duplicate: the first score of a modality is the one exported
        }
        List<ModalityScore> scores = new ArrayList<>(e.getScores());
        scores.add(s);
        e.setScores(scores);
        events.put(e.getEventId(), e);
    }

    /** The event's entry, or a new one expiring {@code labels.retention} from now; an expired entry is forgotten. */
    private QualityEvent live(String eventId, long now) {
        QualityEvent e = events.get(eventId);
        if (e != null && e.getExpiresAt() <= now) {
            forget(e);
            e = null;
        }
        if (e == null) {
            long expires = now > Long.MAX_VALUE - quality.labelsRetention().toMillis() ? Long.MAX_VALUE
                    : now + quality.labelsRetention().toMillis();
            e = QualityEvent.newBuilder().setEventId(eventId).setExpiresAt(expires).setScores(new ArrayList<>()).build();
            expiries.add(expires, eventId);
        }
        return e;
    }

    private void judge(QualityEvent e, long now) {
        if (e.getFirst() != null) {
            context.forward(new Record<>(e.getEventId(), outcome(e, e.getFirst(), RevisionKind.FIRST, now), now));
        }
        context.forward(new Record<>(e.getEventId(), outcome(e, e.getLast(), RevisionKind.LAST, now), now));
        if (quality.exportsLabelled()) {
            for (ModalityScore s : e.getScores()) {
                context.forward(new Record<>(e.getEventId(), LabelledModalityScore.newBuilder().setLabel(e.getTruth())
                        .setScore(s).setFeatures(null).build(), now));
            }
        }
        telemetry.judged();
        e.setJudged(true);
        e.setScores(new ArrayList<>());
    }

    private static QualityOutcome outcome(QualityEvent e, JudgedPrediction p, RevisionKind kind, long now) {
        return QualityOutcome.newBuilder().setEventId(e.getEventId()).setKind(kind.code()).setRevision(p.getRevision())
                .setSubset(p.getSubset()).setPredicted(p.getPredicted()).setTruth(e.getTruth())
                .setConfidence(p.getConfidence()).setDecision(p.getDecision()).setWaitMs(p.getWaitMs())
                .setJudgedAt(now).build();
    }

    /** Forgets every event expired by {@code now} (at most {@link #MAX_EXPIRED_PER_SCAN}), counting what it missed. */
    void expire(long now) {
        for (ExpiryIndex.Entry due : expiries.due(now, MAX_EXPIRED_PER_SCAN)) {
            QualityEvent e = events.get(due.eventId());
            if (e != null && e.getExpiresAt() == due.expiresAt()) {
                forget(e);
            } else {
                expiries.remove(due.expiresAt(), due.eventId()); // stale: the event was forgotten, or is another's
            }
        }
    }

    private void forget(QualityEvent e) {
        if (!e.getJudged()) {
            if (e.getTruth() != null) {
                telemetry.labelUnmatched();
            } else if (e.getFirst() != null || e.getLast() != null) {
                telemetry.predictionUnlabelled();
            }
        }
        events.put(e.getEventId(), null);
        expiries.remove(e.getExpiresAt(), e.getEventId());
    }
}
