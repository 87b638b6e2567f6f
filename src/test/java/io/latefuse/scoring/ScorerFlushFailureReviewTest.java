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
import io.latefuse.registry.SchemaRegistryException;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review of issue 27 item 1: what a flush does when {@code context.forward} throws (a serializer, i.e. the registry,
 * failing while a score or a dead letter is written).
 */
class ScorerFlushFailureReviewTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;
    String scope;
    RegistryConfig rc;
    SchemaRegistry registry;
    Serde<ModalityFeatures> fs;
    Serde<ModalityScore> ss;
    ModalityScorer onnx;

    /** While true, writing features (the flush's dead letters) fails as when the registry is unreachable. */
    final AtomicBoolean registryDown = new AtomicBoolean();
    /** Event ids whose score the scores serializer refuses (a non-registry serialization failure). */
    final Set<String> unwritableScores = ConcurrentHashMap.newKeySet();

    private static final List<ch.qos.logback.classic.Logger> NOISY = List.of(
            (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(io.latefuse.streams.DeadLetterProcessingHandler.class),
            (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.apache.kafka.streams"));

    // Every failure here is expected and asserted; the handlers' ERROR lines (with stack traces) are left out.
    @org.junit.jupiter.api.BeforeAll
    static void quiet() {
        NOISY.forEach(l -> l.setLevel(ch.qos.logback.classic.Level.OFF));
    }

    @org.junit.jupiter.api.AfterAll
    static void loud() {
        NOISY.forEach(l -> l.setLevel(null));
    }

    @BeforeEach
    void setUp() throws Exception {
        scope = "scorer-review-" + UUID.randomUUID();
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

    PipelineConfig config(String guarantee) {
        return PipelineConfigLoader.parse("""
                application.id: s
                bootstrap.servers: dummy:1
                schema.registry.url: mock://%s
                processing.guarantee: %s
                classes: [directed, undirected]
                modalities: [{name: acoustic}, {name: lexical}]
                """.formatted(scope, guarantee), "test", Map.of());
    }

    Serde<ModalityFeatures> flakyFeatures() {
        Serializer<ModalityFeatures> inner = fs.serializer();
        Serializer<ModalityFeatures> ser = (topic, f) -> {
            if (registryDown.get()) {
                throw new SchemaRegistryException("Schema registry at http://registry:8081 is unreachable "
                        + "(POST /subjects/features.acoustic-value/versions): ConnectException", -1, -1);
            }
            return inner.serialize(topic, f);
        };
        Deserializer<ModalityFeatures> de = fs.deserializer();
        return Serdes.serdeFrom(ser, de);
    }

    Serde<ModalityScore> pickyScores() {
        Serializer<ModalityScore> inner = ss.serializer();
        Serializer<ModalityScore> ser = (topic, s) -> {
            if (s != null && unwritableScores.contains(s.getEventId())) {
                throw new SerializationException("Cannot write Avro record to topic '" + topic + "': refused");
            }
            return inner.serialize(topic, s);
        };
        return Serdes.serdeFrom(ser, ss.deserializer());
    }

    final class Driver implements AutoCloseable {
        final TopologyTestDriver d;
        final TestInputTopic<String, ModalityFeatures> in;
        final TestOutputTopic<String, ModalityScore> out;
        final TestOutputTopic<byte[], byte[]> dead;
        final KeyValueStore<Bytes, ModalityFeatures> buffer;

        Driver(String guarantee, int batchSize) throws Exception {
            PipelineConfig config = config(guarantee);
            Topology t = ScoringTopology.build(config, (BatchScorer) onnx, batchSize, Duration.ofMillis(5),
                    flakyFeatures(), pickyScores());
            Properties props = StreamsProperties.of(config, "s-score-acoustic");
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory(dir, "state").toString());
            d = new TopologyTestDriver(t, props, T0.plusSeconds(60));
            in = d.createInputTopic("features.acoustic", new StringSerializer(), fs.serializer());
            out = d.createOutputTopic("scores.acoustic", new StringDeserializer(), ss.deserializer());
            dead = d.createOutputTopic("dead-letters", new ByteArrayDeserializer(), new ByteArrayDeserializer());
            buffer = d.getKeyValueStore(ScoringTopology.BUFFER_STORE);
        }

        void send(String id, Instant eventTime) {
            in.pipeInput(id, features(id, eventTime), T0);
        }

        @Override
        public void close() {
            d.close();
        }
    }

    static ModalityFeatures features(String id, Instant eventTime) {
        return ModalityFeatures.newBuilder(ScoringTopologyTest.features(id, "acoustic", 0.5f, 0.1f, 0.2f, 0.3f, 0.4f))
                .setEventTime(eventTime).build();
    }

    static Bytes seq(long n) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(n).array());
    }

    static String header(TestRecord<byte[], byte[]> r, String name) {
        return r.headers().lastHeader(name) == null ? null
                : new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    static Map<String, Integer> counts(List<ModalityScore> scores) {
        Map<String, Integer> n = new HashMap<>();
        scores.forEach(s -> n.merge(s.getEventId(), 1, Integer::sum));
        return n;
    }

    /**
     * At-least-once. The flush deletes its dead letters from the changelogged buffer before it forwards them; when
     * the forward then fails (the registry is down while the dead letter's features are serialized), the stream
     * thread fails, as it should, but the record has already left the buffer (its changelog tombstone is sent, the
     * input offset was committed long ago): after the thread is replaced and the buffer restored, it is neither
     * scored nor dead-lettered. Silently lost.
     */
    @Test
    void aDeadLetterWhoseForwardFailsStaysInTheBufferToBeRetried() throws Exception {
        try (Driver d = new Driver("at_least_once", 64)) {
            // A record an older release buffered (restored from the changelog) that the flush must dead-letter.
            d.buffer.put(seq(1_000_000L), features("restored-bad", Instant.ofEpochMilli(-1)));
            d.send("e0", T0);

            registryDown.set(true);
            Throwable failure = null;
            try {
                d.d.advanceWallClockTime(Duration.ofMillis(6)); // the linger flush
            } catch (RuntimeException e) {
                failure = e;
            }
            assertThat(failure).as("registry trouble fails the stream thread").isNotNull();

            // What the thread that replaces this one restores: the record must still be there, to be retried.
            assertThat(d.buffer.get(seq(1_000_000L)))
                    .as("the record whose dead letter could not be written is still buffered").isNotNull();
        }
    }

    /**
     * The same loss end to end: the registry comes back and the next flush (the batch fills) scores e0 and e1, but
     * the restored bad record is never dead-lettered; the changelog (what a replacement thread restores) holds its
     * tombstone.
     */
    @Test
    void aDeadLetterWhoseForwardFailedIsWrittenOnceTheRegistryIsBack() throws Exception {
        try (Driver d = new Driver("at_least_once", 2)) {
            d.buffer.put(seq(1_000_000L), features("restored-bad", Instant.ofEpochMilli(-1)));
            d.send("e0", T0);
            registryDown.set(true);
            try {
                d.d.advanceWallClockTime(Duration.ofMillis(6));
            } catch (RuntimeException expected) {
                // the thread fails; the replacement retries
            }
            registryDown.set(false);
            d.send("e1", T0); // fills the batch of 2: a flush with the registry back

            TestOutputTopic<byte[], byte[]> changelog = d.d.createOutputTopic("s-score-acoustic-score-buffer-changelog",
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TestRecord<byte[], byte[]>> tombstones = changelog.readRecordsToList().stream()
                    .filter(r -> java.util.Arrays.equals(r.key(), seq(1_000_000L).get()) && r.value() == null).toList();

            assertThat(counts(d.out.readValuesToList())).isEqualTo(Map.of("e0", 1, "e1", 1));
            assertThat(letters(d))
                    .as("restored-bad is dead-lettered once the registry is back (its changelog tombstones: %d)",
                            tombstones.size())
                    .contains("restored-bad out_of_range");
        }
    }

    /** Every dead letter, as "key reason" (and "(no value)" when it has none), in order. */
    static List<String> letters(Driver d) {
        return d.dead.readRecordsToList().stream().map(r -> (r.key() == null ? "<no key>" : new String(r.key(),
                StandardCharsets.UTF_8)) + " " + header(r, DeadLetterReason.HEADER) + (r.value() == null ? " (no value)" : ""))
                .toList();
    }

    /**
     * A flush that process() runs (the batch is full) and that fails at a forward for a reason other than the
     * registry (here the score serializer refuses e1's score once). Before the review's fix this reached the
     * processing handler as the failure of the record being processed: e1, already in the buffer, was dead-lettered
     * and scored, and e0's score, forwarded before the failure, was forwarded again at the next flush, under
     * exactly-once too. A score the serializer refuses is taken as the record's own fault (serialization is
     * deterministic): e1 is dead-lettered once, with the reason latefuse gives, and never scored; nothing is repeated.
     */
    @Test
    void aFlushFailingInsideProcessDoesNotBlameTheRecordThatFilledTheBatchNorRepeatScores() throws Exception {
        try (Driver d = new Driver("exactly_once_v2", 2)) {
            unwritableScores.add("e1");
            d.send("e0", T0);
            d.send("e1", T0); // fills the batch: the flush writes e0's score, then fails on e1's
            unwritableScores.clear();
            d.send("e2", T0);
            d.send("e3", T0);
            d.d.advanceWallClockTime(Duration.ofMillis(6));

            Map<String, Integer> scored = counts(d.out.readValuesToList());
            List<String> dead = letters(d);
            assertThat(scored).as("each score written once (dead letters: %s)", dead)
                    .isEqualTo(Map.of("e0", 1, "e2", 1, "e3", 1));
            assertThat(dead).as("e1 dead-lettered once by latefuse, with its reason").containsOnlyOnce("e1 processing_error");
            assertThat(d.buffer.approximateNumEntries()).isZero();
        }
    }

    /**
     * The same with a score the serializer always refuses (e1's): every later record that fills a batch is
     * dead-lettered for it, none is ever scored, the buffer never empties, and e0 is re-scored at every flush
     * (issue 27's symptom, through the forward instead of the model).
     */
    @Test
    void aScoreThatCannotBeWrittenCostsOnlyItself() throws Exception {
        try (Driver d = new Driver("exactly_once_v2", 2)) {
            unwritableScores.add("e1");
            for (int i = 0; i < 6; i++) {
                d.send("e" + i, T0);
            }
            d.d.advanceWallClockTime(Duration.ofMillis(6));
            d.d.advanceWallClockTime(Duration.ofMillis(6));

            Map<String, Integer> scored = counts(d.out.readValuesToList());
            List<String> dead = letters(d);
            long buffered = d.buffer.approximateNumEntries();
            assertThat(scored).as("scores written (dead letters: %s; still buffered: %d)", dead, buffered)
                    .isEqualTo(Map.of("e0", 1, "e2", 1, "e3", 1, "e4", 1, "e5", 1));
        }
    }

    /**
     * A linger flush (the punctuator) that fails the same way: the processing handler is called without a record,
     * writes a dead letter with no key and no value (nothing to replay, naming no record) at every linger, and e0,
     * forwarded before the failure, is forwarded again at each one.
     */
    @Test
    void aFailingLingerFlushNeitherRepeatsScoresNorWritesEmptyDeadLetters() throws Exception {
        try (Driver d = new Driver("exactly_once_v2", 64)) {
            unwritableScores.add("e1");
            d.send("e0", T0);
            d.send("e1", T0);
            for (int i = 0; i < 3; i++) {
                d.d.advanceWallClockTime(Duration.ofMillis(6));
            }
            Map<String, Integer> scored = counts(d.out.readValuesToList());
            List<String> dead = letters(d);
            assertThat(dead).as("dead letters (scores written: %s)", scored).doesNotContain("<no key> processing_error (no value)");
            assertThat(scored).isEqualTo(Map.of("e0", 1));
        }
    }
}
