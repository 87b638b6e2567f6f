package io.latefuse.quality;

import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.QualityOutcome;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.training.LabelledScores;
import io.micrometer.core.instrument.Meter;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.latefuse.quality.QualityDriver.T0;
import static io.latefuse.quality.QualityDriver.label;
import static io.latefuse.quality.QualityDriver.prediction;
import static io.latefuse.quality.QualityDriver.score;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** Review 2 of latefuse quality: each test here failed on the change's head. */
class QualityReview2Test {
    private static final long W = Duration.ofMinutes(10).toMillis();

    private static QualityOutcome outcome(String id, long judgedAt) {
        return QualityOutcome.newBuilder().setEventId(id).setKind("first").setRevision(0).setSubset("acoustic")
                .setPredicted("directed").setTruth("directed").setConfidence(0.8f).setDecision(null).setWaitMs(100)
                .setJudgedAt(judgedAt).build();
    }

    private static MockProcessorContext<String, FusionQuality> context(KeyValueStore<Bytes, QualityOutcome> store) {
        MockProcessorContext<String, FusionQuality> ctx = new MockProcessorContext<>();
        store.init(ctx.getStateStoreContext(), store);
        ctx.addStateStore(store);
        return ctx;
    }

    private static FusionQuality allFirst(MockProcessorContext<String, FusionQuality> ctx) {
        FusionQuality last = null;
        for (var f : ctx.forwarded()) {
            FusionQuality q = f.record().value();
            if (q.getSubset().equals("all") && q.getRevision().name().equals("FIRST")) {
                last = q;
            }
        }
        return last;
    }

    /**
     * At-least-once (a supported processing.guarantee) redelivers the outcomes after the last committed offset of the
     * one-partition outcomes topic. Their store entries were already written (and changelogged), so the re-initialised
     * window rebuilds them into its tallies from the store, and then adds the redelivered record again: the event is
     * counted twice, and, since the store holds it once, it is subtracted once when it leaves, so the row never goes
     * back to 0 (a permanent drift until the next re-init). process() does not check whether the key is already held.
     */
    @Test
    void aRedeliveredOutcomeAfterReInitIsCountedOnceAndLeavesTheWindowCompletely() {
        KeyValueStore<Bytes, QualityOutcome> store = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(QualityTopology.WINDOW_STORE), Serdes.Bytes(),
                new QualityStateSerde<>(QualityOutcome.class)).withLoggingDisabled().withCachingDisabled().build();
        MockProcessorContext<String, FusionQuality> ctx = context(store);
        long t = T0.toEpochMilli();
        ctx.setCurrentSystemTimeMs(t);
        QualityWindow w1 = new QualityWindow(Duration.ofMillis(W), Duration.ofMinutes(1), null, QualityTelemetry.noop());
        w1.init(ctx);
        QualityOutcome o = outcome("e1", t);
        w1.process(new Record<>("e1", o, t));
        w1.close(); // crash before the offset commit: the store (its changelog) has the outcome

