package io.latefuse.flink;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/** Predictions keyed by event id, in the Confluent wire format, written with latefuse's own serializer. */
final class PredictionRecords implements KafkaRecordSerializationSchema<FusedPrediction> {
    private static final long serialVersionUID = 1L;
    private final java.util.HashMap<String, Object> registry;
    private final String topic;
    private transient AvroSerializer<FusedPrediction> values;

    PredictionRecords(java.util.Map<String, ?> registry, String topic) {
        this.registry = new java.util.HashMap<>(registry);
        this.topic = topic;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        RegistryConfig config = RegistryConfig.fromMap(registry);
        values = new AvroSerializer<>(SchemaRegistry.connect(config), config, false);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(FusedPrediction p, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, p.getEventId().getBytes(StandardCharsets.UTF_8), values.serialize(topic, p));
    }
}
