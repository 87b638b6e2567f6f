package io.latefuse.quality;

import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.GroundTruth;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.QualityRevision;
import io.latefuse.avro.ScoreType;
import io.latefuse.avro.internal.JudgedPrediction;
import io.latefuse.avro.internal.QualityEvent;
import io.latefuse.avro.internal.QualityOutcome;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The quality app's schemas, frozen: the contracts (GroundTruth, FusionQuality) and its state and outcomes
 * (QualityEvent, QualityOutcome). Each schema equals its frozen copy, and bytes written when it was frozen still
 * decode to the same record. A change must be BACKWARD-compatible for the contracts (a new field with a default), and
 * bump {@link QualityStateSerde#FORMAT} for the state, with a new frozen copy and fixture beside the old ones.
 */
class QualityContractsTest {
    static final Path DIR = Path.of("src/test/resources/quality");

    static GroundTruth groundTruth() {
        return GroundTruth.newBuilder().setEventId("fixture-1").setLabel("directed")
                .setLabelledAt(Instant.ofEpochMilli(1_767_225_600_000L)).setSource("annotator-7").build();
    }

    static FusionQuality fusionQuality() {
        return FusionQuality.newBuilder().setSubset("acoustic+lexical").setRevision(QualityRevision.LAST)
                .setWindowStart(Instant.ofEpochMilli(1_767_222_000_000L))
                .setWindowEnd(Instant.ofEpochMilli(1_767_225_600_000L)).setEvents(40).setCorrect(36)
                .setAccuracy(0.9).setEce(0.0425).setPositiveClass("directed").setPositives(20).setNegatives(20)
                .setFalseRejects(3).setFalseAccepts(1).setFrr(0.15).setFar(0.05).setMeanWaitMs(212.5).build();
    }

    static QualityEvent qualityEvent() {
        JudgedPrediction first = JudgedPrediction.newBuilder().setRevision(0).setPredicted("undirected")
                .setConfidence(0.625f).setDecision("undirected").setSubset("acoustic").setWaitMs(480).build();
        ModalityScore s = ModalityScore.newBuilder().setEventId("fixture-1").setModality("acoustic").setModel("am")
                .setModelVersion("7").setScores(List.of(0.375f, 0.625f)).setScoreType(ScoreType.PROBABILITY)
                .setEventTime(Instant.ofEpochMilli(1_767_225_600_000L)).build();
        return QualityEvent.newBuilder().setEventId("fixture-1").setExpiresAt(1_767_830_400_000L).setFirst(first)
                .setLast(first).setScores(new ArrayList<>(List.of(s))).setTruth(null).setJudged(false).build();
    }

    static QualityOutcome qualityOutcome() {
        return QualityOutcome.newBuilder().setEventId("fixture-1").setKind("first").setRevision(0)
                .setSubset("acoustic").setPredicted("undirected").setTruth("directed").setConfidence(0.625f)
                .setDecision("undirected").setWaitMs(480).setJudgedAt(1_767_225_660_000L).build();
    }

    private static void assertFrozen(Schema current, String frozenFile) throws Exception {
        Path frozen = DIR.resolve(frozenFile);
        assertThat(frozen).exists();
        assertThat(SchemaNormalization.toParsingForm(current)).as(current.getName() + " differs from " + frozen)
                .isEqualTo(SchemaNormalization.toParsingForm(new Schema.Parser().parse(frozen.toFile())));
    }

    private static <T extends SpecificRecord> T readContract(Class<T> type, Schema writer, byte[] bytes)
            throws Exception {
        io.latefuse.registry.TrustedAvroClasses.trust(type);
        Schema reader = org.apache.avro.specific.SpecificData.get().getSchema(type);
        return new SpecificDatumReader<T>(writer, reader).read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    }

    @Test
    void theContractsAreFrozenAndTheirFixturesStillDecode() throws Exception {
        assertFrozen(GroundTruth.getClassSchema(), "GroundTruth-v1.avsc");
        assertFrozen(FusionQuality.getClassSchema(), "FusionQuality-v1.avsc");
        // Written in the frozen schemas: what a producer of the first release wrote decodes under the current one.
        Schema gt = new Schema.Parser().parse(DIR.resolve("GroundTruth-v1.avsc").toFile());
        assertThat(readContract(GroundTruth.class, gt, Files.readAllBytes(DIR.resolve("ground-truth-v1.bin"))))
                .isEqualTo(groundTruth());
        Schema fq = new Schema.Parser().parse(DIR.resolve("FusionQuality-v1.avsc").toFile());
        assertThat(readContract(FusionQuality.class, fq, Files.readAllBytes(DIR.resolve("fusion-quality-v1.bin"))))
                .isEqualTo(fusionQuality());
        // The schemas in schemas/ are the ones the classes were generated from.
        assertThat(SchemaNormalization.toParsingForm(new Schema.Parser().parse(Path.of("schemas/GroundTruth.avsc").toFile())))
                .isEqualTo(SchemaNormalization.toParsingForm(GroundTruth.getClassSchema()));
    }

    @Test
    void theStateIsFrozenAndItsFixturesStillDecode() throws Exception {
        assertFrozen(QualityEvent.getClassSchema(), "QualityEvent-v1.avsc");
        assertFrozen(QualityOutcome.getClassSchema(), "QualityOutcome-v1.avsc");
        assertThat(new QualityStateSerde<>(QualityEvent.class).deserializer()
                .deserialize("changelog", Files.readAllBytes(DIR.resolve("quality-event-v1.bin"))))
                .isEqualTo(qualityEvent());
        assertThat(new QualityStateSerde<>(QualityOutcome.class).deserializer()
                .deserialize("repartition", Files.readAllBytes(DIR.resolve("quality-outcome-v1.bin"))))
                .isEqualTo(qualityOutcome());
    }

    @Test
    void stateInAnotherFormatIsRefusedNotMisread() {
        byte[] bytes = new QualityStateSerde<>(QualityOutcome.class).serializer().serialize("t", qualityOutcome());
        bytes[1] = 2;
        assertThatThrownBy(() -> new QualityStateSerde<>(QualityOutcome.class).deserializer().deserialize("t", bytes))
                .isInstanceOf(io.latefuse.streams.VersionedStateSerde.StateFormatException.class)
                .hasMessageContaining("QualityOutcome in t is not in format 1");
    }
}
