package io.latefuse.quality;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.GroundTruth;
import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.RegistryConfigs;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The quality app ({@code latefuse quality}): a Kafka Streams application of its own,
 * {@code <application.id>-quality}, beside the fusion app. It reads the fusion app's output topic like any consumer,
 * and nothing of the fusion app's state: a week of labels in waiting costs the serving path nothing.
 */
public final class QualityApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QualityApp.class);

    private final PipelineConfig config;
    private final SchemaRegistry registry;
    private final Topology topology;
    private final KafkaStreams streams;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param telemetry where the quality meters go
     * @param deadLetters where the dead-letter counter ({@code latefuse_dead_letters_total{reason}}) goes
     */
    public QualityApp(PipelineConfig config, QualityTelemetry telemetry, FusionTelemetry deadLetters) {
        if (config.quality() == null) {
            throw new IllegalArgumentException("latefuse quality needs labels.topic in the config");
        }
        this.config = config;
        RegistryConfig registryConfig = RegistryConfigs.of(config);
        this.registry = SchemaRegistry.connect(registryConfig);
        QualityTopology.TopicSerdes serdes = new QualityTopology.TopicSerdes(
                AvroSerdes.specific(FusedPrediction.class, registry, registryConfig),
                AvroSerdes.specific(GroundTruth.class, registry, registryConfig),
                AvroSerdes.specific(ModalityScore.class, registry, registryConfig),
                AvroSerdes.specific(FusionQuality.class, registry, registryConfig),
                AvroSerdes.specific(LabelledModalityScore.class, registry, registryConfig));
        deadLetters.registerAtZero(List.of(), List.of(), List.of(DeadLetterReason.DESERIALIZATION.code(),
                DeadLetterReason.UNKNOWN_CLASS.code(), DeadLetterReason.KEY_MISMATCH.code(),
                DeadLetterReason.MISSING_VALUE.code(), DeadLetterReason.UNKNOWN_MODALITY.code(),
                DeadLetterReason.WRONG_PARTITION.code()));
        this.topology = QualityTopology.build(config, serdes, telemetry, new LabelsPartitions(config));
        Properties props = properties(config);
        props.put(FusionTelemetry.CONFIG_KEY, deadLetters); // reaches the dead-letter handlers' configure()
        this.streams = new KafkaStreams(topology, props);
        StreamsLifecycle.install(streams, "quality", config, () -> { });
    }

    /** The quality app's Kafka Streams properties: the pipeline's, under {@code <application.id>-quality}. */
    public static Properties properties(PipelineConfig config) {
        return StreamsProperties.of(config, QualityTopology.applicationId(config));
    }

    public KafkaStreams streams() {
        return streams;
    }

    public Topology topology() {
        return topology;
    }

    public void start() {
        PipelineConfig.Quality q = config.quality();
        log.info("Starting latefuse quality '{}': {} and labels {} -> {} every {} over {}{}",
                QualityTopology.applicationId(config), config.outputTopic(), q.labelsTopic(), q.qualityTopic(),
                io.latefuse.config.Durations.format(q.interval()), io.latefuse.config.Durations.format(q.window()),
                q.exportsLabelled() ? ", labelled scores -> " + q.labelledTopic() : "");
        streams.start();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        StreamsLifecycle.close(streams, config);
        registry.close();
    }

    /** The labels topic's partition count, asked of the brokers once and again when asked afresh; 0 if unknown. */
    private static final class LabelsPartitions implements io.latefuse.streams.KeyPartitions.Count {
        private final PipelineConfig config;
        private volatile int count;
        /** When the brokers were last asked: a stream of misplaced labels asks again at most every 30 s. */
        private volatile long askedAt = Long.MIN_VALUE / 2;

        LabelsPartitions(PipelineConfig config) {
            this.config = config;
        }

        @Override
        public int of(boolean fresh) {
            long now = System.currentTimeMillis();
            if (count > 0 && (!fresh || now - askedAt < 30_000)) {
                return count;
            }
            askedAt = now;
            String topic = config.quality().labelsTopic();
            try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                    io.latefuse.streams.StreamsProperties.of(config))) {
                count = admin.describeTopics(List.of(topic)).allTopicNames().get(10, java.util.concurrent.TimeUnit.SECONDS)
                        .get(topic).partitions().size();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                org.slf4j.LoggerFactory.getLogger(QualityApp.class).warn("Cannot count the partitions of {} ({}): its "
                        + "labels' partitions are not checked until it can", topic, e.getMessage());
            }
            return count;
        }
    }
}
