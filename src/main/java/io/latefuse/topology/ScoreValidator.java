package io.latefuse.topology;

import io.latefuse.streams.EventTimeBound;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.InvalidScoreException;

import java.util.List;

/** Checks one score record against the config. Pure; throws {@link InvalidScoreException} naming the culprit. */
public final class ScoreValidator {

    private final PipelineConfig config;
    private final java.util.OptionalInt embeddingSize;
    private final EventTimeBound eventTimes;
    /** Early fusion: the arrivals carry features, not scores. */
    private final boolean early;

    /** @param embeddingSize the embedding length the strategy needs, if it uses embeddings */
    public ScoreValidator(PipelineConfig config, java.util.OptionalInt embeddingSize) {
        this.config = config;
        this.embeddingSize = embeddingSize;
        this.eventTimes = new EventTimeBound(config.eventTimeMaxFuture());
        this.early = config.fusionLevel() == io.latefuse.config.FusionLevel.EARLY;
    }

    /**
     * @param topic     the topic the record came from
     * @param wallNowMs the wall-clock time now, against which {@code event.time.max.future} is checked
     * @return the modality's index in config order
     */
    public int validate(String key, ModalityScore score, String topic, long wallNowMs) {
        if (score == null) {
            throw new InvalidScoreException(DeadLetterReason.MISSING_VALUE,
                    "null value (tombstone) for key '" + key + "' on topic " + topic);
        }
        String id = score.getEventId();
        if (key == null || !key.equals(id)) {
            throw new InvalidScoreException(DeadLetterReason.KEY_MISMATCH,
                    "record key '" + key + "' differs from event_id '" + id + "' on topic " + topic);
        }
        String modality = score.getModality();
        int m = config.modalityIndex(modality);
        if (m < 0) {
            throw new InvalidScoreException(DeadLetterReason.UNKNOWN_MODALITY, "event " + id + ": modality '" + modality
                    + "' is not configured (configured: " + String.join(", ", config.modalityNames()) + ")");
        }
        String expectedTopic = config.modalities().get(m).topic();
        if (topic != null && !topic.equals(expectedTopic)) {
            throw new InvalidScoreException(DeadLetterReason.MODALITY_TOPIC_MISMATCH, "event " + id + ": modality '"
                    + modality + "' arrived on topic " + topic + ", but its topic is " + expectedTopic);
        }
        if (early) {
            return validFeatures(score, id, modality, m, wallNowMs);
        }
        List<Float> scores = score.getScores();
        if (scores.size() != config.numClasses()) {
            throw new InvalidScoreException(DeadLetterReason.WRONG_LENGTH, "event " + id + ", modality " + modality
                    + ": scores has " + scores.size() + " values, expected " + config.numClasses() + " (one per class: "
                    + String.join(", ", config.classes()) + ")");
        }
        io.latefuse.fusion.ScoreRules.Problem broken =
                io.latefuse.fusion.ScoreRules.check(scores, score.getScoreType(), config.classes());
        if (broken != null) {
            throw new InvalidScoreException(broken.rule() == io.latefuse.fusion.ScoreRules.Broken.NOT_FINITE
                    ? DeadLetterReason.NOT_FINITE : DeadLetterReason.OUT_OF_RANGE,
                    "event " + id + ", modality " + modality + ": " + broken.text());
        }
        Float confidence = score.getConfidence();
        if (confidence != null) {
            if (!Float.isFinite(confidence)) {
                throw new InvalidScoreException(DeadLetterReason.NOT_FINITE, "event " + id + ", modality " + modality
                        + ": confidence is " + confidence);
            }
            if (confidence < 0f || confidence > 1f) {
                throw new InvalidScoreException(DeadLetterReason.OUT_OF_RANGE, "event " + id + ", modality " + modality
                        + ": confidence " + confidence + " is outside [0, 1]");
            }
        }
        List<Float> embedding = score.getEmbedding();
        if (embedding == null && embeddingSize.isPresent()) {
            throw new InvalidScoreException(DeadLetterReason.MISSING_EMBEDDING, "event " + id + ", modality " + modality
                    + ": no embedding, but the fusion head takes " + embeddingSize.getAsInt() + " values per modality");
        }
        if (embedding != null) {
            if (embeddingSize.isPresent() && embedding.size() != embeddingSize.getAsInt()) {
                throw new InvalidScoreException(DeadLetterReason.WRONG_LENGTH, "event " + id + ", modality " + modality
                        + ": embedding has " + embedding.size() + " values, the fusion head expects " + embeddingSize.getAsInt());
            }
            requireFinite(embedding, "embedding", id, modality);
        }
        return validEventTime(score, id, modality, m, wallNowMs);
    }

    /** An early-fusion arrival: its features (held as the embedding) against the modality's {@code features.size}. */
    private int validFeatures(ModalityScore arrival, String id, String modality, int m, long wallNowMs) {
        List<Float> features = arrival.getEmbedding();
        int expected = config.modalities().get(m).featuresSize();
        if (features == null || features.size() != expected) {
            throw new InvalidScoreException(DeadLetterReason.WRONG_LENGTH, "event " + id + ", modality " + modality
                    + ": features has " + (features == null ? 0 : features.size()) + " values, expected features.size "
                    + expected);
        }
        requireFinite(features, "features", id, modality);
        return validEventTime(arrival, id, modality, m, wallNowMs);
    }

    private static void requireFinite(List<Float> values, String what, String id, String modality) {
        for (int i = 0; i < values.size(); i++) {
            if (!Float.isFinite(values.get(i))) {
                throw new InvalidScoreException(DeadLetterReason.NOT_FINITE, "event " + id + ", modality " + modality
                        + ": " + what + "[" + i + "] is " + values.get(i));
            }
        }
    }

    private int validEventTime(ModalityScore score, String id, String modality, int m, long wallNowMs) {
        String problem = eventTimes.problem(score.getEventTime(), wallNowMs);
        if (problem != null) {
            throw new InvalidScoreException(DeadLetterReason.OUT_OF_RANGE, "event " + id + ", modality " + modality
                    + ": " + problem);
        }
        return m;
    }
}
