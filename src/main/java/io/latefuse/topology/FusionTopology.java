package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.progress.InputProgress;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
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
    public static final String PENDING_STORE = "pending";
    public static final String FINISHED_STORE = "finished";
    public static final String DEADLINES_STORE = "deadlines";

    private FusionTopology() {}

    public static String sourceName(String modality) {
        return "scores-" + modality;
    }

    /**
     * @param progress how far the input has been read, for the {@code input} deadline clock: a
     *                 {@link io.latefuse.progress.TrackingClientSupplier}'s in an app; tests give a scripted one
     *                 on a TopologyTestDriver
     */
    public static Topology build(PipelineConfig config, FusionStrategy strategy, Serde<ModalityScore> scoreSerde,
                                 Serde<FusedPrediction> predictionSerde, FusionTelemetry telemetry,
                                 InputProgress progress) {
        // The topology reads its own settings from the same properties the app runs with.
        Topology topology = new Topology(new TopologyConfig(new StreamsConfig(StreamsProperties.of(config))));
        String[] sources = new String[config.numModalities()];
        // The event clock runs on event_time. The input clock takes each record's Kafka timestamp: when the score was
        // written (the broker's append time on a LogAppendTime topic).
        TimestampExtractor timestamps = config.deadlineClock() == PipelineConfig.DeadlineClock.EVENT
                ? new EventTimeExtractor(config.eventTimeMaxFuture()) : new UsePartitionTimeOnInvalidTimestamp();
        for (int i = 0; i < sources.length; i++) {
            PipelineConfig.ModalityConfig m = config.modalities().get(i);
            sources[i] = sourceName(m.name());
            topology.addSource(AutoOffsetReset.earliest(), sources[i], timestamps,
                    Serdes.String().deserializer(), scoreSerde.deserializer(), m.topic());
        }
        EventFusion fusion = new EventFusion(config, strategy);
        topology.addProcessor(PROCESSOR, () -> new FusionProcessor(config, fusion, telemetry, progress), sources);

        VersionedStateSerde<EventState> stateSerde = new VersionedStateSerde<>(EventState.class);
        topology.addStateStore(store(config, PENDING_STORE, Serdes.String(), stateSerde), PROCESSOR);
        topology.addStateStore(store(config, FINISHED_STORE, Serdes.String(), stateSerde), PROCESSOR);
        topology.addStateStore(store(config, DEADLINES_STORE, Serdes.Bytes(), Serdes.ByteArray()), PROCESSOR);

        topology.addSink(SINK, config.outputTopic(), Serdes.String().serializer(), predictionSerde.serializer(), PROCESSOR);
        // Registered under the dead-letter topic's own subject, so that its records decode like the scores topics'.
        topology.addSink(DEAD_LETTER_SINK, config.deadLetterTopic(), Serdes.String().serializer(), scoreSerde.serializer(),
                PROCESSOR);
        return topology;
    }

    private static <K, V> StoreBuilder<KeyValueStore<K, V>> store(PipelineConfig config, String name,
                                                                  Serde<K> keys, Serde<V> values) {
        KeyValueBytesStoreSupplier supplier = config.storeType() == PipelineConfig.StoreType.MEMORY
                ? Stores.inMemoryKeyValueStore(name)
                : Stores.persistentKeyValueStore(name);
        // Changelogged (the default) so that state survives crashes and moves with its task. The record cache
        // absorbs events that complete within one commit interval: they never reach the store or the changelog.
        return Stores.keyValueStoreBuilder(supplier, keys, values).withCachingEnabled();
    }
}
