package io.latefuse.progress;

import org.apache.kafka.common.TopicPartition;

/**
 * How far the app has read each input partition: what deadlines on the {@code input} clock wait for. Called on the
 * stream thread that owns the partition.
 */
public interface InputProgress {
    /** No time: where the partition stands is not known (just assigned, or nothing read yet). */
    long UNKNOWN = Long.MIN_VALUE;

    /** The record at {@code offset} was taken off the input: processed, or dead-lettered. */
    void seen(TopicPartition partition, long offset);

    /**
     * A time T such that everything appended to the partition before T has been read and taken off the input (up to
     * now, when the partition is read to its end), or {@link #UNKNOWN}.
     */
    long readTo(TopicPartition partition);

    /** Why the partition is not read further than {@link #readTo} says, in words (for logs and degraded reasons). */
    default String why(TopicPartition partition) {
        return "its progress is not tracked";
    }

    /**
     * The clock write times are capped at (a score cannot have been written after it was read): the wall clock, read
     * now rather than Kafka Streams' per-iteration cached time, which can lag behind and would make a write look
     * earlier than it was.
     */
    default long now() {
        return System.currentTimeMillis();
    }
}
