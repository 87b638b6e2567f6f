package io.latefuse.quality;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.GroundTruth;
import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.QualityEvent;
import io.latefuse.avro.internal.QualityOutcome;
import io.latefuse.config.PipelineConfig;
import io.latefuse.streams.StreamsProperties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.Map;

/**
 * The quality app's topology, a pure function of the config: the output topic, the labels topic and (with
 * {@code labelled.topic}) the scores topics, merged into the per-event join ({@link GroundTruthJoin}, one task per
 * partition, co-partitioned by event id); its outcomes through a one-partition repartition topic to the window
 * ({@link QualityWindow}), and from there to {@code quality.topic}; the labelled scores to {@code labelled.topic}.
 * Every node, store and internal topic has a stable name: renaming one loses state.
 */
public final class QualityTopology {
    public static final String JOIN = "judge";
    public static final String WINDOW = "quality-window";
    /** Event id to its predictions, scores and label: changelogged. */
    public static final String EVENTS_STORE = "quality-events";
    /** (expiry, event id), time-ordered: changelogged, so never rebuilt by reading every event. */
    public static final String EXPIRY_STORE = "quality-expiry";
    /** (judged_at, kind, event id) to the outcome, for the outcomes in the window: changelogged. */
    public static final String WINDOW_STORE = "quality-window-outcomes";
    /** The repartition topic is {@code <application.id>-quality-outcomes-repartition}, one partition. */
    public static final String OUTCOMES = "quality-outcomes";

    private QualityTopology() {}

    /** The serdes of the topics the app reads and writes (registry-backed in the app, mock-registry in tests). */
    public record TopicSerdes(Serde<FusedPrediction> predictions, Serde<GroundTruth> labels, Serde<ModalityScore> scores,
                          Serde<FusionQuality> quality, Serde<LabelledModalityScore> labelled) {}

    public static Topology build(PipelineConfig config, TopicSerdes serdes, QualityTelemetry telemetry) {
        return build(config, serdes, telemetry, fresh -> 0);
    }

    /** @param labelsPartitions the labels topic's partition count, for the check of each label's partition */
    static Topology build(PipelineConfig config, TopicSerdes serdes, QualityTelemetry telemetry,
                          io.latefuse.streams.KeyPartitions.Count labelsPartitions) {
        PipelineConfig.Quality quality = config.quality();
        if (quality == null) {
            throw new IllegalArgumentException("latefuse quality needs labels.topic in the config");
        }
        java.util.Properties properties = StreamsProperties.of(config, applicationId(config));
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(properties)));
        builder.addStateStore(eventsStore(config.storeType()));
        builder.addStateStore(expiryStore(config.storeType()));
        builder.addStateStore(windowStore(config.storeType()));

        KStream<String, SpecificRecord> in = source(builder, "predictions", config.outputTopic(), serdes.predictions())
                .merge(source(builder, "labels", quality.labelsTopic(), serdes.labels()), Named.as("predictions-and-labels"));
        if (quality.exportsLabelled()) {
            for (PipelineConfig.ModalityConfig m : config.modalities()) {
                in = in.merge(source(builder, "scores-" + m.name(), m.topic(), serdes.scores()),
                        Named.as("and-scores-" + m.name()));
            }
        }
        KStream<String, SpecificRecord> judged = in.process(() -> new GroundTruthJoin(config, telemetry, labelsPartitions),
                Named.as(JOIN), EVENTS_STORE, EXPIRY_STORE);
        Map<String, KStream<String, SpecificRecord>> kinds = judged.split(Named.as("judged-"))
                .branch((k, v) -> v instanceof QualityOutcome, Branched.as("outcomes"))
                .defaultBranch(Branched.as("labelled"));
        String positive = config.operatingPoints() == null ? null : config.operatingPoints().positiveClass();
        kinds.get("judged-outcomes")
                .mapValues(v -> (QualityOutcome) v, Named.as("as-outcomes"))
                .repartition(Repartitioned.<String, QualityOutcome>with(Serdes.String(),
                                new QualityStateSerde<>(QualityOutcome.class))
                        .withName(OUTCOMES).withNumberOfPartitions(1))
                .process(() -> new QualityWindow(quality.window(), quality.interval(), positive, telemetry),
                        Named.as(WINDOW), WINDOW_STORE)
                .to(quality.qualityTopic(), Produced.with(Serdes.String(), serdes.quality()).withName("quality-sink"));
        KStream<String, LabelledModalityScore> labelled = kinds.get("judged-labelled")
                .mapValues(v -> (LabelledModalityScore) v, Named.as("as-labelled"));
        if (quality.exportsLabelled()) {
            labelled.to(quality.labelledTopic(), Produced.with(Serdes.String(), serdes.labelled())
                    .withName("labelled-sink"));
        }
        return builder.build(properties);
    }

    /** The quality app's application id: the pipeline's, with {@code -quality}. */
    public static String applicationId(PipelineConfig config) {
        return config.applicationId() + "-quality";
    }

    @SuppressWarnings("unchecked")
    private static KStream<String, SpecificRecord> source(StreamsBuilder builder, String name, String topic,
                                                          Serde<? extends SpecificRecord> serde) {
        // Only read: the serde's deserializer gives the specific class, which the join tells apart.
        return builder.stream(topic, Consumed.with(Serdes.String(), (Serde<SpecificRecord>) serde)
                .withName(name).withOffsetResetPolicy(AutoOffsetReset.earliest()));
    }

    private static KeyValueBytesStoreSupplier keyValue(PipelineConfig.StoreType type, String name) {
        return type == PipelineConfig.StoreType.MEMORY ? Stores.inMemoryKeyValueStore(name)
                : Stores.persistentKeyValueStore(name);
    }

    static StoreBuilder<KeyValueStore<String, QualityEvent>> eventsStore(PipelineConfig.StoreType type) {
        return Stores.keyValueStoreBuilder(keyValue(type, EVENTS_STORE), Serdes.String(),
                new QualityStateSerde<>(QualityEvent.class));
    }

    static StoreBuilder<KeyValueStore<Bytes, byte[]>> expiryStore(PipelineConfig.StoreType type) {
        return Stores.keyValueStoreBuilder(keyValue(type, EXPIRY_STORE), Serdes.Bytes(), Serdes.ByteArray())
                .withCachingDisabled();
    }

    static StoreBuilder<KeyValueStore<Bytes, QualityOutcome>> windowStore(PipelineConfig.StoreType type) {
        return Stores.keyValueStoreBuilder(keyValue(type, WINDOW_STORE), Serdes.Bytes(),
                new QualityStateSerde<>(QualityOutcome.class)).withCachingDisabled();
    }
}
