package io.latefuse.streams;

/** Why a record went to the dead-letter topic. Its {@link #code()} is the {@code latefuse.reason} header. */
public enum DeadLetterReason {
    /** The value bytes could not be read: wrong magic byte, truncated, unknown schema id, corrupt Avro. */
    DESERIALIZATION("deserialization"),
    /** A tombstone (null value) on a scores topic. */
    MISSING_VALUE("missing_value"),
    /** The record key is missing or differs from {@code event_id}. */
    KEY_MISMATCH("key_mismatch"),
    /** {@code modality} is not in the config. */
    UNKNOWN_MODALITY("unknown_modality"),
    /** {@code modality} names a configured modality, but the record came on another modality's topic. */
    MODALITY_TOPIC_MISMATCH("modality_topic_mismatch"),
    /** {@code scores} does not have one value per configured class. */
    WRONG_LENGTH("wrong_length"),
    /** A score, the confidence, the embedding or event_time is NaN or infinite. */
    NOT_FINITE("not_finite"),
    /**
     * A probability outside [0, 1], probabilities that do not sum to 1, a confidence outside [0, 1], or an event_time
     * before 1970 or more than {@code event.time.max.future} ahead of the clock.
     */
    OUT_OF_RANGE("out_of_range"),
    /** The fusion head takes embeddings, and the score has none. */
    MISSING_EMBEDDING("missing_embedding"),
    /**
     * The record sits on a partition other than the one its key maps to (murmur2 of the key, as Java producers and
     * Kafka Streams place keys): it can never meet its event's other scores. Checked unless
     * {@code input.partitioner: custom}.
     */
    WRONG_PARTITION("wrong_partition"),
    /** A label ({@code GroundTruth}, read by {@code latefuse quality}) whose class is not in the config. */
    UNKNOWN_CLASS("unknown_class"),
    /** The event was already emitted and {@code late.policy=drop}. */
    LATE("late"),
    /**
     * Fusing the event failed (for example a learned head gave an output that is not a probability vector). Every
     * score the event held goes to the dead-letter topic, and later scores for it follow while it is remembered.
     */
    FUSION_FAILED("fusion_failed"),
    /** Anything else that failed while processing the record. */
    PROCESSING_ERROR("processing_error");

    /** The header that carries {@link #code()} on each dead letter. */
    public static final String HEADER = "latefuse.reason";
    /** The header that carries the human-readable detail. */
    public static final String DETAIL_HEADER = "latefuse.detail";
    /**
     * On scores the fusion processor itself dead-letters from its state (reasons {@code fusion_failed} and
     * {@code unknown_modality} from an older config): the scores topic the score came from, for replay.
     */
    public static final String TOPIC_HEADER = "latefuse.topic";

    private final String code;

    DeadLetterReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
