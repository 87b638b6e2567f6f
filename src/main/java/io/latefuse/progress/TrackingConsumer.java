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
import java.util.OptionalLong;

/**
 * A stream thread's main consumer that also knows which of the records it returned are still waiting in Kafka
 * Streams' buffers. With the consumer's own lag (against the high watermark, or the last stable offset under
 * read_committed), that says whether a partition is read to its end. Everything but {@link #poll} runs on the stream
 * thread between polls, as Kafka's consumer requires.
 */
public final class TrackingConsumer extends KafkaConsumer<byte[], byte[]> {
    /** A fetch round trip allowed for, so that "caught up as of" never claims a record the broker had just appended. */
    static final long FETCH_ROUND_TRIP_MS = 20;
    private final ConsumerRegistry registry;
    /** Per partition: the offset of the last record returned by poll, and of the last record taken off the input. */
    private final Map<TopicPartition, long[]> offsets = new HashMap<>();
    private Thread owner;
    private long lastPollMs = InputProgress.NOT_CAUGHT_UP;

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
        long started = System.currentTimeMillis();
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
        // A lag of 0 is as fresh as the fetch response it came from. One received before this poll began was sent
        // by the broker a round trip earlier; one received during it came with whatever it held.
        lastPollMs = started - FETCH_ROUND_TRIP_MS;
        return records;
    }

    void seen(TopicPartition tp, long offset) {
        offsets.computeIfAbsent(tp, k -> new long[] {-1, -1})[1] = offset;
    }

    /**
     * Shortly before the last poll began, if the partition then had no lag and every record polled from it has been
     * taken off the input; otherwise {@link InputProgress#NOT_CAUGHT_UP}.
     */
    long caughtUpAsOf(TopicPartition tp) {
        OptionalLong lag;
        try {
            lag = currentLag(tp);
        } catch (IllegalStateException notAssigned) {
            return InputProgress.NOT_CAUGHT_UP;
        }
        if (lag.isEmpty() || lag.getAsLong() > 0) {
            return InputProgress.NOT_CAUGHT_UP;
        }
        long[] o = offsets.get(tp);
        if (o != null && o[0] > o[1]) {
            return InputProgress.NOT_CAUGHT_UP; // polled, still buffered in Kafka Streams
        }
        return lastPollMs;
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
