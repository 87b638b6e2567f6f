package io.latefuse.scoring;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.streams.VersionedStateSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;

/**
 * The per-modality scorer: features.&lt;m&gt; -&gt; ONNX model in micro-batches -&gt; scores.&lt;m&gt;. Built from the
 * pipeline config like the fusion topology, with the same dead-letter handling.
 */
public final class ScoringTopology {
    public static final String SOURCE = "features";
    public static final String PROCESSOR = "score";
    public static final String SINK = "scores-sink";
    public static final String BUFFER_STORE = "score-buffer";

    private ScoringTopology() {}

    /** The scorer's application id: the pipeline's, plus the modality. */
    public static String applicationId(PipelineConfig config, String modality) {
        return config.applicationId() + "-score-" + modality;
    }

    public static Topology build(PipelineConfig config, ModalityScorer scorer, int batchSize, Duration linger,
                                 Serde<ModalityFeatures> featureSerde, Serde<ModalityScore> scoreSerde) {
        PipelineConfig.ModalityConfig m = config.modalities().get(config.modalityIndex(scorer.modality()));
        Topology t = new Topology(new TopologyConfig(new StreamsConfig(
                StreamsProperties.of(config, applicationId(config, scorer.modality())))));
        t.addSource(AutoOffsetReset.earliest(), SOURCE, Serdes.String().deserializer(), featureSerde.deserializer(),
                m.featuresTopic());
        t.addProcessor(PROCESSOR, () -> new ScoringProcessor(scorer, batchSize, linger), SOURCE);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BUFFER_STORE), Serdes.Bytes(),
                new VersionedStateSerde<>(ModalityFeatures.class)), PROCESSOR);
        t.addSink(SINK, m.topic(), Serdes.String().serializer(), scoreSerde.serializer(), PROCESSOR);
        return t;
    }
}
