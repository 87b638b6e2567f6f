package io.latefuse.scoring;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.streams.EventTimeBound;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.streams.VersionedStateSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
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
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";
    public static final String BUFFER_STORE = "score-buffer";

    private ScoringTopology() {}

    /** The scorer's application id: the pipeline's, plus the modality. */
    public static String applicationId(PipelineConfig config, String modality) {
        return config.applicationId() + "-score-" + modality;
    }

    public static Topology build(PipelineConfig config, ModalityScorer scorer, int batchSize, Duration linger,
                                 Serde<ModalityFeatures> featureSerde, Serde<ModalityScore> scoreSerde) {
        return build(config, (BatchScorer) scorer, batchSize, linger, featureSerde, scoreSerde);
    }

    static Topology build(PipelineConfig config, BatchScorer scorer, int batchSize, Duration linger,
                          Serde<ModalityFeatures> featureSerde, Serde<ModalityScore> scoreSerde) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize + ": must be at least 1");
        }
        if (linger.toMillis() < 1) {
            // Kafka Streams schedules punctuations in whole milliseconds, at least 1.
            throw new IllegalArgumentException("linger " + linger + ": must be at least 1 ms");
        }
        PipelineConfig.ModalityConfig m = config.modalities().get(config.modalityIndex(scorer.modality()));
        Topology t = new Topology(new TopologyConfig(new StreamsConfig(
                StreamsProperties.of(config, applicationId(config, scorer.modality())))));
        t.addSource(AutoOffsetReset.earliest(), SOURCE, Serdes.String().deserializer(), featureSerde.deserializer(),
                m.featuresTopic());
        EventTimeBound eventTimes = new EventTimeBound(config.eventTimeMaxFuture());
        t.addProcessor(PROCESSOR, () -> new ScoringProcessor(scorer, batchSize, linger, eventTimes, m.featuresTopic()),
                SOURCE);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(BUFFER_STORE), Serdes.Bytes(),
                new VersionedStateSerde<>(ModalityFeatures.class)), PROCESSOR);
        t.addSink(SINK, m.topic(), Serdes.String().serializer(), scoreSerde.serializer(), PROCESSOR);
        // Features dead-lettered at a flush, written as they would be on the features topic (under its subject), so
        // that they decode and replay like the dead letters the handlers copy byte for byte.
        Serializer<ModalityFeatures> features = featureSerde.serializer();
        t.addSink(DEAD_LETTER_SINK, config.deadLetterTopic(), Serdes.String().serializer(),
                (Serializer<ModalityFeatures>) (topic, f) -> features.serialize(m.featuresTopic(), f), PROCESSOR);
        return t;
    }
}
