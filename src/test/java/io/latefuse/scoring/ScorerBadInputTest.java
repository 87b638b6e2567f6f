package io.latefuse.scoring;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.InMemorySchemaRegistry;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The scorer has the fusion app's guarantees: a bad record costs only itself, and nothing waits forever. Before
 * issue 27, one features record dated before 1970 made every flush fail after forwarding the records ahead of it
 * (re-scored at every flush), with every later record dead-lettered as processing_error.
 */
class ScorerBadInputTest {
    static final int F = ScoringTopologyTest.F;
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;
    String scope;
    PipelineConfig config;
    RegistryConfig rc;
    SchemaRegistry registry;
    Serde<ModalityFeatures> fs;
    Serde<ModalityScore> ss;
    ModalityScorer onnx;

    @BeforeEach
    void setUp() throws Exception {
        scope = "scorer-bad-" + UUID.randomUUID();
        config = PipelineConfigLoader.parse("""
                application.id: s
                bootstrap.servers: dummy:1
                schema.registry.url: mock://%s
                classes: [directed, undirected]
                modalities: [{name: acoustic}, {name: lexical}]
                """.formatted(scope), "test", Map.of());
        rc = RegistryConfig.of(InMemorySchemaRegistry.SCHEME + scope);
        registry = SchemaRegistry.connect(rc);
        fs = AvroSerdes.specific(ModalityFeatures.class, registry, rc);
        ss = AvroSerdes.specific(ModalityScore.class, registry, rc);
        Path model = dir.resolve("acoustic-v1.onnx");
        OnnxGraphs.write(OnnxGraphs.softmaxRegression("features", "probabilities", ScoringTopologyTest.weights(11),
                new float[] {0.3f, -0.3f}), model);
        onnx = ModalityScorer.load("acoustic", model, ScoringTopologyTest.C, ScoreType.PROBABILITY);
    }

    @AfterEach
    void tearDown() {
        onnx.close();
        registry.close();
        InMemorySchemaRegistry.dropScope(scope);
    }

    /** A driver around the scorer topology, its clock at T0 + 1 min. */
    private final class Driver implements AutoCloseable {
        final TopologyTestDriver d;
        final TestInputTopic<String, ModalityFeatures> in;
        final TestOutputTopic<String, ModalityScore> out;
        final TestOutputTopic<byte[], byte[]> dead;

        Driver(BatchScorer scorer, int batchSize) throws Exception {
            Topology t = ScoringTopology.build(config, scorer, batchSize, Duration.ofMillis(5), fs, ss);
            Properties props = StreamsProperties.of(config, "s-score-acoustic");
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory(dir, "state").toString());
            d = new TopologyTestDriver(t, props, T0.plusSeconds(60));
            in = d.createInputTopic("features.acoustic", new StringSerializer(), fs.serializer());
            out = d.createOutputTopic("scores.acoustic", new StringDeserializer(), ss.deserializer());
            dead = d.createOutputTopic("dead-letters", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        void send(ModalityFeatures f) {
            in.pipeInput(f.getEventId(), f, T0);
        }

        @Override
        public void close() {
            d.close();
        }
    }

    static ModalityFeatures features(String id, Instant eventTime, float first) {
        return ModalityFeatures.newBuilder(ScoringTopologyTest.features(id, "acoustic", first, 0.1f, 0.2f, 0.3f, 0.4f))
                .setEventTime(eventTime).build();
    }

