package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Wires a {@link PipelineConfig} into a runnable Kafka Streams application. */
public final class FusionApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FusionApp.class);

    private final PipelineConfig config;
    private final SchemaRegistry registry;
    private final FusionStrategy strategy;
    private final Topology topology;
    private final KafkaStreams streams;

    public FusionApp(PipelineConfig config, Map<String, String> extraStreamsProps) {
        this.config = config;
        RegistryConfig registryConfig = registryConfig(config);
        this.registry = SchemaRegistry.connect(registryConfig);
        this.strategy = FusionStrategies.create(config);
        Serde<ModalityScore> scores = AvroSerdes.specific(ModalityScore.class, registry, registryConfig);
        Serde<FusedPrediction> predictions = AvroSerdes.specific(FusedPrediction.class, registry, registryConfig);
        this.topology = FusionTopology.build(config, strategy, scores, predictions);
        Properties props = streamsProperties(config);
        props.putAll(extraStreamsProps);
        this.streams = new KafkaStreams(topology, props);
        streams.setStateListener((now, before) -> log.info("Kafka Streams state {} -> {}", before, now));
        // A failing stream thread is replaced rather than ending the app; its tasks restore from changelogs.
        streams.setUncaughtExceptionHandler(e -> {
            log.error("Stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    public static RegistryConfig registryConfig(PipelineConfig config) {
        Map<String, Object> m = new HashMap<>(config.kafka());
        m.putAll(config.registry());
        return RegistryConfig.fromMap(m);
    }

    /** The Kafka Streams properties for {@code config}: latefuse's own keys, over the Kafka pass-through. */
    public static Properties streamsProperties(PipelineConfig config) {
        Properties p = new Properties();
        p.putAll(config.kafka());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.processingGuarantee());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        if (config.commitInterval() != null) {
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitInterval().toMillis());
        }
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.deadLetterTopic());
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class);
        p.put("processing.exception.handler.global.enabled", true);
        return p;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public Topology topology() {
        return topology;
    }

    public void start() {
        log.info("Starting latefuse '{}': {} modalities {} -> {}, strategy {}, max.wait {}, clock {}",
                config.applicationId(), config.numModalities(), config.scoreTopics(), config.outputTopic(),
                strategy.name(), config.maxWait(), config.deadlineClock().name().toLowerCase());
        streams.start();
    }

    /** Closes and leaves the consumer group, so that the remaining instances rebalance at once. */
    @Override
    public void close() {
        streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(java.time.Duration.ofSeconds(30)));
        strategy.close();
        registry.close();
    }
}
