package io.latefuse.topology;

import io.latefuse.streams.EventTimeBound;
import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

import java.time.Duration;

/**
 * Stream time follows each score's (or, under early fusion, features record's) {@code event_time}, so the {@code event} deadline clock fires as event time
 * passes. An event_time outside {@link EventTimeBound} never becomes a timestamp: such a record keeps its Kafka
 * timestamp, which the broker already accepted, so it neither moves stream time nor makes its dead letter (which
 * carries the record's timestamp) unwritable. The processor then dead-letters it as {@code out_of_range}.
 */
public final class EventTimeExtractor implements TimestampExtractor {
    private final EventTimeBound bound;

    public EventTimeExtractor(Duration maxFuture) {
        this.bound = new EventTimeBound(maxFuture);
    }

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        java.time.Instant eventTime = record.value() instanceof ModalityScore s ? s.getEventTime()
                : record.value() instanceof ModalityFeatures f ? f.getEventTime() : null;
        if (eventTime != null && bound.accepts(eventTime.toEpochMilli(), System.currentTimeMillis())) {
            return eventTime.toEpochMilli();
        }
        return record.timestamp() >= 0 ? record.timestamp() : Math.max(partitionTime, 0);
    }
}
