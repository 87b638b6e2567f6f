package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.FusionLevel;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.progress.ConsumerRegistry;
import io.latefuse.progress.EndOffsetProbe;
import io.latefuse.progress.TrackingClientSupplier;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.RegistryConfigs;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    private final EndOffsetProbe endOffsets;
    private final io.latefuse.streams.StaleLocalState staleState;
    private final io.latefuse.health.ModalityHealth health;

    public FusionApp(PipelineConfig config, Map<String, String> extraStreamsProps) {
        this(config, extraStreamsProps, FusionTelemetry.noop());
    }

    /** {@code modality.health}'s judgement of each modality on this instance. */
    public io.latefuse.health.ModalityHealth health() {
        return health;
    }

    /** @param telemetry where latefuse's own meters go */
    public FusionApp(PipelineConfig config, Map<String, String> extraStreamsProps, FusionTelemetry telemetry) {
        this.config = config;
        telemetry.registerAtZero(java.util.Arrays.stream(io.latefuse.avro.PredictionStatus.values()).map(Enum::name).toList(),
                config.modalityNames(), java.util.Arrays.stream(DeadLetterReason.values()).map(DeadLetterReason::code).toList());
        RegistryConfig registryConfig = RegistryConfigs.of(config);
        this.registry = SchemaRegistry.connect(registryConfig);
        this.strategy = FusionStrategies.create(config);
        Serde<ModalityScore> scores = AvroSerdes.specific(ModalityScore.class, registry, registryConfig);
        Serde<FusedPrediction> predictions = AvroSerdes.specific(FusedPrediction.class, registry, registryConfig);
        // Each stream thread's consumer tells the processors how far their input is read (the input deadline clock).
        TrackingClientSupplier clients = new TrackingClientSupplier();
        Serde<ModalityFeatures> features = config.fusionLevel() == FusionLevel.EARLY
                ? AvroSerdes.specific(ModalityFeatures.class, registry, registryConfig) : null;
        this.health = io.latefuse.health.ModalityHealth.of(config, telemetry.registry());
        this.topology = FusionTopology.build(config, strategy, scores, features, predictions, telemetry, clients.progress(),
                health);
        Properties props = StreamsProperties.of(config);
        props.putAll(extraStreamsProps);
        props.put(FusionTelemetry.CONFIG_KEY, telemetry); // reaches the dead-letter handlers' configure()
        props.put(ConsumerRegistry.CONFIG_KEY, clients.progress()); // and the deserialization handler's
        // Before Kafka Streams opens the state directory: local state too old for the changelogs' tombstones goes.
        StreamsConfig stateConfig = new StreamsConfig(props);
        this.staleState = io.latefuse.streams.StaleLocalState.guard(
                java.nio.file.Path.of(stateConfig.getString(StreamsConfig.STATE_DIR_CONFIG), config.applicationId()),
                ChangelogTopics.tombstoneRetention(props).dividedBy(2), java.time.Clock.systemUTC());
        this.streams = new KafkaStreams(topology, props, clients); // the guard has no thread until start()
        StreamsLifecycle.install(streams, "fusion", config, () -> { });
        // Restored records per store, on /metrics and in the log; the counters show at 0 before any restore.
        for (String store : java.util.List.of(FusionTopology.PENDING_STORE, FusionTopology.EMITTED_STORE)) {
            telemetry.restored(store, 0);
        }
        streams.setGlobalStateRestoreListener(new io.latefuse.streams.RestoreLog(telemetry));
        if (config.deadlineClock() == PipelineConfig.DeadlineClock.INPUT) {
            // The end offsets a consumer's position is held against: asked of the brokers twice per punctuation
            // interval. Their age adds to a degraded emission's delay, so keep it under the interval.
            StreamsConfig streamsConfig = new StreamsConfig(props);
            this.endOffsets = new EndOffsetProbe(Admin.create(streamsConfig.getAdminConfigs(config.applicationId() + "-end-offsets")),
                    config.inputTopics(), java.time.Duration.ofMillis(Math.max(10, config.punctuationInterval().toMillis() / 2)));
            clients.progress().endOffsets(endOffsets);
        } else {
            this.endOffsets = null;
        }
    }

    public KafkaStreams streams() {
        return streams;
    }

    public Topology topology() {
        return topology;
    }

    public void start() {
        log.info("Starting latefuse '{}': {} modalities {} -> {}, {} fusion, strategy {}, max.wait {}, clock {}",
                config.applicationId(), config.numModalities(), config.inputTopics(), config.outputTopic(),
                config.fusionLevel().code(), strategy.name(), io.latefuse.config.Durations.format(config.maxWait()),
                config.deadlineClock().name().toLowerCase());
        if (endOffsets != null) {
            endOffsets.start();
        }
        // What the guard records as up to date: the tasks held while RUNNING (restored, and following changelogs).
        staleState.follow(() -> streams.state() != KafkaStreams.State.RUNNING ? java.util.Optional.empty()
                : java.util.Optional.of(streams.metadataForLocalThreads().stream()
                        .flatMap(t -> java.util.stream.Stream.concat(t.activeTasks().stream(), t.standbyTasks().stream()))
                        .map(task -> task.taskId().toString())
                        .collect(java.util.stream.Collectors.toSet())));
        streams.start();
    }

    /** Closes the app: see {@link StreamsLifecycle#close(KafkaStreams, PipelineConfig)}. */
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            staleState.record(); // up to date as of now, if RUNNING; a clean close only adds to that
            StreamsLifecycle.close(streams, config);
        } finally {
            staleState.close();
        }
        if (endOffsets != null) {
            endOffsets.close();
        }
        strategy.close();
        registry.close();
    }
}
