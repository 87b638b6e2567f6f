package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.FusionLevel;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.progress.InputProgress;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.streams.VersionedStateSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowStore;

import java.time.Duration;

/**
 * Builds the fusion topology from the config: one source per modality topic, the fusion processor with its three
 * stores, and the output sink. A pure function of its inputs, so tests and production build the same thing.
 * Every node and store has a stable name; renaming one changes the changelog topics and loses state.
 */
public final class FusionTopology {
    public static final String PROCESSOR = "fuse";
    public static final String SINK = "fused-sink";
    /** Scores the processor dead-letters from its own state: the events whose fusion failed. */
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";
    /** Event id to what has arrived and its deadline: changelogged. */
    public static final String PENDING_STORE = "pending";
    /**
     * (deadline, event id) for every pending event, time-ordered. Derived from {@code pending}, so not changelogged:
     * each task rebuilds it from {@code pending} when it starts.
     */
    public static final String DEADLINE_INDEX_STORE = "deadline-index";
    /**
     * Emitted events, for late arrivals: a window store keyed by event id at the time of emission, kept for
     * {@code late.retention}. Old entries go a whole segment at a time, with no per-event timer or tombstone.
     */
    public static final String EMITTED_STORE = "emitted";
    /**
     * Emitted events as state formats 0 and 1 kept them (a key-value store with a timer each). Read once when a task
     * starts, moved into {@code emitted}, and emptied; declared only so that an upgraded app restores it.
     */
    public static final String LEGACY_FINISHED_STORE = "finished";

    private FusionTopology() {}

    /** Early fusion's node that turns features into arrivals of the join. */
    public static final String FEATURES_ARRIVALS = "features-as-arrivals";

    public static String sourceName(String modality) {
        return "scores-" + modality;
    }

    public static String featuresSourceName(String modality) {
        return "features-" + modality;
    }

    /** A late, intermediate or hybrid pipeline: it reads scores. */
    public static Topology build(PipelineConfig config, FusionStrategy strategy, Serde<ModalityScore> scoreSerde,
                                 Serde<FusedPrediction> predictionSerde, FusionTelemetry telemetry,
                                 InputProgress progress) {
        return build(config, strategy, scoreSerde, null, predictionSerde, telemetry, progress);
    }

    /**
     * @param progress how far the input has been read, for the {@code input} deadline clock: a
     *                 {@link io.latefuse.progress.TrackingClientSupplier}'s in an app; tests give a scripted one
     *                 on a TopologyTestDriver
     * @param featuresSerde under {@code fusion.level: early}, the features topics' serde; otherwise unused (null)
     */
    public static Topology build(PipelineConfig config, FusionStrategy strategy, Serde<ModalityScore> scoreSerde,
                                 Serde<ModalityFeatures> featuresSerde, Serde<FusedPrediction> predictionSerde,
                                 FusionTelemetry telemetry, InputProgress progress) {
        return build(config, strategy, scoreSerde, featuresSerde, predictionSerde, telemetry, progress,
                io.latefuse.health.ModalityHealth.of(config, telemetry.registry()));
    }

    /** @param health {@code modality.health}'s judgement, shared by every task of the instance */
    public static Topology build(PipelineConfig config, FusionStrategy strategy, Serde<ModalityScore> scoreSerde,
                                 Serde<ModalityFeatures> featuresSerde, Serde<FusedPrediction> predictionSerde,
                                 FusionTelemetry telemetry, InputProgress progress,
                                 io.latefuse.health.ModalityHealth health) {
        boolean early = config.fusionLevel() == FusionLevel.EARLY;
        if (early && featuresSerde == null) {
            throw new IllegalArgumentException("fusion.level early reads ModalityFeatures: give the features serde");
        }
        // The topology reads its own settings from the same properties the app runs with.
        java.util.Properties properties = StreamsProperties.of(config);
        Topology topology = new Topology(new TopologyConfig(new StreamsConfig(properties)));
        String[] sources = new String[config.numModalities()];
        // The event clock runs on event_time. The input clock takes each record's Kafka timestamp: when the score was
        // written (the broker's append time on a LogAppendTime topic).
        TimestampExtractor timestamps = config.deadlineClock() == PipelineConfig.DeadlineClock.EVENT
                ? new EventTimeExtractor(config.eventTimeMaxFuture()) : new UsePartitionTimeOnInvalidTimestamp();
        for (int i = 0; i < sources.length; i++) {
            PipelineConfig.ModalityConfig m = config.modalities().get(i);
            sources[i] = early ? featuresSourceName(m.name()) : sourceName(m.name());
            org.apache.kafka.common.serialization.Deserializer<?> values =
                    early ? featuresSerde.deserializer() : scoreSerde.deserializer();
            topology.addSource(AutoOffsetReset.earliest(), sources[i], timestamps, Serdes.String().deserializer(),
                    values, m.topic());
        }
        String[] parents = sources;
        if (early) {
            topology.addProcessor(FEATURES_ARRIVALS, FeaturesArrivals::new, sources);
            parents = new String[] {FEATURES_ARRIVALS};
        }
        EventFusion fusion = new EventFusion(config, strategy);
        topology.addProcessor(PROCESSOR, () -> new FusionProcessor(config, fusion, telemetry, progress, health),
                parents);

        // Changelogs whose restore stays bounded however long the app runs (ChangelogTopics).
        topology.addStateStore(pendingStore(config.storeType())
                .withLoggingEnabled(ChangelogTopics.keyValue(properties)), PROCESSOR);
        topology.addStateStore(deadlineIndexStore(config.storeType()), PROCESSOR);
        topology.addStateStore(emittedStore(config.storeType(), config.lateRetention(),
                StreamsProperties.transactionalStoresUnderExactlyOnce(properties))
                .withLoggingEnabled(ChangelogTopics.window(emittedKeep(config.lateRetention()), properties,
                        config.deadlineClock() == PipelineConfig.DeadlineClock.EVENT)), PROCESSOR);
        topology.addStateStore(legacyFinishedStore(config.storeType())
                .withLoggingEnabled(ChangelogTopics.keyValue(properties)), PROCESSOR);

        topology.addSink(SINK, config.outputTopic(), Serdes.String().serializer(), predictionSerde.serializer(), PROCESSOR);
        // Registered under the dead-letter topic's own subject, so that its records decode like the scores topics'.
        Serializer<ModalityScore> deadLetters = early
                ? (topic, arrival) -> featuresSerde.serializer().serialize(topic, FeaturesArrivals.features(arrival))
                : scoreSerde.serializer();
        topology.addSink(DEAD_LETTER_SINK, config.deadLetterTopic(), Serdes.String().serializer(), deadLetters, PROCESSOR);
        return topology;
    }

