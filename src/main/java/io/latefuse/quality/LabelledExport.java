package io.latefuse.quality;

import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.TopicPreflight;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Copies {@code LabelledModalityScore} records from a topic (the quality app's {@code labelled.topic}) into the Avro
 * data file that {@code train}, {@code evaluate} and {@code calibrate} read. Reads every partition from the start, as
 * committed (read_committed), with no consumer group; stops after {@code maxRecords} or once no record came for
 * {@code idle}, so it always ends.
 */
public final class LabelledExport {
    /** What was written, and what was left out because it did not decode. */
    public record Result(long written, long undecodable) {}

    private LabelledExport() {}

    /**
     * @param kafka consumer properties: the bootstrap servers and any security settings
     */
    public static Result run(Properties kafka, SchemaRegistry registry, String topic, Path out, long maxRecords,
                             Duration idle, Clock clock) throws IOException {
        Properties props = new Properties();
        props.putAll(kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        AvroDeserializer<LabelledModalityScore> avro = AvroDeserializer.specific(LabelledModalityScore.class, registry);
        long written = 0;
        long undecodable = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer());
             DataFileWriter<LabelledModalityScore> file = new DataFileWriter<>(
                     new SpecificDatumWriter<>(LabelledModalityScore.class))) {
            Map<String, List<PartitionInfo>> topics = consumer.listTopics(Duration.ofSeconds(30));
            List<PartitionInfo> partitions = topics.get(topic);
            if (partitions == null || partitions.isEmpty()) {
                throw new TopicPreflight.TopicCheckException("Missing topic: " + topic + " (export --from-topic); it "
                        + "is the config's labelled.topic, which latefuse quality writes");
            }
            List<TopicPartition> assigned = partitions.stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            file.create(LabelledModalityScore.getClassSchema(), out.toFile());
            long lastRecord = clock.millis();
            while (written < maxRecords && clock.millis() - lastRecord < idle.toMillis()) {
                long left = Math.max(1, idle.toMillis() - (clock.millis() - lastRecord));
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(Math.min(500, left)))) {
                    lastRecord = clock.millis();
                    if (written >= maxRecords) {
                        break;
                    }
                    try {
                        file.append(avro.deserialize(r.topic(), r.value()));
                        written++;
                    } catch (RuntimeException e) {
                        undecodable++;
                    }
                }
            }
        }
        return new Result(written, undecodable);
    }
}
