package io.latefuse.scoring;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.RegistryConfigs;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.streams.KafkaStreams;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

/** A per-modality scorer as a runnable Kafka Streams app. */
public final class ScoringApp implements AutoCloseable {
    private final ModalityScorer scorer;
    private final SchemaRegistry registry;
    private final KafkaStreams streams;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Leaves the group on close unless it is a static member ({@code instance.id}). */
    private final boolean leaveGroup;

    public ScoringApp(PipelineConfig config, ModalityScorer scorer, int batchSize, Duration linger,
                      Map<String, String> extraStreamsProps) {
        this.scorer = scorer;
        this.leaveGroup = config.instanceId().isEmpty();
        RegistryConfig rc = RegistryConfigs.of(config);
        this.registry = SchemaRegistry.connect(rc);
        Properties props = StreamsProperties.of(config, ScoringTopology.applicationId(config, scorer.modality()));
        props.putAll(extraStreamsProps);
        this.streams = new KafkaStreams(ScoringTopology.build(config, scorer, batchSize, linger,
                AvroSerdes.specific(ModalityFeatures.class, registry, rc),
                AvroSerdes.specific(ModalityScore.class, registry, rc)), props);
        StreamsLifecycle.install(streams, "score-" + scorer.modality(), !leaveGroup, () -> { });
    }

    public KafkaStreams streams() {
        return streams;
    }

    public void start() {
        streams.start();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            StreamsLifecycle.close(streams, leaveGroup);
            scorer.close();
            registry.close();
        }
    }
}
