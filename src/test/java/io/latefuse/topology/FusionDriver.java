package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.InMemorySchemaRegistry;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * A TopologyTestDriver around the real fusion topology, wired with the same Streams properties as production
 * (exactly-once, the dead-letter handlers) and an in-memory {@code mock://} registry.
 */
final class FusionDriver implements AutoCloseable {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** acoustic, lexical, prosody required; visual optional. max.wait 300ms, punctuation 10ms. */
    static final String BASE = """
            application.id: fusion-test
            bootstrap.servers: dummy:9092
            schema.registry.url: mock://%s
            topic.prefix: t.
            classes: [directed, undirected]
            strategy: weighted_mean
            modalities:
              - {name: acoustic}
              - {name: lexical}
              - {name: prosody}
              - {name: visual, required: false}
            max.wait: 300ms
            punctuation.interval: 10ms
            late.retention: 1h
            """;

    final PipelineConfig config;
    final org.apache.kafka.streams.Topology topology;
    final TopologyTestDriver driver;
    final Map<String, TestInputTopic<String, ModalityScore>> inputs = new HashMap<>();
    /** Under early fusion, the features topics instead. */
    final Map<String, TestInputTopic<String, ModalityFeatures>> featureInputs = new HashMap<>();
    final TestOutputTopic<String, FusedPrediction> output;
    final TestOutputTopic<byte[], byte[]> deadLetters;
    private final String scope;
    /** The registry serde the scores topics use; dead letters of held scores decode with it too. */
    final Serde<ModalityScore> scoreSerde;
    /** The features topics' serde (early fusion); their dead letters decode with it. */
    final Serde<ModalityFeatures> featuresSerde;
    /** The driver's wall clock, which {@link #advanceWall} moves. */
    private long wallMs = T0.toEpochMilli();
    /** How far the input is read: caught up, unless a test says a topic is behind. */
    final ScriptedInputProgress progress = new ScriptedInputProgress(() -> wallMs);
    final io.latefuse.metrics.FusionTelemetry telemetry =
            new io.latefuse.metrics.FusionTelemetry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());

    FusionDriver(String extraYaml) {
        this(extraYaml, Map.of());
    }

    FusionDriver(String extraYaml, Map<String, String> env) {
        this(extraYaml, env, java.util.function.UnaryOperator.identity());
    }

    /** @param decorate wraps the configured strategy, e.g. to observe its batches */
    FusionDriver(String extraYaml, Map<String, String> env,
                 java.util.function.UnaryOperator<io.latefuse.fusion.FusionStrategy> decorate) {
        this(BASE, extraYaml, env, decorate);
    }

    /**
     * {@code base} with the top-level keys of {@code extra} set over it: a config file may not give a key twice, so
     * the extra keys replace the base's rather than follow them.
     */
    static String merged(String base, String extra) {
        try {
            com.fasterxml.jackson.databind.ObjectMapper yaml = new com.fasterxml.jackson.databind.ObjectMapper(
                    new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
            com.fasterxml.jackson.databind.node.ObjectNode tree = (com.fasterxml.jackson.databind.node.ObjectNode) yaml.readTree(base);
            com.fasterxml.jackson.databind.JsonNode more = yaml.readTree(extra);
            if (more != null && more.isObject()) {
                tree.setAll((com.fasterxml.jackson.databind.node.ObjectNode) more);
            }
            return yaml.writeValueAsString(tree);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A driver over another base config; {@code base} has a {@code %s} for the registry scope, as {@link #BASE}. */
    static FusionDriver withBase(String base, String extraYaml) {
        return new FusionDriver(base, extraYaml, Map.of(), java.util.function.UnaryOperator.identity());
    }

    private FusionDriver(String base, String extraYaml, Map<String, String> env,
                         java.util.function.UnaryOperator<io.latefuse.fusion.FusionStrategy> decorate) {
        scope = "fusion-" + UUID.randomUUID();
        config = PipelineConfigLoader.parse(merged(base.formatted(scope), extraYaml), "test", env);
        RegistryConfig rc = RegistryConfig.of(InMemorySchemaRegistry.SCHEME + scope);
        SchemaRegistry registry = SchemaRegistry.connect(rc);
        Serde<ModalityScore> scores = AvroSerdes.specific(ModalityScore.class, registry, rc);
        scoreSerde = scores;
        featuresSerde = AvroSerdes.specific(ModalityFeatures.class, registry, rc);
        Serde<FusedPrediction> predictions = AvroSerdes.specific(FusedPrediction.class, registry, rc);
        Properties props = StreamsProperties.of(config);
        try {
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("latefuse-ttd").toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        topology = FusionTopology.build(config, decorate.apply(FusionStrategies.create(config)), scores, featuresSerde,
                predictions, telemetry, progress);
        driver = new TopologyTestDriver(topology, props, T0);
        for (PipelineConfig.ModalityConfig m : config.modalities()) {
            if (config.fusionLevel() == io.latefuse.config.FusionLevel.EARLY) {
                featureInputs.put(m.name(), driver.createInputTopic(m.topic(), new StringSerializer(),
                        featuresSerde.serializer(), T0, Duration.ZERO));
            } else {
                inputs.put(m.name(), driver.createInputTopic(m.topic(), new StringSerializer(), scores.serializer(), T0,
                        Duration.ZERO));
            }
        }
        output = driver.createOutputTopic(config.outputTopic(), new StringDeserializer(), predictions.deserializer());
        deadLetters = driver.createOutputTopic(config.deadLetterTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    static ModalityScore score(String event, String modality, float directed) {
        return score(event, modality, directed, T0);
    }

    static ModalityScore score(String event, String modality, float directed, Instant eventTime) {
        return ModalityScore.newBuilder().setEventId(event).setModality(modality).setModel(modality + "-model")
                .setModelVersion("1").setScores(List.of(directed, 1 - directed)).setScoreType(ScoreType.PROBABILITY)
                .setEventTime(eventTime).build();
    }

    /** Sends a score stamped with the driver's wall clock, as a LogAppendTime topic stamps it when it is written. */
    void send(ModalityScore s) {
        inputs.get(s.getModality()).pipeInput(s.getEventId(), s, Instant.ofEpochMilli(wallMs));
    }

    /** Sends a features record (early fusion), stamped with the driver's wall clock. */
    void send(ModalityFeatures f) {
        featureInputs.get(f.getModality()).pipeInput(f.getEventId(), f, Instant.ofEpochMilli(wallMs));
    }

    void send(String topicOfModality, String key, ModalityScore s) {
        inputs.get(topicOfModality).pipeInput(key, s, Instant.ofEpochMilli(wallMs));
    }

    /** Sends a score with a record timestamp of its own, as a producer (and the broker's clock) would set it. */
    void sendAt(ModalityScore s, Instant recordTimestamp) {
        inputs.get(s.getModality()).pipeInput(s.getEventId(), s, recordTimestamp);
    }

    void sendRaw(String modality, byte[] key, byte[] value) {
        driver.createInputTopic(config.modalities().get(config.modalityIndex(modality)).topic(),
                new ByteArraySerializer(), new ByteArraySerializer()).pipeInput(key, value, Instant.ofEpochMilli(wallMs));
    }

    List<FusedPrediction> drain() {
        List<FusedPrediction> out = new ArrayList<>();
        while (!output.isEmpty()) {
            out.add(output.readValue());
        }
        return out;
    }

    List<TestRecord<byte[], byte[]>> drainDeadLetters() {
        List<TestRecord<byte[], byte[]>> out = new ArrayList<>();
        while (!deadLetters.isEmpty()) {
            out.add(deadLetters.readRecord());
        }
        return out;
    }

    static String header(TestRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    void advanceWall(long ms) {
        wallMs += ms;
        driver.advanceWallClockTime(Duration.ofMillis(ms));
    }

    /** The count of one of latefuse's counters, e.g. {@code latefuse.duplicates}. */
    double metricTotal(String name) {
        return telemetry.registry().get(name).counter().count();
    }

    @Override
    public void close() {
        driver.close();
        InMemorySchemaRegistry.dropScope(scope);
    }
}
