package io.latefuse.topology;

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
    /** A probability outside [0, 1], probabilities that do not sum to 1, a confidence outside [0, 1], or a negative event_time. */
    OUT_OF_RANGE("out_of_range"),
    /** The event was already emitted and {@code late.policy=drop}. */
    LATE("late"),
    /** Anything else that failed while processing the record. */
    PROCESSING_ERROR("processing_error");

    /** The header that carries {@link #code()} on each dead letter. */
    public static final String HEADER = "latefuse.reason";
    /** The header that carries the human-readable detail. */
    public static final String DETAIL_HEADER = "latefuse.detail";

    private final String code;

    DeadLetterReason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
