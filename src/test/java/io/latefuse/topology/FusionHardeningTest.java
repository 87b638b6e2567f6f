package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.streams.DeadLetterReason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;

import static io.latefuse.topology.FusionDriver.T0;
import static io.latefuse.topology.FusionDriver.header;
import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ways a prediction could be lost, a good record dead-lettered, or the app stalled (issue 11), each reproduced:
 * a task revived in place, a fusion failure among a batch, state from an older config, event times out of range,
 * the 64-modality mask, a missing embedding, a late score with an earlier event_time.
 */
class FusionHardeningTest {

    private static PipelineConfig config(String extraYaml) {
        return PipelineConfigLoader.parse(FusionDriver.merged(FusionDriver.BASE.formatted("hardening"), extraYaml), "test", Map.of());
    }

    private static String headerOf(Record<?, ?> r, String name) {
        return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    // 1. Kafka Streams may revive a task in place (TaskManager.closeDirtyAndRevive): it wipes and restores the
    //    stores, then calls init() again on the same processor instance.
    @Test
    void aTaskRevivedInPlaceEmitsTheRestoredEventAgain() {
        ProcessorHarness h = new ProcessorHarness(config(""));
        h.process(score("e1", "acoustic", 0.9f));
        var committed = h.snapshot();
        assertThat(h.pendingGauge()).isEqualTo(1);

        h.setWall(310);
        h.punctuate();
        assertThat(h.predictions()).extracting(FusedPrediction::getEventId).containsExactly("e1");

        // The transaction that held that emission aborts: the stores go back to the committed state, and the
        // output is undone with it.
        h.processor.close();
        h.restore(committed);
        h.context.resetForwards();
        h.processor.init(h.context);
        assertThat(h.pendingGauge()).as("the gauge counts what was restored").isEqualTo(1);

        h.punctuate();
        assertThat(h.predictions()).singleElement().satisfies(p -> {
            assertThat(p.getEventId()).isEqualTo("e1");
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
        });
        assertThat(h.pendingGauge()).isZero();
    }

    // 1b. With transactional state stores (KIP-892) an aborted transaction rolls the stores back to the last commit
    //     without wiping them, and Kafka Streams closes the task and calls init() again; the arrivals of the aborted
    //     transaction are then read again from the input. The processor's object cache of pending states must not
    //     keep them: a re-read score would count as a duplicate of itself, and its event would never complete.
    @Test
    void aTaskRevivedAfterAnAbortedTransactionReadsItsArrivalsAgainNotFromItsCache() {
        ProcessorHarness h = new ProcessorHarness(config(""));
        h.process(score("e1", "acoustic", 0.9f));
        var committed = h.snapshot();
        h.process(score("e1", "lexical", 0.9f)); // in the transaction that aborts

        h.processor.close();
        h.restore(committed);
        h.context.resetForwards();
        h.processor.init(h.context);

        h.process(score("e1", "lexical", 0.9f)); // read again
        // Enough other events that e1's state is no longer among the cached ones, and is read from the store.
        for (int i = 0; i < 1_100; i++) {
            h.process(score("other-" + i, "acoustic", 0.9f));
        }
        h.process(score("e1", "prosody", 0.9f));
        assertThat(h.predictions()).singleElement().satisfies(p -> {
            assertThat(p.getEventId()).isEqualTo("e1");
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
        });
        assertThat(h.pendingGauge()).as("the others").isEqualTo(1_100);
    }

    /** A linear head without softmax: acoustic's "directed" probability p gives [2p - 0.5, 1.5 - 2p], negative past 0.75. */
    private static Path headThatFailsAboveThreeQuarters(Path dir) throws Exception {
        int n = 4;
        int c = 2;
        float[][] w = new float[n * c + n][c];
        w[0] = new float[] {2f, -2f};
        Path model = dir.resolve("fragile.onnx");
        OnnxGraphs.write(OnnxGraphs.linearHead("scores", "mask", "probabilities", n, c, w, new float[] {-0.5f, 1.5f}, false),
                model);
        return model;
    }

    // 2. A fusion failure must cost only its own event, never the others due with it.
    @Test
    void aFusionFailureDeadLettersItsOwnEventAndEveryOtherEventDueWithItIsEmitted(@TempDir Path dir) throws Exception {
        Path model = headThatFailsAboveThreeQuarters(dir);
        try (FusionDriver d = new FusionDriver("strategy: onnx\nonnx.model: " + model + "\n")) {
            for (int e = 0; e < 5; e++) {
                d.send(score("good-" + e, "acoustic", 0.6f));
            }
            d.send(score("bad", "acoustic", 0.9f));
            d.send(score("bad", "visual", 0.5f));
            d.advanceWall(310); // all six are due in the same punctuation, fused as one batch

            assertThat(d.drain()).extracting(FusedPrediction::getEventId)
                    .containsExactlyInAnyOrder("good-0", "good-1", "good-2", "good-3", "good-4");
            List<TestRecord<byte[], byte[]>> dead = d.drainDeadLetters();
            assertThat(dead).as("the bad event's scores, each with its key and reason").hasSize(2).allSatisfy(r -> {
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("bad");
                assertThat(header(r, DeadLetterReason.HEADER)).isEqualTo("fusion_failed");
                assertThat(header(r, DeadLetterReason.DETAIL_HEADER)).contains("not a probability vector");
            });
            List<String> modalities = new ArrayList<>();
            for (TestRecord<byte[], byte[]> r : dead) {
                ModalityScore s = d.scoreSerde.deserializer().deserialize(d.config.deadLetterTopic(), r.value());
                modalities.add(s.getModality());
                assertThat(header(r, DeadLetterReason.TOPIC_HEADER))
                        .isEqualTo(d.config.modalities().get(d.config.modalityIndex(s.getModality())).topic());
            }
            assertThat(modalities).containsExactlyInAnyOrder("acoustic", "visual");

            // A later score for the dead-lettered event follows it, rather than starting a new event.
            d.send(score("bad", "lexical", 0.5f));
            assertThat(d.drainDeadLetters()).singleElement()
                    .satisfies(r -> assertThat(header(r, DeadLetterReason.HEADER)).isEqualTo("fusion_failed"));
            d.advanceWall(1_000);
            assertThat(d.drain()).isEmpty();

            // The same on arrival: an event that completes and cannot be fused is dead-lettered whole.
            for (String m : List.of("acoustic", "lexical", "prosody")) {
                d.send(score("bad-now", m, m.equals("acoustic") ? 0.95f : 0.5f));
                d.send(score("good-now", m, 0.5f));
            }
            assertThat(d.drain()).extracting(FusedPrediction::getEventId).containsExactly("good-now");
            assertThat(d.drainDeadLetters()).hasSize(3)
                    .allSatisfy(r -> assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("bad-now"));
            assertThat(d.telemetry.registry().get("latefuse.pending.events").gauge().value()).isZero();
        }
    }

    // 2b. A restart with a modality removed from the config: the restored state still holds its scores.
    @Test
    void stateFromAnOlderConfigDeadLettersTheRemovedModalityAndEmitsEveryEvent() {
        ProcessorHarness before = new ProcessorHarness(config(""));
        before.process(score("e1", "acoustic", 0.9f));
        before.process(score("e1", "visual", 0.8f));
        before.process(score("e2", "lexical", 0.2f));
        before.process(score("only-acoustic", "acoustic", 0.9f));

        PipelineConfig withoutAcoustic = PipelineConfigLoader.parse(FusionDriver.BASE.formatted("hardening")
                .replace("  - {name: acoustic}\n", ""), "test", Map.of());
        ProcessorHarness after = new ProcessorHarness(withoutAcoustic, before);
        assertThat(after.pendingGauge()).isEqualTo(3);
        after.setWall(310);
        after.punctuate();

        assertThat(after.predictions()).extracting(FusedPrediction::getEventId).containsExactlyInAnyOrder("e1", "e2");
        FusedPrediction e1 = after.predictions().stream().filter(p -> p.getEventId().equals("e1")).findFirst().orElseThrow();
        assertThat(e1.getPresent()).containsExactly("visual");
        assertThat(e1.getMissing()).containsExactly("lexical", "prosody");
        assertThat(after.deadLetters()).hasSize(2).allSatisfy(r -> {
            assertThat(((ModalityScore) r.value()).getModality()).isEqualTo("acoustic");
            assertThat(headerOf(r, DeadLetterReason.HEADER)).isEqualTo("unknown_modality");
            assertThat(headerOf(r, DeadLetterReason.DETAIL_HEADER)).contains("no longer configured");
        });
        assertThat(after.deadLetters()).extracting(r -> (String) r.key()).containsExactlyInAnyOrder("e1", "only-acoustic");
        assertThat(after.pendingGauge()).isZero();
        assertThat(after.pending.approximateNumEntries()).isZero();
        assertThat(after.deadlines.approximateNumEntries()).as("no timers are left").isZero();
        List<String> emitted = new ArrayList<>();
        try (var it = after.emitted.all()) {
            it.forEachRemaining(kv -> emitted.add(kv.key.key()));
        }
        assertThat(emitted).as("the emitted events, kept for late scores").containsExactlyInAnyOrder("e1", "e2");
    }

    @Test
    void aScoreOnAnotherPartitionThanItsKeyMapsToIsDeadLetteredNamingBoth() {
        // The driver reads every topic as partition 0; the topic is said to have 4. A Python producer with librdkafka's
        // default partitioner (CRC32) puts keys where Java's murmur2 does not: such a score can never meet its siblings.
        String onZero = null;
        String elsewhere = null;
        for (int i = 0; onZero == null || elsewhere == null; i++) {
            String id = "p-" + i;
            int p = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                    id.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % 4;
            if (p == 0 && onZero == null) {
                onZero = id;
            } else if (p != 0 && elsewhere == null) {
                elsewhere = id;
            }
        }
        try (FusionDriver d = new FusionDriver("")) {
            d.config.inputTopics().forEach(t -> d.progress.partitionCounts.put(t, 4));
            for (String m : List.of("acoustic", "lexical", "prosody")) {
                d.sendAt(score(onZero, m, 0.9f), T0);
            }
            d.sendAt(score(elsewhere, "acoustic", 0.9f), T0);
            assertThat(d.drain()).extracting(FusedPrediction::getEventId).containsExactly(onZero);
            List<TestRecord<byte[], byte[]>> dead = d.drainDeadLetters();
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(header(r, DeadLetterReason.HEADER)).isEqualTo("wrong_partition");
                assertThat(header(r, DeadLetterReason.DETAIL_HEADER)).contains("is on partition 0")
                        .contains("maps to partition").contains("murmur2_random");
            });
        }
        try (FusionDriver d = new FusionDriver("input.partitioner: custom\n")) {
            d.config.inputTopics().forEach(t -> d.progress.partitionCounts.put(t, 4));
            d.sendAt(score(elsewhere, "acoustic", 0.9f), T0);
            assertThat(d.drainDeadLetters()).as("a custom partitioner is not checked").isEmpty();
        }
    }

    // 3. event_time far ahead of the clock.
    @Test
    void aFarFutureEventTimeIsDeadLetteredWithTheRecordsOwnTimestamp() {
        try (FusionDriver d = new FusionDriver("")) {
            Instant nextYear = Instant.now().plus(365, ChronoUnit.DAYS);
            d.sendAt(score("future", "acoustic", 0.9f, nextYear), T0);
            d.sendAt(score("overflow", "acoustic", 0.9f, Instant.ofEpochMilli(Long.MAX_VALUE - 10)), T0);
            List<TestRecord<byte[], byte[]>> dead = d.drainDeadLetters();
            assertThat(dead).hasSize(2).allSatisfy(r -> {
                assertThat(header(r, DeadLetterReason.HEADER)).isEqualTo("out_of_range");
                assertThat(header(r, DeadLetterReason.DETAIL_HEADER)).contains("event.time.max.future");
                assertThat(r.timestamp()).as("the broker accepted this timestamp; it would refuse the event_time")
                        .isEqualTo(T0.toEpochMilli());
            });
            d.advanceWall(1_000);
            assertThat(d.drain()).isEmpty();
        }
    }

    @Test
    void onTheEventClockAFarFutureScoreDoesNotMoveStreamTime() {
        try (FusionDriver d = new FusionDriver("deadline.clock: event\n")) {
            d.send(score("e1", "acoustic", 0.9f, T0));
            d.sendAt(score("future", "acoustic", 0.9f, Instant.now().plus(365, ChronoUnit.DAYS)), T0);
            d.sendAt(score("overflow", "lexical", 0.9f, Instant.ofEpochMilli(Long.MAX_VALUE - 10)), T0);
            assertThat(d.drain()).as("e1's deadline has not passed in event time").isEmpty();
            d.send(score("e1", "lexical", 0.8f, T0.plusMillis(5)));
            d.send(score("e1", "prosody", 0.7f, T0.plusMillis(6)));
            assertThat(d.drain()).singleElement().satisfies(p -> {
                assertThat(p.getEventId()).isEqualTo("e1");
                assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
                assertThat(p.getRevision()).isZero();
            });
            assertThat(d.drainDeadLetters()).hasSize(2);
        }
    }

    // 4. The presence mask has 64 bits: 64 modalities must work exactly.
    @Test
    void sixtyFourModalitiesFuseCorrectly() {
        StringBuilder yaml = new StringBuilder();
        IntStream.range(0, 64).forEach(i -> yaml.append("  - {name: m").append(i).append("}\n"));
        String base = FusionDriver.BASE.replaceAll("(?s)modalities:.*?max.wait", "modalities:\n" + yaml + "max.wait");
        try (SixtyFour d = new SixtyFour(base)) {
            d.driver.send(score("last-first", "m63", 0.9f));
            d.driver.send(score("last-first", "m0", 0.9f)); // bit 0 is not bit 64: not a duplicate
            for (int i = 1; i < 63; i++) {
                d.driver.send(score("last-first", "m" + i, 0.9f));
            }
            FusedPrediction p = d.single();
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            assertThat(p.getPresent()).hasSize(64);
            assertThat(p.getMissing()).isEmpty();

            for (int i = 0; i < 63; i++) {
                d.driver.send(score("one-short", "m" + i, 0.9f));
            }
            assertThat(d.driver.drain()).isEmpty();
            d.driver.advanceWall(310);
            FusedPrediction degraded = d.single();
            assertThat(degraded.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(degraded.getMissing()).containsExactly("m63");
            assertThat(degraded.getPresent()).hasSize(63);
        }
    }

    /** A FusionDriver over a base config of its own. */
    private static final class SixtyFour implements AutoCloseable {
        final FusionDriver driver;

        SixtyFour(String base) {
            driver = FusionDriver.withBase(base, "");
        }

        FusedPrediction single() {
            List<FusedPrediction> out = driver.drain();
            assertThat(out).hasSize(1);
            return out.get(0);
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    // 6. A head that takes embeddings cannot fuse a score without one as zeros.
    @Test
    void aScoreWithoutAnEmbeddingForAHeadThatTakesEmbeddingsIsDeadLettered(@TempDir Path dir) throws Exception {
        int n = 4;
        int c = 2;
        int e = 3;
        float[][] w = new float[n * c + n + n * e][c];
        for (int i = 0; i < n; i++) {
            w[i * c][0] = 2f;
            w[i * c + 1][1] = 2f;
        }
        Path model = dir.resolve("embedding-head.onnx");
        OnnxGraphs.write(OnnxGraphs.embeddingHead("scores", "mask", "embeddings", "probabilities", n, c, e, w,
                new float[c]), model);
        try (FusionDriver d = new FusionDriver("strategy: onnx\nonnx.model: " + model
                + "\nfusion.level: hybrid\n")) {
            for (String m : List.of("acoustic", "lexical", "prosody")) {
                ModalityScore s = score("e1", m, 0.9f);
                s.setEmbedding(List.of(0.1f, 0.2f, 0.3f));
                d.send(s);
            }
            assertThat(d.drain()).extracting(FusedPrediction::getLabel).containsExactly("directed");

            d.send(score("no-embedding", "acoustic", 0.9f));
            assertThat(d.drainDeadLetters()).singleElement().satisfies(r -> {
                assertThat(header(r, DeadLetterReason.HEADER)).isEqualTo("missing_embedding");
                assertThat(header(r, DeadLetterReason.DETAIL_HEADER)).contains("no embedding").contains("3 values");
            });
            d.advanceWall(1_000);
            assertThat(d.drain()).as("the event never started").isEmpty();
        }
    }

    // 7. A revision over a late score with an earlier event_time.
    @Test
    void aRevisionTakesTheEarliestEventTime() {
        try (FusionDriver d = new FusionDriver("")) {
            d.send(score("e1", "acoustic", 0.9f, T0.plusMillis(100)));
            d.send(score("e1", "lexical", 0.9f, T0.plusMillis(100)));
            d.advanceWall(310);
            assertThat(d.drain()).singleElement().satisfies(p -> assertThat(p.getEventTime()).isEqualTo(T0.plusMillis(100)));
            d.send(score("e1", "prosody", 0.9f, T0));
            assertThat(d.drain()).singleElement().satisfies(p -> {
                assertThat(p.getRevision()).isEqualTo(1);
                assertThat(p.getEventTime()).isEqualTo(T0);
            });
        }
    }

    // 7. The pending-events gauge after a restart on RocksDB.
    @Test
    void thePendingGaugeCountsWhatRocksDbHoldsAfterChurnAndReopen(@TempDir Path dir) {
        PipelineConfig config = config("");
        MockProcessorContext<String, SpecificRecord> context =
                new MockProcessorContext<>(new Properties(), new TaskId(0, 0), dir.toFile());
        context.setCurrentSystemTimeMs(T0.toEpochMilli());
        KeyValueStore<String, EventState> pending = FusionTopology.pendingStore(PipelineConfig.StoreType.ROCKSDB)
                .withLoggingDisabled().withCachingDisabled().build();
        List<StateStore> others = List.of(
                FusionTopology.emittedStore(PipelineConfig.StoreType.MEMORY, config.lateRetention()).withLoggingDisabled().build(),
                FusionTopology.deadlineIndexStore(PipelineConfig.StoreType.MEMORY).build(),
                FusionTopology.legacyFinishedStore(PipelineConfig.StoreType.MEMORY).withLoggingDisabled().build());
        pending.init(context.getStateStoreContext(), pending);
        for (StateStore s : others) {
            s.init(context.getStateStoreContext(), s);
        }
        // 1,000 events arrive and 990 of them are emitted: the store's history is mostly deletions.
        for (int i = 0; i < 1_000; i++) {
            pending.put("e" + i, new EventState("e" + i, 0L, 0L, 0L, -1, new ArrayList<>(), false, null, null, null, null));
        }
        for (int i = 0; i < 990; i++) {
            pending.delete("e" + i);
        }
        pending.flush();
        pending.close(); // the instance restarts, and opens its RocksDB state again
        pending.init(context.getStateStoreContext(), pending);
        context.addStateStore(pending);
        others.forEach(context::addStateStore);

        FusionTelemetry telemetry = new FusionTelemetry(new SimpleMeterRegistry());
        new FusionProcessor(config, new EventFusion(config, FusionStrategies.create(config)), telemetry,
                new ScriptedInputProgress(context::currentSystemTimeMs)).init(context);
        assertThat(telemetry.registry().get("latefuse.pending.events").gauge().value()).isEqualTo(10);
        pending.close();
    }

    @Test
    void deadlineArithmeticSaturates() {
        assertThat(Saturating.add(Long.MAX_VALUE - 10, 300)).isEqualTo(Long.MAX_VALUE);
        assertThat(Saturating.add(1_000, 300)).isEqualTo(1_300);
        assertThat(Saturating.add(Long.MAX_VALUE, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    }
}