        MockProcessorContext<String, FusionQuality> ctx2 = context(store);
        ctx2.setCurrentSystemTimeMs(t + 1000);
        QualityWindow w2 = new QualityWindow(Duration.ofMillis(W), Duration.ofMinutes(1), null, QualityTelemetry.noop());
        w2.init(ctx2); // rebuilds e1 from the store
        w2.process(new Record<>("e1", o, t)); // the same record, redelivered
        w2.publish(t + 2000);
        assertThat(allFirst(ctx2).getEvents()).as("one event in the window").isEqualTo(1);
    }

    /** The same drift, seen where it lasts: after the outcome left the window the row should be back at 0. */
    @Test
    void aRedeliveredOutcomeLeavesNothingBehindOnceOutOfTheWindow() {
        KeyValueStore<Bytes, QualityOutcome> store = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(QualityTopology.WINDOW_STORE), Serdes.Bytes(),
                new QualityStateSerde<>(QualityOutcome.class)).withLoggingDisabled().withCachingDisabled().build();
        MockProcessorContext<String, FusionQuality> ctx = context(store);
        long t = T0.toEpochMilli();
        ctx.setCurrentSystemTimeMs(t);
        QualityWindow w = new QualityWindow(Duration.ofMillis(W), Duration.ofMinutes(1), null, QualityTelemetry.noop());
        w.init(ctx);
        QualityOutcome o = outcome("e1", t);
        w.process(new Record<>("e1", o, t));
        w.process(new Record<>("e1", o, t)); // at-least-once redelivery of the same record
        ctx.setCurrentSystemTimeMs(t + W + 60_000);
        w.publish(t + W + 60_000);
        FusionQuality row = allFirst(ctx);
        assertThat(row.getEvents()).as("the event left the window: nothing of it may remain").isZero();
        assertThat(row.getAccuracy()).isNull();
    }

    /**
     * The subset is documented as "the modalities present, in config order" and metric tags as bounded by the
     * 2^N - 1 subsets; Subsets.of joins present as given, so the same modalities in another order are another row
     * (and another set of gauges), and a modality repeated makes names without bound.
     */
    @Test
    void subsetsAreNamedInConfigOrderAndStayBounded() {
        try (QualityDriver d = new QualityDriver("")) {
            d.predict(prediction("e1", 0, List.of("acoustic", "lexical"), 0.8f));
            d.predict(prediction("e2", 0, List.of("lexical", "acoustic"), 0.8f));
            d.predict(prediction("e3", 0, List.of("acoustic", "acoustic", "acoustic"), 0.8f));
            d.label(label("e1", "directed"));
            d.label(label("e2", "directed"));
            d.label(label("e3", "directed"));
            d.advance(Duration.ofMinutes(1));
            Map<String, FusionQuality> rows = d.latestRows();
            Set<String> allowed = Set.of("all", "acoustic", "lexical", "prosody", "acoustic+lexical",
                    "acoustic+prosody", "lexical+prosody", "acoustic+lexical+prosody");
            Set<String> subsets = new TreeSet<>();
            rows.values().forEach(r -> subsets.add(r.getSubset()));
            Set<String> tags = new TreeSet<>();
            for (Meter m : d.meters.getMeters()) {
                String s = m.getId().getTag("subset");
                if (s != null) {
                    tags.add(s);
                }
            }
            assertThat(subsets).as("subsets published").isSubsetOf(allowed);
            assertThat(tags).as("subset tags of the gauges").isSubsetOf(allowed);
            assertThat(rows.get("acoustic+lexical/FIRST").getEvents()).as("e1 and e2 had the same modalities")
                    .isEqualTo(2);
        }
    }

    /**
     * Bad scores (NaN, wrong length) that the fusion app dead-letters are taken by the join as they are (it checks
     * only the modality), written to labelled.topic and copied by export into a file LabelledScores.read refuses:
     * one bad score spoils the whole exported file.
     */
    @Test
    void theLabelledScoresOfAJudgedEventMakeAFileLabelledScoresReadAccepts(@TempDir Path dir) throws Exception {
        try (QualityDriver d = new QualityDriver("labelled.topic: t.labelled\n")) {
            ModalityScore nan = score("e1", "acoustic", Float.NaN);
            d.scores.get("acoustic").pipeInput("e1", nan, d.now());
            ModalityScore three = score("e1", "lexical", 0.6f);
            three.setScores(List.of(0.2f, 0.3f, 0.5f));
            d.scores.get("lexical").pipeInput("e1", three, d.now());
            d.scores.get("prosody").pipeInput("e1", score("e1", "prosody", 0.7f), d.now());
            d.predict(prediction("e1", 0, List.of("acoustic", "lexical", "prosody"), 0.7f));
            d.label(label("e1", "directed"));
            List<LabelledModalityScore> out = d.labelled.readValuesToList();
            Path file = dir.resolve("labelled.avro");
            // what LabelledExport writes
            try (DataFileWriter<LabelledModalityScore> w = new DataFileWriter<>(
                    new SpecificDatumWriter<>(LabelledModalityScore.class))) {
                w.create(LabelledModalityScore.getClassSchema(), file.toFile());
                for (LabelledModalityScore l : out) {
                    w.append(l);
                }
            }
            assertThatCode(() -> LabelledScores.read(file, d.config)).doesNotThrowAnyException();
        }
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** A tombstone on the labels topic and on the output topic: dead-lettered as missing_value, and the app goes on. */
    @Test
    void tombstonesAreDeadLetteredAndTheAppGoesOn() {
        try (QualityDriver d = new QualityDriver("")) {
            d.labels.pipeInput("e1", null, d.now());
            d.predictions.pipeInput("e2", null, d.now());
            List<TestRecord<byte[], byte[]>> dead = d.deadLetterRecords();
            assertThat(dead).hasSize(2);
            assertThat(dead).allSatisfy(r -> assertThat(header(r, DeadLetterReason.HEADER)).isEqualTo("missing_value"));
            d.predict(prediction("e3", 0, List.of("acoustic"), 0.8f));
            d.label(label("e3", "directed"));
            d.advance(Duration.ofMinutes(1));
            assertThat(d.latestRows().get("all/FIRST").getEvents()).isEqualTo(1);
        }
    }
    /**
     * The bins are documented as [0, 0.1), ..., [0.9, 1] on the predicted class's probability, which every record
     * carries as a float. QualityTally.bin widens the float to double first: 0.9f is 0.89999997615814, so a
     * probability of 0.9 (and likewise 0.7) falls into the bin below. Two events at 0.9 (right) and 0.95 (wrong) share
     * the last bin: ECE = |1 - 1.85| / 2 = 0.425; binned apart the window publishes 0.525.
     */
    @Test
    void aProbabilityOfPointNineIsInTheLastBin() {
        assertThat(QualityTally.bin(0.9f)).as("0.9 is in [0.9, 1]").isEqualTo(9);
        assertThat(QualityTally.bin(0.7f)).as("0.7 is in [0.7, 0.8)").isEqualTo(7);
        try (QualityDriver d = new QualityDriver("")) {
            d.predict(prediction("a", 0, List.of("acoustic"), 0.9f)); // directed at 0.9
            d.predict(prediction("b", 0, List.of("acoustic"), 0.95f)); // directed at 0.95
            d.label(label("a", "directed"));
            d.label(label("b", "undirected"));
            d.advance(Duration.ofMinutes(1));
            assertThat(d.latestRows().get("all/FIRST").getEce()).isCloseTo(Math.abs(1 - (0.9f + 0.95f)) / 2,
                    org.assertj.core.api.Assertions.within(1e-6));
        }
    }
}