    static String header(TestRecord<byte[], byte[]> r, String name) {
        return r.headers().lastHeader(name) == null ? null
                : new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    /** Every score, by event id, and the number of times each was written. */
    static Map<String, Integer> counts(List<ModalityScore> scores) {
        Map<String, Integer> n = new HashMap<>();
        scores.forEach(s -> n.merge(s.getEventId(), 1, Integer::sum));
        return n;
    }

    @Test
    void aRecordDatedBefore1970OrTooFarAheadCostsOnlyItself() throws Exception {
        try (Driver d = new Driver(onnx, 4)) {
            d.send(features("e0", T0, 0.5f));
            d.send(features("e1", T0, 0.6f));
            d.send(features("before-1970", Instant.parse("1969-12-31T23:59:59Z"), 0.7f));
            d.send(features("e3", T0, 0.8f));
            d.send(features("ahead", T0.plus(Duration.ofDays(2)), 0.9f));
            d.send(features("e5", T0, 0.1f));
            for (int i = 0; i < 10; i++) {
                d.d.advanceWallClockTime(Duration.ofMillis(6));
            }
            d.send(features("e6", T0, 0.2f));
            d.d.advanceWallClockTime(Duration.ofMillis(6));

            Map<String, Integer> scored = counts(d.out.readValuesToList());
            assertThat(scored).as("each good record scored exactly once")
                    .isEqualTo(Map.of("e0", 1, "e1", 1, "e3", 1, "e5", 1, "e6", 1));
            List<TestRecord<byte[], byte[]>> letters = d.dead.readRecordsToList();
            assertThat(letters).as("one dead letter per bad record, none for the punctuator").hasSize(2);
            assertThat(letters).extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
                    .containsExactly("before-1970", "ahead");
            assertThat(letters).extracting(r -> header(r, DeadLetterReason.HEADER)).containsOnly("out_of_range");
            assertThat(header(letters.get(0), DeadLetterReason.DETAIL_HEADER))
                    .contains("event before-1970, modality acoustic: event_time 1969-12-31T23:59:59Z is before 1970");
            assertThat(header(letters.get(1), DeadLetterReason.DETAIL_HEADER))
                    .contains("event ahead").contains("is more than event.time.max.future");
            assertThat(d.d.getKeyValueStore(ScoringTopology.BUFFER_STORE).approximateNumEntries())
                    .as("the buffer is empty once flushed").isZero();
        }
    }

    @Test
    void aBadRecordLeftInTheBufferByAnOlderReleaseIsDeadLetteredAtTheNextFlush() throws Exception {
        try (Driver d = new Driver(onnx, 64)) {
            // What the scorer before issue 27 buffered (and its changelog restores): a record dated before 1970.
            KeyValueStore<Bytes, ModalityFeatures> buffer = d.d.getKeyValueStore(ScoringTopology.BUFFER_STORE);
            buffer.put(Bytes.wrap(ByteBuffer.allocate(8).putLong(1_000_000L).array()),
                    features("restored-bad", Instant.ofEpochMilli(-1), 0.5f));
            d.send(features("e0", T0, 0.5f));
            d.d.advanceWallClockTime(Duration.ofMillis(6));
            d.d.advanceWallClockTime(Duration.ofMillis(6));

            assertThat(counts(d.out.readValuesToList())).isEqualTo(Map.of("e0", 1));
            List<TestRecord<byte[], byte[]>> letters = d.dead.readRecordsToList();
            assertThat(letters).hasSize(1);
            TestRecord<byte[], byte[]> letter = letters.get(0);
            assertThat(header(letter, DeadLetterReason.HEADER)).isEqualTo("out_of_range");
            assertThat(header(letter, DeadLetterReason.TOPIC_HEADER)).isEqualTo("features.acoustic");
            // The dead letter decodes as the features it was, for replay onto the features topic.
            ModalityFeatures back = fs.deserializer().deserialize("features.acoustic", letter.value());
            assertThat(back.getEventId()).isEqualTo("restored-bad");
            assertThat(back.getEventTime()).isEqualTo(Instant.ofEpochMilli(-1));
            assertThat(buffer.approximateNumEntries()).isZero();
        }
    }

    /** A model that fails on any batch holding a record whose first value is negative, and scores 99 as NaN. */
    private BatchScorer fragile(List<Integer> batchSizes) {
        return new BatchScorer() {
            @Override
            public String modality() {
                return "acoustic";
            }

            @Override
            public int features() {
                return F;
            }

            @Override
            public String describe() {
                return "model fragile";
            }

            @Override
            public List<ModalityScore> score(List<ModalityFeatures> batch) {
                batchSizes.add(batch.size());
                if (batch.stream().anyMatch(f -> f.getValues().get(0) < 0)) {
                    throw new IllegalStateException("ONNX Runtime: the model refused its input");
                }
                List<ModalityScore> scores = onnx.score(batch);
                List<ModalityScore> out = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    ModalityScore s = scores.get(i);
                    if (batch.get(i).getValues().get(0) == 99f) {
                        s = ModalityScore.newBuilder(s).setScores(List.of(Float.NaN, Float.NaN)).build();
                    }
                    out.add(s);
                }
                return out;
            }
        };
    }

    @Test
    void aRecordTheModelFailsOnOrScoresAsNaNCostsOnlyItself() throws Exception {
        List<Integer> batchSizes = new ArrayList<>();
        try (Driver d = new Driver(fragile(batchSizes), 5)) {
            d.send(features("e0", T0, 0.5f));
            d.send(features("poison", T0, -1f));
            d.send(features("e2", T0, 0.5f));
            d.send(features("nan", T0, 99f));
            d.send(features("e4", T0, 0.5f));
            d.send(features("e5", T0, 0.5f));
            for (int i = 0; i < 5; i++) {
                d.d.advanceWallClockTime(Duration.ofMillis(6));
            }
            assertThat(counts(d.out.readValuesToList())).isEqualTo(Map.of("e0", 1, "e2", 1, "e4", 1, "e5", 1));
            List<TestRecord<byte[], byte[]>> letters = d.dead.readRecordsToList();
            Map<String, String> reasons = new HashMap<>();
            Map<String, String> details = new HashMap<>();
            for (TestRecord<byte[], byte[]> r : letters) {
                String key = new String(r.key(), StandardCharsets.UTF_8);
                assertThat(reasons.put(key, header(r, DeadLetterReason.HEADER))).as("one letter for " + key).isNull();
                details.put(key, header(r, DeadLetterReason.DETAIL_HEADER));
            }
            assertThat(reasons).isEqualTo(Map.of("poison", "processing_error", "nan", "not_finite"));
            assertThat(details.get("poison")).contains("event poison, modality acoustic: model fragile failed on it")
                    .contains("the model refused its input");
            assertThat(details.get("nan")).contains("event nan, modality acoustic: model fragile gave it scores [NaN, NaN]");
            assertThat(batchSizes).as("the failed batch of 5 scored record by record, then the next on its own")
                    .containsExactly(5, 1, 1, 1, 1, 1, 1);
        }
    }

    @Test
    void aLingerBelowOneMillisecondIsRefusedWhenTheTopologyIsBuilt() {
        Function<Duration, Topology> build = linger -> ScoringTopology.build(config, onnx, 4, linger, fs, ss);
        for (Duration linger : List.of(Duration.ZERO, Duration.ofNanos(400_000), Duration.ofSeconds(-1))) {
            assertThatThrownBy(() -> build.apply(linger)).hasMessageContaining("must be at least 1 ms");
        }
        assertThat(build.apply(Duration.ofMillis(1))).isNotNull();
    }
}
