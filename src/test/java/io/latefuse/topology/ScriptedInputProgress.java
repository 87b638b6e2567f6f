package io.latefuse.topology;

import io.latefuse.progress.InputProgress;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Input progress a test sets: every partition is caught up as of the driver's wall clock (a TopologyTestDriver
 * processes each record as it is piped), unless the test says a partition is behind.
 */
final class ScriptedInputProgress implements InputProgress {
    private final LongSupplier wallClock;
    private final Map<String, Boolean> behind = new HashMap<>();
    final Map<TopicPartition, Long> seen = new HashMap<>();
    /** Partition counts the test gives input topics (the driver reads every topic as partition 0). */
    final Map<String, Integer> partitionCounts = new HashMap<>();
    /** Topics the test says were read stamped CreateTime. */
    final java.util.Set<String> createTime = new java.util.HashSet<>();

    @Override
    public int partitionCount(String topic, boolean fresh) {
        return partitionCounts.getOrDefault(topic, -1);
    }

    @Override
    public boolean createTime(String topic) {
        return createTime.contains(topic);
    }

    ScriptedInputProgress(LongSupplier wallClock) {
        this.wallClock = wallClock;
    }

    /** The topic's partitions have unread records (lag), or the app does not know yet. */
    void behind(String topic) {
        behind.put(topic, true);
    }

    /** The topic's partitions are read to their end. */
    void caughtUp(String topic) {
        behind.remove(topic);
    }

    @Override
    public void seen(TopicPartition partition, long offset) {
        seen.put(partition, offset);
    }

    @Override
    public long now() {
        return wallClock.getAsLong();
    }

    @Override
    public String why(TopicPartition partition) {
        return behind.containsKey(partition.topic()) ? "the test holds it behind" : "caught up";
    }

    @Override
    public long progressedAt(TopicPartition partition) {
        return behind.containsKey(partition.topic()) ? UNKNOWN : wallClock.getAsLong();
    }

    @Override
    public long readTo(TopicPartition partition) {
        return behind.containsKey(partition.topic()) ? UNKNOWN : wallClock.getAsLong();
    }
}
