package io.latefuse.streams;

import java.nio.charset.StandardCharsets;

/**
 * Where a key belongs among a topic's partitions as Java producers and Kafka Streams place it (murmur2; librdkafka's
 * {@code murmur2_random}): the check the fusion app makes of each score and the quality app of each label, since a
 * record on another partition can never meet the records of its key.
 */
public final class KeyPartitions {
    private KeyPartitions() {}

    /** A topic's partition count, asked afresh or as last known; 0 or less when unknown. */
    @FunctionalInterface
    public interface Count {
        int of(boolean fresh);
    }

    /** A record on the wrong partition: where its key belongs, among how many. */
    public record Misplaced(int expected, int partitions) {}

    /**
     * Whether {@code key}, read from {@code partition}, is on another partition than murmur2 maps it to: the count is
     * asked afresh once before saying so (partitions may have been added since it was counted). Null when it is
     * where it belongs, or the count is unknown.
     */
    public static Misplaced misplaced(String key, int partition, Count count) {
        int hash = org.apache.kafka.common.utils.Utils.toPositive(
                org.apache.kafka.common.utils.Utils.murmur2(key.getBytes(StandardCharsets.UTF_8)));
        int partitions = count.of(false);
        if (partitions > 0 && hash % partitions != partition) {
            partitions = count.of(true);
        }
        if (partitions <= 0 || hash % partitions == partition) {
            return null;
        }
        return new Misplaced(hash % partitions, partitions);
    }
}
