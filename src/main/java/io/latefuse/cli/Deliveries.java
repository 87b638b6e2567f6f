package io.latefuse.cli;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What became of the records given to a producer, from its send callbacks: sent, acknowledged by the broker, or
 * failed. The producer retries a retriable error itself, until {@code delivery.timeout.ms}; a send whose callback
 * still reports an exception is failed for good, as is one the producer refuses at once (a record it cannot
 * serialize, say). The first failure is kept, with its topic, and {@link #failed()} tells a sender to stop: the
 * records already in flight still complete, and are counted, once the producer is flushed.
 */
public final class Deliveries {
    /** The first failed send: its topic, and why. */
    public record Failure(String topic, Exception cause) {
        /** The cause as one line: its type and message. */
        public String describe() {
            String message = cause.getMessage();
            return cause.getClass().getSimpleName() + (message == null || message.isBlank() ? ""
                    : ": " + message.strip().replaceAll("\\s*\\R\\s*", " "));
        }
    }

    /**
     * The counts after a flush.
     *
     * @param sent         records given to the producer
     * @param acknowledged records the broker acknowledged
     * @param failed       records that failed
     * @param failure      the first failure, or null
     */
    public record Counts(long sent, long acknowledged, long failed, Failure failure) {
        /** Sent, and neither acknowledged nor failed: none once a producer has flushed. */
        public long unconfirmed() {
            return sent - acknowledged - failed;
        }

        /** Every record sent was acknowledged. */
        public boolean allAcknowledged() {
            return failure == null && acknowledged == sent;
        }
    }

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Failure> first = new AtomicReference<>();

    /** Sends {@code record}, counting what becomes of it. */
    public <K, V> void send(Producer<K, V> producer, ProducerRecord<K, V> record) {
        sent.incrementAndGet();
        AtomicBoolean done = new AtomicBoolean(); // a send refused at once may also have called back
        Callback callback = (RecordMetadata metadata, Exception e) -> {
            if (done.compareAndSet(false, true)) {
                if (e == null) {
                    acknowledged.incrementAndGet();
                } else {
                    fail(record.topic(), e);
                }
            }
        };
        try {
            producer.send(record, callback);
        } catch (InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            callback.onCompletion(null, e);
        }
    }

    private void fail(String topic, Exception e) {
        failed.incrementAndGet();
        first.compareAndSet(null, new Failure(topic, e));
    }

    /** A send has failed: send no more. */
    public boolean failed() {
        return first.get() != null;
    }

    public Counts counts() {
        return new Counts(sent.get(), acknowledged.get(), failed.get(), first.get());
    }
}
