package io.latefuse.streams;

/**
 * A score record latefuse refuses. Thrown from the processor before any state changes; the processing
 * exception handler sends the original record to the dead-letter topic with {@link #reason()}.
 */
public class InvalidScoreException extends RuntimeException {
    private final DeadLetterReason reason;

    public InvalidScoreException(DeadLetterReason reason, String message) {
        super(message, null, false, false); // expected and frequent: no stack trace
        this.reason = reason;
    }

    public DeadLetterReason reason() {
        return reason;
    }
}
