package io.latefuse.progress;

import org.apache.kafka.common.TopicPartition;

/**
 * How far the app has read each input partition: what deadlines on the {@code input} clock wait for. Called on the
 * stream thread that owns the partition.
 */
public interface InputProgress {
    /** No time: where the partition stands is not known (just assigned, or nothing read yet). */
    long UNKNOWN = Long.MIN_VALUE;

    /** The record at {@code offset} was taken off the input: processed (and so was every record before it). */
    void seen(TopicPartition partition, long offset);

    /**
     * The record at {@code offset}, and only it, was taken off the input without being processed (dead-lettered by
     * the deserialization handler, which Kafka Streams calls while the record before it may still wait to be
     * processed).
     */
    default void skipped(TopicPartition partition, long offset) {
    }

    /**
     * The wall-clock time of the latest evidence that the partition was being read: a record taken off it, or the
     * partition found read to an end offset (the time that end was asked for); {@link #UNKNOWN} if none. A partition
     * without fresh evidence for long is one whose progress cannot be confirmed.
     */
    default long progressedAt(TopicPartition partition) {
        return UNKNOWN;
    }

    /**
     * A time T such that everything appended to the partition before T has been read and taken off the input (up to
     * now, when the partition is read to its end), or {@link #UNKNOWN}.
     */
    long readTo(TopicPartition partition);

    /** Why the partition is not read further than {@link #readTo} says, in words (for logs and degraded reasons). */
    default String why(TopicPartition partition) {
        return "its progress is not tracked";
    }

    /** The partition count of an input topic, as this app's consumer knows it, or -1 if unknown. */
    default int partitionCount(String topic) {
        return partitionCount(topic, false);
    }

    /** The same, asked of the consumer's metadata again if {@code fresh} (not from what was counted before). */
    default int partitionCount(String topic, boolean fresh) {
        return -1;
    }

    /** Whether records of the topic were read stamped CreateTime (their producers' clocks). */
    default boolean createTime(String topic) {
        return false;
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
