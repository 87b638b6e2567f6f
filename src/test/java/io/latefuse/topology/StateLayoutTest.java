package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.latefuse.topology.FusionDriver.T0;
import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The state layout: a deadline index that is derived from {@code pending} and rebuilt, emitted events that expire
 * with their window store's segments, and emitted events that an earlier release kept in its {@code finished} store.
 */
class StateLayoutTest {

    private static PipelineConfig config(String retention) {
        return PipelineConfigLoader.parse(FusionDriver.BASE.formatted("layout")
                .replace("late.retention: 1h", "late.retention: " + retention), "test", Map.of());
    }

    private static List<String> emittedIds(ProcessorHarness h) {
        List<String> ids = new ArrayList<>();
        try (var it = h.emitted.all()) {
            it.forEachRemaining(kv -> ids.add(kv.key.key()));
        }
        return ids;
    }

    private static int storedArrivals(ProcessorHarness h) {
        int n = 0;
        try (var it = h.emitted.all()) {
            while (it.hasNext()) {
                n += it.next().value.getArrivals().size();
            }
        }
        return n;
    }

    @Test
    void aCompleteEventLeavesOneEmittedEntryAndNoTimers() {
        ProcessorHarness h = new ProcessorHarness(config("10m"));
        for (String m : List.of("acoustic", "lexical", "prosody")) {
            h.process(score("e1", m, 0.9f));
        }
        assertThat(h.predictions()).singleElement().satisfies(p -> assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE));
        assertThat(h.pending.approximateNumEntries()).isZero();
        assertThat(h.deadlines.approximateNumEntries()).as("no timer: not for the deadline, not for forgetting").isZero();
        assertThat(emittedIds(h)).containsExactly("e1");
    }

    @Test
    void anEventAnsweredWithEveryModalityKeepsNoScoresAndLaterScoresAreDuplicates() {
        ProcessorHarness h = new ProcessorHarness(config("10m"));
        for (String m : List.of("acoustic", "lexical", "prosody")) {
            h.process(score("e1", m, 0.9f));
        }
        // Answered without the optional visual, which may still revise it: its scores are kept.
        assertThat(storedArrivals(h)).isEqualTo(3);
        h.process(score("e1", "visual", 0.9f));
        List<EventState> kept = new ArrayList<>();
        try (var it = h.emitted.all()) {
            it.forEachRemaining(kv -> kept.add(kv.value));
        }
        assertThat(kept).singleElement().satisfies(s -> {
            assertThat(s.getSettled()).isTrue();
            assertThat(s.getArrivals()).isEmpty();
            assertThat(s.getRevision()).isEqualTo(1);
        });
        h.process(score("e1", "lexical", 0.1f));
        assertThat(h.predictions()).extracting(FusedPrediction::getRevision).containsExactly(0, 1);
        assertThat(h.deadLetters()).isEmpty();
        assertThat(h.telemetry.registry().get("latefuse.duplicates").counter().count()).isEqualTo(1);
    }

    @Test
    void aLateScoreOfAModalityAddedSinceTheEventWasSettledIsDeadLetteredAndADuplicateIsNot() {
        // Settled under a config of three modalities: answered with every one of them, it keeps no scores.
        PipelineConfig three = PipelineConfigLoader.parse(FusionDriver.BASE.formatted("layout")
                .replace("  - {name: visual, required: false}\n", ""), "test", Map.of());
        ProcessorHarness before = new ProcessorHarness(three);
        for (String m : List.of("acoustic", "lexical", "prosody")) {
            before.process(score("e1", m, 0.9f));
        }
        try (var it = before.emitted.all()) {
            assertThat(it.next().value).satisfies(s -> {
                assertThat(s.getSettled()).isTrue();
                assertThat(s.getEmittedWith()).containsExactly("acoustic", "lexical", "prosody");
            });
        }
        before.processor.close();
        // The config adds visual: its late score cannot revise the event, and says so instead of being a duplicate.
        ProcessorHarness after = new ProcessorHarness(config("10m"), before);
        assertThatThrownBy(() -> after.process(score("e1", "visual", 0.9f)))
                .isInstanceOfSatisfying(io.latefuse.streams.InvalidScoreException.class, e -> {
                    assertThat(e.reason()).isEqualTo(io.latefuse.streams.DeadLetterReason.LATE);
                    assertThat(e.getMessage()).contains("modality 'visual', added to the config since")
                            .contains("(acoustic, lexical, prosody)");
                });
        after.process(score("e1", "acoustic", 0.1f)); // a true duplicate
        assertThat(after.telemetry.registry().get("latefuse.duplicates").counter().count()).isEqualTo(1);
        assertThat(after.predictions()).isEmpty();
    }

    @Test
    void underOnChangeTheEmittedEntryKeepsWhatTheLastEmittedPredictionWasMadeWith() {
        PipelineConfig onChange = PipelineConfigLoader.parse(FusionDriver.BASE.formatted("layout")
                + "revision.policy: on_change\nrevision.min.delta: 0.5\n", "test", Map.of());
        ProcessorHarness h = new ProcessorHarness(onChange);
        h.process(score("e1", "acoustic", 0.9f));
        h.process(score("e1", "prosody", 0.9f));
        h.setWall(1_000);
        h.punctuate(); // revision 0: DEGRADED, lexical missing
        h.process(score("e1", "lexical", 0.9f)); // agrees: changes too little, no revision
        assertThat(h.predictions()).extracting(FusedPrediction::getRevision).containsExactly(0);
        try (var it = h.emitted.all()) {
            assertThat(it.next().value).satisfies(s -> {
                assertThat(s.getArrivals()).hasSize(3);
                assertThat(s.getEmittedWith()).containsExactly("acoustic", "prosody");
            });
        }
    }

    @Test
    void anEmittedEventTakesRevisionsWithinLateRetentionAndIsForgottenAfterIt() {
        ProcessorHarness h = new ProcessorHarness(config("1s"));
        for (String e : List.of("e1", "e2")) {
            for (String m : List.of("acoustic", "lexical", "prosody")) {
                h.process(score(e, m, 0.9f));
            }
        }
        h.setWall(500);
        h.process(score("e1", "visual", 0.2f));
        assertThat(h.predictions()).filteredOn(p -> p.getEventId().equals("e1")).extracting(FusedPrediction::getRevision)
                .containsExactly(0, 1);

        // 1.6 s after e2 was emitted, a score for it starts a new event, as late.retention documents.
        h.setWall(1_600);
        h.process(score("e2", "visual", 0.2f));
        h.setWall(1_910);
        h.punctuate();
        assertThat(h.predictions()).filteredOn(p -> p.getEventId().equals("e2")).extracting(FusedPrediction::getRevision)
                .containsExactly(0, 0);
    }

    @Test
    void onceAnEventIsEmittedAndForgottenTheStoresHoldNothingForIt() {
        ProcessorHarness h = new ProcessorHarness(config("1s"));
        h.process(score("e1", "acoustic", 0.9f));
        h.setWall(310);
        h.punctuate(); // e1 degraded at its deadline
        assertThat(emittedIds(h)).containsExactly("e1");

        // Well past late.retention (and its eighth), another emission moves the store's time on, and the segment
        // that held e1 is dropped whole.
        h.setWall(2_500);
        for (String m : List.of("acoustic", "lexical", "prosody")) {
            h.process(score("e2", m, 0.9f));
        }
        assertThat(emittedIds(h)).containsExactly("e2");
        assertThat(h.pending.get("e1")).isNull();
        assertThat(h.pending.approximateNumEntries()).isZero();
        assertThat(h.deadlines.approximateNumEntries()).isZero();
        assertThat(h.legacyFinished.approximateNumEntries()).isZero();
    }

    @Test
    void theDeadlineIndexIsRebuiltFromPendingWhenATaskMovesToAnInstanceWithoutIt() {
        ProcessorHarness first = new ProcessorHarness(config("10m"));
        first.process(score("e1", "acoustic", 0.9f));
        var changelogs = first.snapshot();

        // A new instance restores the changelogged stores; the index, which has no changelog, starts empty.
        ProcessorHarness second = new ProcessorHarness(config("10m"));
        second.processor.close();
        second.restore(changelogs);
        second.processor.init(second.context);
        assertThat(second.deadlines.approximateNumEntries()).isEqualTo(1);
        second.setWall(310);
        second.punctuate();
        assertThat(second.predictions()).singleElement().satisfies(p -> {
            assertThat(p.getEventId()).isEqualTo("e1");
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
        });
        assertThat(second.deadlines.approximateNumEntries()).isZero();
    }

    @Test
    void aRestoredTaskReadsItsStoresNotTheStateObjectsItHeldBefore() {
        ProcessorHarness h = new ProcessorHarness(config("10m"));
        h.process(score("e1", "acoustic", 0.9f));
        var committed = h.snapshot();
        h.process(score("e1", "lexical", 0.8f)); // in a transaction that then aborts

        h.processor.close();
        h.restore(committed);
        h.processor.init(h.context);
        h.setWall(310);
        h.punctuate();
        assertThat(h.predictions()).singleElement().satisfies(p -> assertThat(p.getPresent()).containsExactly("acoustic"));
    }

    @Test
    void emittedEventsThatAnEarlierReleaseKeptAreMovedAndStillTakeRevisions() {
        PipelineConfig config = config("10m");
        ProcessorHarness h = new ProcessorHarness(config);
        // latefuse 0.1/0.2 kept an emitted event in 'finished' with its forget time (emission + late.retention) as
        // the timer, and a FORGET entry in its changelogged 'deadlines' index, which this release no longer reads.
        long emittedAt = T0.toEpochMilli() - 60_000;
        EventState old = new EventState("old", T0.toEpochMilli(), emittedAt - 300, emittedAt + 600_000, 0,
                new ArrayList<>(List.of(score("old", "acoustic", 0.9f), score("old", "lexical", 0.8f))), false, null, null, null,
                null);
        h.legacyFinished.put("old", old);
        h.processor.close();
        h.processor.init(h.context);
        assertThat(h.legacyFinished.approximateNumEntries()).as("the old store is emptied").isZero();
        assertThat(emittedIds(h)).containsExactly("old");

        h.process(score("old", "prosody", 0.7f));
        assertThat(h.predictions()).singleElement().satisfies(p -> {
            assertThat(p.getRevision()).isEqualTo(1);
            assertThat(p.getPresent()).containsExactly("acoustic", "lexical", "prosody");
        });
    }

    /**
     * Under exactly-once with transactional stores, the RocksDB emitted store leaves its offset to Kafka Streams'
     * checkpoint file, written at a clean close (TransactionalStoresIT); otherwise, and in memory, it is Kafka's own.
     */
    @Test
    @SuppressWarnings("deprecation")
    void theEmittedStoreOnRocksDbIsCheckpointedAtCloseOnlyUnderTransactionalStores() {
        java.time.Duration retention = java.time.Duration.ofMinutes(10);
        assertThat(FusionTopology.emittedStore(PipelineConfig.StoreType.ROCKSDB, retention, true).build().managesOffsets())
                .isFalse();
        assertThat(FusionTopology.emittedStore(PipelineConfig.StoreType.ROCKSDB, retention, false).build().managesOffsets())
                .isTrue();
        assertThat(FusionTopology.emittedStore(PipelineConfig.StoreType.MEMORY, retention, true).build().persistent())
                .as("in memory: restored in full at every start, checkpointed or not").isFalse();
    }
}
