package io.latefuse.progress;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.streams.KafkaClientSupplier;
import org.apache.kafka.streams.processor.internals.DefaultKafkaClientSupplier;

import java.util.Map;

/**
 * Kafka Streams' own clients, except that each stream thread's main consumer is a {@link TrackingConsumer}, so that
 * the fusion processor can tell whether its input is read to the end.
 */
public final class TrackingClientSupplier implements KafkaClientSupplier {
    private final KafkaClientSupplier defaults = new DefaultKafkaClientSupplier();
    private final ConsumerRegistry registry = new ConsumerRegistry();

    public ConsumerRegistry progress() {
        return registry;
    }

    @Override
    public Admin getAdmin(Map<String, Object> config) {
        return defaults.getAdmin(config);
    }

    @Override
    public Producer<byte[], byte[]> getProducer(Map<String, Object> config) {
        return defaults.getProducer(config);
    }

    @Override
    public Consumer<byte[], byte[]> getConsumer(Map<String, Object> config) {
        return new TrackingConsumer(new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer()),
                registry);
    }

    @Override
    public Consumer<byte[], byte[]> getRestoreConsumer(Map<String, Object> config) {
        return defaults.getRestoreConsumer(config);
    }

    @Override
    public Consumer<byte[], byte[]> getGlobalConsumer(Map<String, Object> config) {
        return defaults.getGlobalConsumer(config);
    }
}
