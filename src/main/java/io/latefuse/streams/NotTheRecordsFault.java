package io.latefuse.streams;

/**
 * A failure that is not the fault of the record being processed (or of any record, in a punctuation): the
 * processing handler fails the stream thread, which is replaced and tries again (under exactly-once, after the
 * transaction is aborted), rather than dead-letter a good record or write an empty dead letter for a punctuation.
 * For example: the scorer could not write a flush's scores or dead letters because the registry is down.
 */
public class NotTheRecordsFault extends RuntimeException {
    public NotTheRecordsFault(String message, Throwable cause) {
        super(message, cause);
    }
}
