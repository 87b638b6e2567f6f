package io.latefuse.progress;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metrics.KafkaMetric;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A stream thread's main consumer (Kafka's, which it wraps) that also knows which of the records it returned are
 * still waiting in Kafka Streams' buffers. With its position and an end offset the brokers gave at a known time
 * ({@link EndOffsetProbe}), that says whether a partition was read to its end as of that time. Everything runs on
 * the stream thread, as Kafka's consumer requires.
 * <p>
 * The bookkeeping follows every way Kafka Streams moves a partition under it:
 * <ul>
 *   <li>a {@code seek} to an offset (a task revived after an aborted transaction is sought back to its committed
 *       offset, and Kafka Streams drops what it had buffered of it): the entries at or past that offset are forgotten;
 *       they will be polled again. Entries before it stay until Kafka Streams takes them off the input;</li>
 *   <li>a partition revoked, lost, or assigned (a rebalance), or an unsubscribe: its entries are forgotten, since
 *       Kafka Streams closed or created the task that buffered them;</li>
 *   <li>a record polled again (after a seek back): the entries from its offset on are replaced.</li>
 * </ul>
 */
public final class TrackingConsumer implements Consumer<byte[], byte[]> {
    private final Consumer<byte[], byte[]> delegate;
    private final ConsumerRegistry registry;
    /** Per partition: what poll returned that was not taken off the input yet, as (offset, timestamp), in order. */
    private final Map<TopicPartition, ArrayDeque<long[]>> buffered = new HashMap<>();
    /** Per partition: the wall-clock time a record of it was last taken off the input. */
    private final Map<TopicPartition, Long> takenAt = new HashMap<>();
    /** Partition counts of the topics asked about, from the consumer's metadata. */
    private final Map<String, Integer> partitionCounts = new HashMap<>();
    private Thread owner;
    /** For a subscription without a listener of its own: the bookkeeping still follows its partitions. */
    private static final ConsumerRebalanceListener NO_LISTENER = new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) { }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) { }
    };

    TrackingConsumer(Consumer<byte[], byte[]> delegate, ConsumerRegistry registry) {
        this.delegate = delegate;
        this.registry = registry;
    }

    @Override
    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        if (owner != Thread.currentThread()) {
            owner = Thread.currentThread();
            registry.register(owner, this);
        }
        ConsumerRecords<byte[], byte[]> records = delegate.poll(timeout);
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> batch = records.records(tp);
            ArrayDeque<long[]> queue = buffered.computeIfAbsent(tp, k -> new ArrayDeque<>());
            long first = batch.get(0).offset();
            while (!queue.isEmpty() && queue.peekLast()[0] >= first) {
                queue.pollLast(); // read again after a seek back: Kafka Streams dropped those
            }
            for (ConsumerRecord<byte[], byte[]> r : batch) {
                queue.addLast(new long[] {r.offset(), r.timestamp()});
            }
            if (batch.get(batch.size() - 1).timestampType() == org.apache.kafka.common.record.TimestampType.CREATE_TIME) {
                registry.sawCreateTime(tp.topic());
            }
        }
        return records;
    }

    /** The record at {@code offset} was processed, and every one before it was taken off the input. */
    void seen(TopicPartition tp, long offset) {
        ArrayDeque<long[]> queue = buffered.get(tp);
        while (queue != null && !queue.isEmpty() && queue.peekFirst()[0] <= offset) {
            queue.pollFirst();
        }
        takenAt.put(tp, registry.wallClock());
    }

    /** The record at {@code offset} alone was taken off the input (dead-lettered before it was processed). */
    void skipped(TopicPartition tp, long offset) {
        ArrayDeque<long[]> queue = buffered.get(tp);
        if (queue != null) {
            queue.removeIf(e -> e[0] == offset);
        }
        takenAt.put(tp, registry.wallClock());
    }

    /**
     * The wall-clock time of the latest evidence that the partition is being read: a record taken off it, or, when
     * it is read to its end, the time that end was asked for. {@link InputProgress#UNKNOWN} without either.
     */
    long progressedAt(TopicPartition tp, EndOffsetProbe.End end) {
        long taken = takenAt.getOrDefault(tp, InputProgress.UNKNOWN);
        return caughtUp(tp, end) ? Math.max(taken, end.askedAtMs()) : taken;
    }

    /** Whether every record appended to the partition before {@code end} was asked for has been taken off the input. */
    private boolean caughtUp(TopicPartition tp, EndOffsetProbe.End end) {
        ArrayDeque<long[]> queue = buffered.get(tp);
        if (end == null || (queue != null && !queue.isEmpty())) {
            return false;
        }
        try {
            // No position yet: position() would block to look it up.
            return delegate.currentLag(tp).isPresent() && delegate.position(tp) >= end.offset();
        } catch (IllegalStateException notAssigned) {
            return false;
        }
    }

    /** Records polled from the partition and not taken off the input yet (for tests and diagnosis). */
    int waiting(TopicPartition tp) {
        ArrayDeque<long[]> queue = buffered.get(tp);
        return queue == null ? 0 : queue.size();
    }

    /**
     * A time T such that every record appended to the partition before T has been taken off the input, or
     * {@link InputProgress#UNKNOWN}; never past the wall clock:
     * <ul>
     *   <li>the time {@code end} was asked for, if this consumer is positioned at or past that end offset (the high
     *       watermark: a read_committed consumer gets there only once every transaction open before it has
     *       committed or aborted) and every record it polled from the partition has been taken off the input;</li>
     *   <li>otherwise, if records polled from the partition wait in Kafka Streams' buffer, the timestamp of the first
     *       of them, less 1 ms: on a LogAppendTime topic everything before it in the log was appended earlier, and has
     *       been taken.</li>
     * </ul>
     */
    long readTo(TopicPartition tp, EndOffsetProbe.End end) {
        ArrayDeque<long[]> queue = buffered.get(tp);
        if (queue != null && !queue.isEmpty()) {
            return Math.min(queue.peekFirst()[1] - 1, registry.wallClock());
        }
        // A record appended in the very millisecond asked may not be in the answer.
        return caughtUp(tp, end) ? end.askedAtMs() - 1 : InputProgress.UNKNOWN;
    }

    /**
     * The topic's partition count from the consumer's metadata (cached: an input topic is subscribed, so its metadata
     * is at hand), or -1 if it cannot be had.
     */
    int partitionCount(String topic, boolean fresh) {
        Integer n = fresh ? null : partitionCounts.get(topic);
        if (n == null) {
            try {
                List<PartitionInfo> infos = delegate.partitionsFor(topic, Duration.ofSeconds(5));
                n = infos == null || infos.isEmpty() ? -1 : infos.size();
            } catch (RuntimeException e) {
                n = -1;
            }
            if (n > 0) {
                partitionCounts.put(topic, n);
            }
        }
        return n;
    }

    /** Why {@link #readTo} stops where it does, in words, for a log line or a degraded reason. */
    String why(TopicPartition tp, EndOffsetProbe.End end) {
        ArrayDeque<long[]> queue = buffered.get(tp);
        if (queue != null && !queue.isEmpty()) {
            return queue.size() + " record(s) polled from it from offset " + queue.peekFirst()[0]
                    + " wait in Kafka Streams' buffer";
        }
        if (end == null) {
            return "the brokers have not answered its end offset yet";
        }
        try {
            if (delegate.currentLag(tp).isEmpty()) {
                return "the consumer has no position on it yet";
            }
            long position = delegate.position(tp);
            if (position < end.offset()) {
                return "the consumer is at offset " + position + ", before its end offset " + end.offset()
                        + " (records not read yet, or a transaction still open: a read_committed consumer reads no "
                        + "further until it commits or aborts)";
            }
        } catch (IllegalStateException notAssigned) {
            return "it is not assigned to this stream thread's consumer";
        }
        return "it is read to its end offset " + end.offset() + " as of " + java.time.Instant.ofEpochMilli(end.askedAtMs());
    }

    private void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> {
            buffered.remove(tp);
            takenAt.remove(tp);
        });
    }

    private void forgetFrom(TopicPartition tp, long offset) {
        ArrayDeque<long[]> queue = buffered.get(tp);
        while (queue != null && !queue.isEmpty() && queue.peekLast()[0] >= offset) {
            queue.pollLast();
        }
    }

    /** Kafka Streams' rebalance listener, with the bookkeeping of the partitions that move. */
    private ConsumerRebalanceListener tracked(ConsumerRebalanceListener listener) {
        return new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                try {
                    listener.onPartitionsRevoked(partitions);
                } finally {
                    forget(partitions);
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                forget(partitions); // whatever was left from an earlier time this consumer had them is stale
                partitionCounts.clear(); // partitions added to a topic come with a rebalance: count them again
                registry.assigned(partitions); // a partition added to an input topic gets asked for its end offset
                listener.onPartitionsAssigned(partitions);
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                try {
                    listener.onPartitionsLost(partitions);
                } finally {
                    forget(partitions);
                }
            }
        };
    }

    @Override
    public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
        delegate.subscribe(topics, tracked(listener));
    }

    @Override
    public void subscribe(Collection<String> topics) {
        delegate.subscribe(topics, tracked(NO_LISTENER));
    }

    @Override
    public void subscribe(Pattern pattern, ConsumerRebalanceListener listener) {
        delegate.subscribe(pattern, tracked(listener));
    }

    @Override
    public void subscribe(Pattern pattern) {
        subscribe(pattern, NO_LISTENER);
    }

    @Override
    public void subscribe(SubscriptionPattern pattern, ConsumerRebalanceListener listener) {
        delegate.subscribe(pattern, tracked(listener));
    }

    @Override
    public void subscribe(SubscriptionPattern pattern) {
        subscribe(pattern, NO_LISTENER);
    }

    @Override
    public void assign(Collection<TopicPartition> partitions) {
        buffered.keySet().retainAll(Set.copyOf(partitions));
        takenAt.keySet().retainAll(Set.copyOf(partitions));
        delegate.assign(partitions);
    }

    @Override
    public void unsubscribe() {
        try {
            delegate.unsubscribe(); // calls the rebalance listener for what it owned
        } finally {
            buffered.clear();
            takenAt.clear();
        }
    }

    @Override
    public void seek(TopicPartition partition, long offset) {
        delegate.seek(partition, offset);
        forgetFrom(partition, offset);
    }

    @Override
    public void seek(TopicPartition partition, OffsetAndMetadata offsetAndMetadata) {
        delegate.seek(partition, offsetAndMetadata);
        forgetFrom(partition, offsetAndMetadata.offset());
    }

    /**
     * Where the position goes is known only at the next poll: the entries stay. Records polled again from the
     * beginning replace them; ones Kafka Streams still holds are taken off as it processes them.
     */
    @Override
    public void seekToBeginning(Collection<TopicPartition> partitions) {
        delegate.seekToBeginning(partitions);
    }

    @Override
    public void seekToEnd(Collection<TopicPartition> partitions) {
        delegate.seekToEnd(partitions);
    }

    @Override
    public void close(Duration timeout) {
        registry.unregister(this);
        delegate.close(timeout);
    }

    @Override
    public void close() {
        registry.unregister(this);
        delegate.close();
    }

    @Override
    public void close(CloseOptions option) {
        registry.unregister(this);
        delegate.close(option);
    }

    // Everything else is Kafka's consumer as it is.

    @Override
    public Set<TopicPartition> assignment() {
        return delegate.assignment();
    }

    @Override
    public Set<String> subscription() {
        return delegate.subscription();
    }

    @Override
    public void commitSync() {
        delegate.commitSync();
    }

    @Override
    public void commitSync(Duration timeout) {
        delegate.commitSync(timeout);
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        delegate.commitSync(offsets);
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
        delegate.commitSync(offsets, timeout);
    }

    @Override
    public void commitAsync() {
        delegate.commitAsync();
    }

    @Override
    public void commitAsync(OffsetCommitCallback callback) {
        delegate.commitAsync(callback);
    }

    @Override
    public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
        delegate.commitAsync(offsets, callback);
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        delegate.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        delegate.unregisterMetricFromSubscription(metric);
    }

    @Override
    public long position(TopicPartition partition) {
        return delegate.position(partition);
    }

    @Override
    public long position(TopicPartition partition, Duration timeout) {
        return delegate.position(partition, timeout);
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
        return delegate.committed(partitions);
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions, Duration timeout) {
        return delegate.committed(partitions, timeout);
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return delegate.clientInstanceId(timeout);
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return delegate.metrics();
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return delegate.partitionsFor(topic);
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
        return delegate.partitionsFor(topic, timeout);
    }

    @Override
    public Map<String, List<PartitionInfo>> listTopics() {
        return delegate.listTopics();
    }

    @Override
    public Map<String, List<PartitionInfo>> listTopics(Duration timeout) {
        return delegate.listTopics(timeout);
    }

    @Override
    public Set<TopicPartition> paused() {
        return delegate.paused();
    }

    @Override
    public void pause(Collection<TopicPartition> partitions) {
        delegate.pause(partitions);
    }

    @Override
    public void resume(Collection<TopicPartition> partitions) {
        delegate.resume(partitions);
    }

    @Override
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestampsToSearch) {
        return delegate.offsetsForTimes(timestampsToSearch);
    }

    @Override
    public Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> timestampsToSearch,
                                                                   Duration timeout) {
        return delegate.offsetsForTimes(timestampsToSearch, timeout);
    }

    @Override
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
        return delegate.beginningOffsets(partitions);
    }

    @Override
    public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions, Duration timeout) {
        return delegate.beginningOffsets(partitions, timeout);
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
        return delegate.endOffsets(partitions);
    }

    @Override
    public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
        return delegate.endOffsets(partitions, timeout);
    }

    @Override
    public OptionalLong currentLag(TopicPartition topicPartition) {
        return delegate.currentLag(topicPartition);
    }

    @Override
    public ConsumerGroupMetadata groupMetadata() {
        return delegate.groupMetadata();
    }

    @Override
    public void enforceRebalance() {
        delegate.enforceRebalance();
    }

    @Override
    public void enforceRebalance(String reason) {
        delegate.enforceRebalance(reason);
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }
}