    private static KeyValueBytesStoreSupplier keyValue(PipelineConfig.StoreType type, String name) {
        return type == PipelineConfig.StoreType.MEMORY ? Stores.inMemoryKeyValueStore(name) : Stores.persistentKeyValueStore(name);
    }

    /**
     * Changelogged (the default), so that state survives crashes and moves with its task. On RocksDB the record cache
     * holds an event's arrivals until the commit: an event that completes within one commit interval reaches RocksDB
     * and the changelog as a single tombstone. In memory the cache is a second map in front of the store's own, and
     * `latefuse bench` measured more throughput without it (0.42 against 0.33 × serde-passthrough-eos), though every
     * arrival is then a changelog record; on RocksDB it measured the same either way.
     */
    static StoreBuilder<KeyValueStore<String, EventState>> pendingStore(PipelineConfig.StoreType type) {
        StoreBuilder<KeyValueStore<String, EventState>> b = Stores.keyValueStoreBuilder(keyValue(type, PENDING_STORE),
                Serdes.String(), new VersionedStateSerde<>(EventState.class));
        return type == PipelineConfig.StoreType.MEMORY ? b.withCachingDisabled() : b.withCachingEnabled();
    }

    /** Neither logged nor cached: it is rebuilt from {@code pending}, and written once and deleted once per event. */
    static StoreBuilder<KeyValueStore<Bytes, byte[]>> deadlineIndexStore(PipelineConfig.StoreType type) {
        return Stores.keyValueStoreBuilder(keyValue(type, DEADLINE_INDEX_STORE), Serdes.Bytes(), Serdes.ByteArray())
                .withLoggingDisabled().withCachingDisabled();
    }

    /**
     * Changelogged; its changelog is compacted and deleted by time, like any window store's, so it needs no
     * tombstones either. Not cached: each event is written once, and a cached window store merges two iterators on
     * every lookup.
     */
    static StoreBuilder<WindowStore<String, EventState>> emittedStore(PipelineConfig.StoreType type, Duration retention) {
        return emittedStore(type, retention, false);
    }

    /**
     * @param checkpointAtClose on RocksDB, keep the store's changelog offset in Kafka Streams' checkpoint file, written
     *                          at a clean close, not in its segments: under exactly-once with transactional stores,
     *                          where the segments' own offsets can skip what an older segment had not flushed when
     *                          the app was killed ({@link CheckpointAtCloseWindowStore})
     */
    static StoreBuilder<WindowStore<String, EventState>> emittedStore(PipelineConfig.StoreType type, Duration retention,
                                                                       boolean checkpointAtClose) {
        // Entries are kept under their emission time rounded down to a bucket, and looked up from one bucket further
        // back, so the store keeps them one bucket longer. A window store must keep at least one window; with
        // late.retention 0 nothing is written to it.
        Duration keep = emittedKeep(retention);
        Duration window = Duration.ofMillis(1);
        WindowBytesStoreSupplier supplier = type == PipelineConfig.StoreType.MEMORY
                ? Stores.inMemoryWindowStore(EMITTED_STORE, keep, window, false)
                : Stores.persistentWindowStore(EMITTED_STORE, keep, window, false);
        if (checkpointAtClose && type == PipelineConfig.StoreType.ROCKSDB) {
            supplier = CheckpointAtCloseWindowStore.supplier(supplier);
        }
        return Stores.windowStoreBuilder(supplier, Serdes.String(), new VersionedStateSerde<>(EventState.class))
                .withCachingDisabled();
    }

    /** How long the emitted store keeps an entry: {@code late.retention} and one bucket. */
    static Duration emittedKeep(Duration retention) {
        return Duration.ofMillis(Saturating.add(retention.toMillis(), emittedBucketMs(retention.toMillis())));
    }

    /**
     * The granularity of the emitted store's timestamps: an eighth of {@code late.retention}. The in-memory window
     * store keeps one map per distinct timestamp and a lookup visits every one in its range, so emission times to the
     * millisecond made each lookup visit thousands (`latefuse bench`: 2,700 events/s instead of 28,000). Rounded, a
     * lookup visits at most nine; an event is remembered between {@code late.retention} and one eighth longer.
     */
    static long emittedBucketMs(long retentionMs) {
        return Math.max(1, retentionMs / 8);
    }

    static StoreBuilder<KeyValueStore<String, EventState>> legacyFinishedStore(PipelineConfig.StoreType type) {
        return Stores.keyValueStoreBuilder(keyValue(type, LEGACY_FINISHED_STORE), Serdes.String(),
                new VersionedStateSerde<>(EventState.class)).withCachingDisabled();
    }
}
