package io.latefuse.flink;

import io.latefuse.avro.ModalityScore;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Scores in the Confluent wire format, read with latefuse's own registry client and deserializer, as latefuse
 * reads them. A record that does not decode fails the job, naming its topic, partition and offset (latefuse
 * dead-letters it; the bench sends none).
 */
final class ScoreRecords implements KafkaRecordDeserializationSchema<ModalityScore> {
    private static final long serialVersionUID = 1L;
    private final java.util.HashMap<String, Object> registry;
    private transient AvroDeserializer<ModalityScore> values;

    ScoreRecords(java.util.Map<String, ?> registry) {
        this.registry = new java.util.HashMap<>(registry);
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        values = AvroDeserializer.specific(ModalityScore.class, SchemaRegistry.connect(RegistryConfig.fromMap(registry)));
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ModalityScore> out) {
        try {
            out.collect(values.deserialize(record.topic(), record.value()));
        } catch (RuntimeException e) {
            throw new IllegalStateException("the score at " + record.topic() + "-" + record.partition() + "@"
                    + record.offset() + " does not decode: " + e.getMessage(), e);
        }
    }

    @Override
    public TypeInformation<ModalityScore> getProducedType() {
        return new AvroTypeInfo<>(ModalityScore.class);
    }
}
