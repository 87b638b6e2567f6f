package io.latefuse.progress;

import org.apache.kafka.common.TopicPartition;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The main consumers of one Kafka Streams instance, by the stream thread that polls each; and the
 * {@link InputProgress} they give the processors running on those threads.
 */
public final class ConsumerRegistry implements InputProgress {
    /** The key under which the registry reaches the dead-letter handlers through the Streams config. */
    public static final String CONFIG_KEY = "latefuse.input.progress";

    /** The progress an app put into its Streams config under {@link #CONFIG_KEY}, or one that tracks nothing. */
    public static InputProgress from(Map<String, ?> configs) {
        return configs.get(CONFIG_KEY) instanceof InputProgress p ? p : new ConsumerRegistry();
    }
    private final Map<Thread, TrackingConsumer> byThread = new ConcurrentHashMap<>();
    private final java.util.Set<String> createTimeTopics = ConcurrentHashMap.newKeySet();
    private final LongSupplier wallClock;
    private volatile EndOffsetProbe ends;

    public ConsumerRegistry() {
        this(System::currentTimeMillis);
    }

    /** @param wallClock this app's clock (a test's own) */
    ConsumerRegistry(LongSupplier wallClock) {
        this.wallClock = wallClock;
    }

    long wallClock() {
        return wallClock.getAsLong();
    }

    /** Where the input's end offsets come from; until set, no partition counts as read to its end. */
    public void endOffsets(EndOffsetProbe probe) {
        this.ends = probe;
    }

    /** Partitions were assigned to a stream thread's consumer. */
    void assigned(java.util.Collection<TopicPartition> partitions) {
        EndOffsetProbe probe = ends;
        if (probe != null) {
            probe.expect(partitions);
        }
    }

    void register(Thread thread, TrackingConsumer consumer) {
        byThread.put(thread, consumer);
    }

    void unregister(TrackingConsumer consumer) {
        byThread.values().remove(consumer);
    }

    /** The consumer the calling stream thread polls, or null (a thread of another client, or none yet). */
    TrackingConsumer current() {
        return byThread.get(Thread.currentThread());
    }

    @Override
    public void seen(TopicPartition partition, long offset) {
        TrackingConsumer c = current();
        if (c != null) {
            c.seen(partition, offset);
        }
    }

    @Override
    public void skipped(TopicPartition partition, long offset) {
        TrackingConsumer c = current();
        if (c != null) {
            c.skipped(partition, offset);
        }
    }

    /** The partition's latest end offset, or null (none yet, or no probe). */
    private EndOffsetProbe.End end(TopicPartition partition) {
        EndOffsetProbe probe = ends;
        return probe == null ? null : probe.latest(partition);
    }

    @Override
    public long progressedAt(TopicPartition partition) {
        TrackingConsumer c = current();
        return c == null ? UNKNOWN : c.progressedAt(partition, end(partition));
    }

    @Override
    public long readTo(TopicPartition partition) {
        TrackingConsumer c = current();
        return c == null ? UNKNOWN : c.readTo(partition, end(partition));
    }

    @Override
    public String why(TopicPartition partition) {
        TrackingConsumer c = current();
        EndOffsetProbe probe = ends;
        if (c == null) {
            return "no consumer of this stream thread tracks it";
        }
        String consumer = c.why(partition, end(partition));
        String brokers = probe == null ? null : probe.trouble(partition);
        return brokers == null ? consumer : consumer + "; " + brokers;
    }

    @Override
    public int partitionCount(String topic, boolean fresh) {
        TrackingConsumer c = current();
        return c == null ? -1 : c.partitionCount(topic, fresh);
    }

    void sawCreateTime(String topic) {
        createTimeTopics.add(topic);
    }

    @Override
    public boolean createTime(String topic) {
        return createTimeTopics.contains(topic);
    }

    @Override
    public long now() {
        return wallClock.getAsLong();
    }
}
