package io.latefuse.progress;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A stream thread's main consumer that also knows which of the records it returned are still waiting in Kafka
 * Streams' buffers. With its position and an end offset the brokers gave at a known time ({@link EndOffsetProbe}),
 * that says whether a partition was read to its end as of that time. Everything but {@link #poll} runs on the stream
 * thread between polls, as Kafka's consumer requires.
 */
public final class TrackingConsumer extends KafkaConsumer<byte[], byte[]> {
    private final ConsumerRegistry registry;
    /** Per partition: what poll returned that was not taken off the input yet, as (offset, timestamp), in order. */
    private final Map<TopicPartition, ArrayDeque<long[]>> buffered = new HashMap<>();
    private Thread owner;

    TrackingConsumer(Map<String, Object> config, ConsumerRegistry registry) {
        super(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.registry = registry;
    }

    @Override
    public ConsumerRecords<byte[], byte[]> poll(Duration timeout) {
        if (owner != Thread.currentThread()) {
            owner = Thread.currentThread();
            registry.register(owner, this);
        }
        ConsumerRecords<byte[], byte[]> records = super.poll(timeout);
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> batch = records.records(tp);
            ArrayDeque<long[]> queue = buffered.computeIfAbsent(tp, k -> new ArrayDeque<>());
            long first = batch.get(0).offset();
            while (!queue.isEmpty() && queue.peekLast()[0] >= first) {
                queue.pollLast(); // read again after a seek back (a revived task): Kafka Streams dropped those
            }
            for (ConsumerRecord<byte[], byte[]> r : batch) {
                queue.addLast(new long[] {r.offset(), r.timestamp()});
            }
        }
        return records;
    }

    void seen(TopicPartition tp, long offset) {
        ArrayDeque<long[]> queue = buffered.get(tp);
        while (queue != null && !queue.isEmpty() && queue.peekFirst()[0] <= offset) {
            queue.pollFirst();
        }
    }

    /**
     * A time T such that every record appended to the partition before T has been taken off the input, or
     * {@link InputProgress#UNKNOWN}:
     * <ul>
     *   <li>the time {@code end} was asked for, if this consumer is positioned at or past that end offset and every
     *       record it polled from the partition has been taken off the input (read to the end);</li>
     *   <li>otherwise, if records polled from the partition wait in Kafka Streams' buffer, the timestamp of the first
     *       of them, less 1 ms: on a LogAppendTime topic everything before it in the log was appended earlier, and has
     *       been taken.</li>
     * </ul>
     */
    long readTo(TopicPartition tp, EndOffsetProbe.End end) {
        ArrayDeque<long[]> queue = buffered.get(tp);
        if (queue != null && !queue.isEmpty()) {
            return queue.peekFirst()[1] - 1;
        }
        if (end == null) {
            return InputProgress.UNKNOWN;
        }
        try {
            if (currentLag(tp).isEmpty()) {
                return InputProgress.UNKNOWN; // no position yet: position() would block to look it up
            }
            if (position(tp) < end.offset()) {
                return InputProgress.UNKNOWN;
            }
        } catch (IllegalStateException notAssigned) {
            return InputProgress.UNKNOWN;
        }
        return end.askedAtMs() - 1; // a record appended in the very millisecond asked may not be in the answer
    }

    @Override
    public void close(Duration timeout) {
        registry.unregister(this);
        super.close(timeout);
    }

    @Override
    public void close() {
        registry.unregister(this);
        super.close();
    }
}
