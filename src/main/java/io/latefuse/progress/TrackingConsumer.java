package io.latefuse.progress;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
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
    /** Per partition: the offset of the last record returned by poll, and of the last record taken off the input. */
    private final Map<TopicPartition, long[]> offsets = new HashMap<>();
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
            long[] o = offsets.computeIfAbsent(tp, k -> new long[] {-1, -1});
            long first = batch.get(0).offset();
            if (first <= o[1]) {
                o[1] = first - 1; // read again after a seek back (a revived task): what follows is not taken yet
            }
            o[0] = batch.get(batch.size() - 1).offset();
        }
        return records;
    }

    void seen(TopicPartition tp, long offset) {
        offsets.computeIfAbsent(tp, k -> new long[] {-1, -1})[1] = offset;
    }

    /**
     * When the partition was last known to be read to its end: the time {@code end} was asked for, if this consumer
     * is positioned at or past that end offset and every record it polled from the partition has been taken off the
     * input; otherwise {@link InputProgress#NOT_CAUGHT_UP}.
     */
    long caughtUpAsOf(TopicPartition tp, EndOffsetProbe.End end) {
        if (end == null) {
            return InputProgress.NOT_CAUGHT_UP;
        }
        try {
            if (currentLag(tp).isEmpty()) {
                return InputProgress.NOT_CAUGHT_UP; // no position yet: position() would block to look it up
            }
            if (position(tp) < end.offset()) {
                return InputProgress.NOT_CAUGHT_UP;
            }
        } catch (IllegalStateException notAssigned) {
            return InputProgress.NOT_CAUGHT_UP;
        }
        long[] o = offsets.get(tp);
        if (o != null && o[0] > o[1]) {
            return InputProgress.NOT_CAUGHT_UP; // polled, still buffered in Kafka Streams
        }
        return end.askedAtMs();
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
