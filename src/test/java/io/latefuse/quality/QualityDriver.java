package io.latefuse.quality;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.GroundTruth;
import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.ScoreType;
import io.latefuse.avro.internal.QualityEvent;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.InMemorySchemaRegistry;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/** A TopologyTestDriver around the real quality topology, with production's Streams properties and a mock registry. */
final class QualityDriver implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static final String BASE = """
            application.id: quality-test
            bootstrap.servers: dummy:9092
            schema.registry.url: mock://%s
            topic.prefix: t.
            classes: [directed, undirected]
            modalities:
              - {name: acoustic}
              - {name: lexical}
              - {name: prosody}
            store.type: memory
            labels.topic: t.labels
            labels.retention: 1h
            quality.window: 10m
            quality.interval: 1m
            """;

    final PipelineConfig config;
    final TopologyTestDriver driver;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final TestInputTopic<String, FusedPrediction> predictions;
    final TestInputTopic<String, GroundTruth> labels;
    final TestInputTopic<String, byte[]> rawLabels;
    final Map<String, TestInputTopic<String, ModalityScore>> scores = new HashMap<>();
    final TestOutputTopic<String, FusionQuality> quality;
    final TestOutputTopic<String, LabelledModalityScore> labelled;
    final TestOutputTopic<byte[], byte[]> deadLetters;
    private long wallMs = T0.toEpochMilli();

    QualityDriver(String extraYaml) {
        String scope = "quality-" + UUID.randomUUID();
        config = PipelineConfigLoader.parse(BASE.formatted(scope) + extraYaml, "test", Map.of());
        RegistryConfig rc = RegistryConfig.of(InMemorySchemaRegistry.SCHEME + scope);
        SchemaRegistry registry = SchemaRegistry.connect(rc);
        QualityTopology.TopicSerdes serdes = new QualityTopology.TopicSerdes(
                AvroSerdes.specific(FusedPrediction.class, registry, rc),
                AvroSerdes.specific(GroundTruth.class, registry, rc),
                AvroSerdes.specific(ModalityScore.class, registry, rc),
                AvroSerdes.specific(FusionQuality.class, registry, rc),
                AvroSerdes.specific(LabelledModalityScore.class, registry, rc));
        Properties props = QualityApp.properties(config);
        props.put(FusionTelemetry.CONFIG_KEY, new FusionTelemetry(meters));
        try {
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("latefuse-quality-ttd").toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        driver = new TopologyTestDriver(QualityTopology.build(config, serdes, new QualityTelemetry(meters)), props, T0);
        StringSerializer keys = new StringSerializer();
        predictions = driver.createInputTopic(config.outputTopic(), keys, serdes.predictions().serializer());
        labels = driver.createInputTopic(config.quality().labelsTopic(), keys, serdes.labels().serializer());
        rawLabels = driver.createInputTopic(config.quality().labelsTopic(), keys,
                new org.apache.kafka.common.serialization.ByteArraySerializer());
        if (config.quality().exportsLabelled()) {
            for (PipelineConfig.ModalityConfig m : config.modalities()) {
                scores.put(m.name(), driver.createInputTopic(m.topic(), keys, serdes.scores().serializer()));
            }
            labelled = driver.createOutputTopic(config.quality().labelledTopic(), new StringDeserializer(),
                    serdes.labelled().deserializer());
        } else {
            labelled = null;
        }
        quality = driver.createOutputTopic(config.quality().qualityTopic(), new StringDeserializer(),
                serdes.quality().deserializer());
        deadLetters = driver.createOutputTopic(config.deadLetterTopic(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    long now() {
        return wallMs;
    }

    void advance(Duration d) {
        wallMs += d.toMillis();
        driver.advanceWallClockTime(d);
    }

    static FusedPrediction prediction(String id, int revision, List<String> present, float directed) {
        return prediction(id, revision, present, directed, null);
    }

    static FusedPrediction prediction(String id, int revision, List<String> present, float directed, String decision) {
        List<String> all = List.of("acoustic", "lexical", "prosody");
        return FusedPrediction.newBuilder().setEventId(id).setLabel(directed >= 0.5f ? "directed" : "undirected")
                .setScores(List.of(directed, 1 - directed)).setStatus(present.size() == 3 ? PredictionStatus.COMPLETE
                        : PredictionStatus.DEGRADED)
                .setRevision(revision).setPresent(present)
                .setMissing(all.stream().filter(m -> !present.contains(m)).toList())
                .setStrategy("weighted_mean").setFusionModelVersion("1").setEventTime(T0).setFirstArrival(T0)
                .setEmittedAt(T0).setWaitMs(100L * (revision + 1)).setContributions(Map.of()).setDecision(decision)
                .build();
    }

    static GroundTruth label(String id, String label) {
        return GroundTruth.newBuilder().setEventId(id).setLabel(label).setLabelledAt(T0).setSource("test").build();
    }

    static ModalityScore score(String id, String modality, float directed) {
        return ModalityScore.newBuilder().setEventId(id).setModality(modality).setModel("m").setModelVersion("1")
                .setScores(List.of(directed, 1 - directed)).setScoreType(ScoreType.PROBABILITY).setEventTime(T0)
                .build();
    }

    void predict(FusedPrediction p) {
        predictions.pipeInput(p.getEventId(), p, wallMs);
    }

    void label(GroundTruth g) {
        labels.pipeInput(g.getEventId(), g, wallMs);
    }

    /** The last row published per (subset, revision), as "subset/FIRST". */
    Map<String, FusionQuality> latestRows() {
        Map<String, FusionQuality> out = new LinkedHashMap<>();
        for (TestRecord<String, FusionQuality> r : quality.readRecordsToList()) {
            out.put(r.value().getSubset() + "/" + r.value().getRevision(), r.value());
        }
        return out;
    }

    List<TestRecord<byte[], byte[]>> deadLetterRecords() {
        List<TestRecord<byte[], byte[]>> out = new ArrayList<>();
        while (!deadLetters.isEmpty()) {
            out.add(deadLetters.readRecord());
        }
        return out;
    }

    QualityEvent held(String id) {
        return driver.<String, QualityEvent>getKeyValueStore(QualityTopology.EVENTS_STORE).get(id);
    }

    double counter(String name) {
        var c = meters.find(name).counter();
        return c == null ? 0 : c.count();
    }

    @Override
    public void close() {
        driver.close();
    }
}
