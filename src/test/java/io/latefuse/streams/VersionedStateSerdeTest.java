package io.latefuse.streams;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.avro.internal.EventState;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** State values carry a format version; what the previous release wrote restores, and nothing is mis-read. */
class VersionedStateSerdeTest {
    private final VersionedStateSerde<EventState> serde = new VersionedStateSerde<>(EventState.class);

    /** The state in the fixtures, as format 0 (0.1, unversioned) and format 1 wrote it. */
    private static EventState fixture() {
        ModalityScore a = ModalityScore.newBuilder().setEventId("fixture-1").setModality("acoustic").setModel("am")
                .setModelVersion("7").setScores(List.of(0.75f, 0.25f)).setScoreType(ScoreType.PROBABILITY)
                .setConfidence(0.9f).setEventTime(Instant.ofEpochMilli(1_767_225_600_000L))
                .setEmbedding(List.of(0.5f, -1.25f)).setAttributes(Map.of("label", "directed")).build();
        ModalityScore b = ModalityScore.newBuilder().setEventId("fixture-1").setModality("lexical").setModel("lm")
                .setModelVersion("3").setScores(List.of(1.5f, -0.5f)).setScoreType(ScoreType.LOGIT)
                .setEventTime(Instant.ofEpochMilli(1_767_225_600_040L)).build();
        return new EventState("fixture-1", 1_767_225_600_000L, 1_767_225_600_003L, 1_767_225_600_503L, -1,
                new java.util.ArrayList<>(List.of(a, b)), false, null, null, null, null);
    }

    @Test
    void stateWrittenByThePreviousReleaseRestores() throws Exception {
        // Bytes written by latefuse 0.1's unversioned PlainAvroSerde, kept as a fixture.
        byte[] previous = Files.readAllBytes(Path.of("src/test/resources/state/event-state-v0.bin"));
        assertThat(previous[0] & 1).as("a format-0 value begins with an even byte").isZero();
        assertThat(serde.deserializer().deserialize("changelog", previous)).isEqualTo(fixture());
    }

    @Test
    void stateInFormat1Restores() throws Exception {
        // Bytes written in format 1 (versioned, before EventState had 'settled'), kept as a fixture.
        byte[] format1 = Files.readAllBytes(Path.of("src/test/resources/state/event-state-v1.bin"));
        assertThat(format1[1]).isEqualTo((byte) 1);
        assertThat(serde.deserializer().deserialize("changelog", format1)).isEqualTo(fixture());
    }

    @Test
    void stateInFormat2RestoresWithNoLastPrediction() throws Exception {
        // Bytes written in format 2 (before EventState kept the last prediction), of an event emitted at revision 0
        // and not settled, kept as a fixture. Event lookup then shows no scores for it.
        byte[] format2 = Files.readAllBytes(Path.of("src/test/resources/state/event-state-v2.bin"));
        assertThat(format2[1]).isEqualTo((byte) 2);
        EventState emitted = fixture();
        emitted.setRevision(0);
        EventState read = serde.deserializer().deserialize("changelog", format2);
        assertThat(read).isEqualTo(emitted);
        assertThat(read.getScores()).isNull();
        assertThat(read.getDegradedReason()).isNull();
    }

    /** The emitted DEGRADED event both format-3 fixtures hold (decision only in the later layout). */
    private static EventState format3Fixture(String decision) {
        ModalityScore s = ModalityScore.newBuilder().setEventId("fixture-1").setModality("acoustic").setModel("m")
                .setModelVersion("1").setScores(List.of(0.7f, 0.3f)).setScoreType(ScoreType.PROBABILITY)
                .setEventTime(Instant.ofEpochMilli(1_767_225_600_000L)).build();
        return new EventState("fixture-1", 1_767_225_600_000L, 1_767_225_600_003L, 1_767_225_600_503L, 0,
                new java.util.ArrayList<>(List.of(s)), false, List.of(0.7f, 0.3f), "no score of lexical was read",
                decision, null);
    }

    @Test
    void stateInFormat3RestoresInBothLayoutsItShippedWith() throws Exception {
        // Format 3 shipped first without EventState.decision (f5eeeee), then with it appended under the same number
        // (8538d7a): state of the first layout failed every task at init() with an EOFException. Both are fixtures.
        byte[] first = Files.readAllBytes(Path.of("src/test/resources/state/event-state-v3.bin"));
        byte[] later = Files.readAllBytes(Path.of("src/test/resources/state/event-state-v3-decision.bin"));
        assertThat(first[1]).isEqualTo((byte) 3);
        assertThat(later[1]).isEqualTo((byte) 3);
        assertThat(serde.deserializer().deserialize("changelog", first)).isEqualTo(format3Fixture(null));
        assertThat(serde.deserializer().deserialize("changelog", later)).isEqualTo(format3Fixture("accept"));
    }

    @Test
    void stateInFormat4RestoresWithoutWhatItsLastPredictionWasMadeWith() throws Exception {
        byte[] format4 = Files.readAllBytes(Path.of("src/test/resources/state/event-state-v4.bin"));
        assertThat(format4[1]).isEqualTo((byte) 4);
        EventState read = serde.deserializer().deserialize("changelog", format4);
        assertThat(read).isEqualTo(format3Fixture("accept"));
        assertThat(read.getEmittedWith()).isNull();
    }

