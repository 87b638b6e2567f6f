package io.latefuse.topology;

import io.latefuse.avro.ModalityScore;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Stream time follows each score's {@code event_time}, so the {@code event} deadline clock fires as event time
 * passes. A record without a usable event_time keeps its Kafka timestamp, so it still reaches the processor
 * (and, if invalid, the dead-letter topic) instead of being skipped.
 */
public final class EventTimeExtractor implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.value() instanceof ModalityScore s && s.getEventTime() != null && s.getEventTime().toEpochMilli() >= 0) {
            return s.getEventTime().toEpochMilli();
        }
        return record.timestamp() >= 0 ? record.timestamp() : Math.max(partitionTime, 0);
    }
}