    @Test
    void theStateSchemasAreTheFrozenSchemasOfTheCurrentFormat() throws Exception {
        // A field added to a state class (or to ModalityScore, which EventState holds) changes what the stores hold:
        // bump VersionedStateSerde.CURRENT, keep the old layout as <Class>-v<n>.avsc with a fixture written in it,
        // and freeze the new one here.
        for (org.apache.avro.Schema current : List.of(EventState.getClassSchema(), ModalityFeatures.getClassSchema())) {
            Path frozen = Path.of("src/test/resources/state/" + current.getName() + "-v" + VersionedStateSerde.CURRENT + ".avsc");
            assertThat(frozen).as("the frozen layout of state format " + VersionedStateSerde.CURRENT).exists();
            org.apache.avro.Schema was = new org.apache.avro.Schema.Parser().parse(frozen.toFile());
            assertThat(org.apache.avro.SchemaNormalization.toParsingForm(current))
                    .as(current.getName() + "'s layout differs from state format " + VersionedStateSerde.CURRENT
                            + " as frozen in " + frozen + ": bump the format")
                    .isEqualTo(org.apache.avro.SchemaNormalization.toParsingForm(was));
        }
    }

    @Test
    void everyValueCarriesTheCurrentFormatAndRoundTrips() {
        EventState emitted = fixture();
        emitted.setRevision(1);
        emitted.setScores(List.of(0.8f, 0.2f));
        emitted.setDegradedReason("lexical was never read");
        assertThat(serde.deserializer().deserialize("changelog", serde.serializer().serialize("changelog", emitted)))
                .isEqualTo(emitted);
        byte[] bytes = serde.serializer().serialize("changelog", fixture());
        assertThat(bytes[0]).isEqualTo(VersionedStateSerde.MARKER);
        assertThat(bytes[1]).isEqualTo((byte) VersionedStateSerde.CURRENT);
        assertThat(serde.deserializer().deserialize("changelog", bytes)).isEqualTo(fixture());

        VersionedStateSerde<ModalityFeatures> features = new VersionedStateSerde<>(ModalityFeatures.class);
        ModalityFeatures f = ModalityFeatures.newBuilder().setEventId("e1").setModality("acoustic")
                .setValues(List.of(1f, 2f)).setEventTime(Instant.ofEpochMilli(5)).build();
        assertThat(features.deserializer().deserialize("t", features.serializer().serialize("t", f))).isEqualTo(f);
    }

    @Test
    void unreadableStateFailsTheStreamThreadInsteadOfDeadLetteringTheRecord() {
        DeadLetterProcessingHandler handler = new DeadLetterProcessingHandler();
        handler.configure(Map.of(org.apache.kafka.streams.StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "dlq"));
        Exception unreadable = new org.apache.kafka.streams.errors.StreamsException(
                new VersionedStateSerde.StateFormatException("EventState state in pending is in format 9"));
        byte[] value = {0, 0, 0, 0, 1};
        // The handler logs the failure at ERROR, as it should in production; here it is expected and asserted.
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger)
                org.slf4j.LoggerFactory.getLogger(DeadLetterProcessingHandler.class);
        ch.qos.logback.classic.Level level = log.getLevel();
        log.setLevel(ch.qos.logback.classic.Level.OFF);
        org.apache.kafka.streams.errors.ProcessingExceptionHandler.Response response;
        try {
            response = handler.handleError(RegistryTroubleIsRetriedTest.context(value),
                    new org.apache.kafka.streams.processor.api.Record<>("e1", value, 0L), unreadable);
        } finally {
            log.setLevel(level);
        }
        assertThat(response.result())
                .isEqualTo(org.apache.kafka.streams.errors.ProcessingExceptionHandler.Result.FAIL);
        assertThat(response.deadLetterQueueRecords()).isEmpty();
    }

    @Test
    void aFormatFromANewerReleaseOrBytesLatefuseDidNotWriteAreRefusedNotMisRead() {
        byte[] newer = serde.serializer().serialize("changelog", fixture());
        newer[1] = (byte) (VersionedStateSerde.CURRENT + 1);
        assertThatThrownBy(() -> serde.deserializer().deserialize("pending-changelog", newer))
                .isInstanceOf(VersionedStateSerde.StateFormatException.class)
                .hasMessageContaining("format " + (VersionedStateSerde.CURRENT + 1))
                .hasMessageContaining("newer latefuse").hasMessageContaining("pending-changelog");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", new byte[] {3, 1, 2}))
                .isInstanceOf(VersionedStateSerde.StateFormatException.class).hasMessageContaining("begins with byte 3");
        byte[] truncated = java.util.Arrays.copyOf(serde.serializer().serialize("t", fixture()), 20);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", truncated))
                .isInstanceOf(VersionedStateSerde.StateFormatException.class).hasMessageContaining("cannot be read");
    }
}
