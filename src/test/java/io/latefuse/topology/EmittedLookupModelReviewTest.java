package io.latefuse.topology;

import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.metrics.FusionTelemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * EventStores.emitted(id, now) against the range read it must equal (fetch(id, from, MAX), latest window start) on
 * the same store, under random remember / lookup+rewrite / clock jumps (forward and back) / re-init over the same
 * stores / legacy entries moved in, on both store types. From a review of a point-lookup-per-bucket version of the
 * lookup (issue 29), which this proved wrong twice and which was reverted: on RocksDB, whose window keys order by id
 * before time, the latest bucket read back at init was too low after the clock stepped back; and entries written
 * under another late.retention (another bucket size) fell between the buckets visited.
 */
class EmittedLookupModelReviewTest {

    static final class Task implements AutoCloseable {
        final long retentionMs;
        final MockProcessorContext<Object, Object> context;
        final KeyValueStore<String, EventState> pending;
        final WindowStore<String, EventState> emitted;
        final KeyValueStore<Bytes, byte[]> deadlines;
        final KeyValueStore<String, EventState> legacy;
        final File dir;
        EventStores stores;

        Task(PipelineConfig.StoreType type, long retentionMs) throws Exception {
            this.retentionMs = retentionMs;
            dir = Files.createTempDirectory("emitted-review").toFile();
            context = new MockProcessorContext<>(new Properties(), new TaskId(0, 0), dir);
            PipelineConfig.StoreType memory = PipelineConfig.StoreType.MEMORY;
            pending = FusionTopology.pendingStore(memory).withLoggingDisabled().withCachingDisabled().build();
            emitted = FusionTopology.emittedStore(type, Duration.ofMillis(retentionMs)).withLoggingDisabled().build();
            deadlines = FusionTopology.deadlineIndexStore(memory).build();
            legacy = FusionTopology.legacyFinishedStore(memory).withLoggingDisabled().build();
            for (StateStore s : List.<StateStore>of(pending, emitted, deadlines, legacy)) {
                s.init(context.getStateStoreContext(), s);
                context.addStateStore(s);
            }
            reinit();
        }

        /** A task initialized again over the same stores (a new processor instance, as after a rebalance). */
        void reinit() {
            stores = new EventStores(retentionMs, new FusionTelemetry(new SimpleMeterRegistry()));
            stores.init(context);
        }

        /** What the lookup returned before the change. */
        EventStores.Emitted oldLookup(String id, long now) {
            long bucketMs = FusionTopology.emittedBucketMs(retentionMs);
            long from = Math.max(0, Saturating.add(now, -(retentionMs + bucketMs)));
            EventStores.Emitted found = null;
            try (WindowStoreIterator<EventState> it = emitted.fetch(id, from, Long.MAX_VALUE)) {
                while (it.hasNext()) {
                    KeyValue<Long, EventState> e = it.next();
                    if (found == null || e.key >= found.at()) {
                        found = new EventStores.Emitted(e.key, e.value);
                    }
                }
            }
            return found;
        }

        @Override
        public void close() {
            emitted.close();
        }
    }

    static EventState state(String id, long emittedAt, int revision) {
        return new EventState(id, emittedAt, emittedAt, emittedAt + 1_000, revision, new ArrayList<>(), false, null,
                null, null, null);
    }

    static String describe(EventStores.Emitted e) {
        return e == null ? "null" : e.at() + ":" + e.state().getEventId() + "/r" + e.state().getRevision();
    }

    void run(long seed, PipelineConfig.StoreType type) throws Exception {
        Random r = new Random(seed);
        long[] retentions = {80_000, 1_001, 7, 100_003, 400_000};
        long retentionMs = retentions[r.nextInt(retentions.length)];
        long b = FusionTopology.emittedBucketMs(retentionMs);
        List<String> log = new ArrayList<>();
        log.add("retention " + retentionMs + " bucket " + b + " " + type);
        try (Task t = new Task(type, retentionMs)) {
            long now = 50 * b + r.nextInt((int) Math.min(Integer.MAX_VALUE, 10 * b));
            for (int step = 0; step < 80; step++) {
                int op = r.nextInt(12);
                String id = "e" + (char) ('a' + r.nextInt(8));
                if (op < 3) {
                    log.add("remember " + id + " at " + now);
                    t.stores.remember(state(id, now, 0), now);
                } else if (op < 6) {
                    EventStores.Emitted expected = t.oldLookup(id, now);
                    EventStores.Emitted actual = t.stores.emitted(id, now);
                    log.add("lookup " + id + " at " + now + " -> " + describe(actual) + " (old: " + describe(expected) + ")");
                    assertThat(describe(actual)).as(String.join("\n", log)).isEqualTo(describe(expected));
                    if (actual != null && r.nextBoolean()) {
                        log.add("rewrite " + id + " at " + actual.at());
                        t.stores.rewrite(new EventStores.Emitted(actual.at(),
                                state(id, actual.state().getFirstArrival(), actual.state().getRevision() + 1)));
                    }
                } else if (op < 9) {
                    int kind = r.nextInt(4);
                    long delta = kind == 0 ? r.nextInt((int) Math.min(Integer.MAX_VALUE, 3 * b + 1))
                            : kind == 1 ? -r.nextInt((int) Math.min(Integer.MAX_VALUE, 6 * b + 1))
                            : kind == 2 ? (r.nextBoolean() ? 1 : -1) * (long) r.nextInt(25) * b
                            : r.nextInt(20);
                    now = Math.max(0, now + delta);
                    log.add("clock -> " + now);
                } else if (op == 9) {
                    log.add("reinit");
                    t.reinit();
                } else if (op == 10) {
                    // a 0.1/0.2 'finished' entry, with its forget time as the timer, moved in at the next init
                    long emittedAt = Math.max(0, now - r.nextInt((int) Math.min(Integer.MAX_VALUE, 2 * retentionMs + 1)));
                    EventState s = state(id, emittedAt, 0);
                    s.setTimer(emittedAt + retentionMs);
                    log.add("legacy " + id + " emitted at " + emittedAt + ", reinit");
                    t.legacy.put(id, s);
                    t.reinit();
                }
                // op 11: nothing (a pending-only event)
            }
        }
    }

    @Property(tries = 300)
    void inMemoryLookupMatchesTheRangeRead(@ForAll long seed) throws Exception {
        run(seed, PipelineConfig.StoreType.MEMORY);
    }

    @Property(tries = 300)
    void rocksDbLookupMatchesTheRangeRead(@ForAll long seed) throws Exception {
        run(seed, PipelineConfig.StoreType.ROCKSDB);
    }

    /**
     * RocksDB: the window store's keys are [event id][time], so backwardFetchAll's first entry is the greatest id of
     * the newest segment, not its latest time. A segment spans several buckets: latestBucket is read too low at init,
     * and after the clock stepped back a lookup stops short of an entry the range read finds.
     */
    @Test
    void rocksDbReinitReadsTheLatestBucketTooLowAfterTheClockSteppedBack() throws Exception {
        long retentionMs = 80_000; // buckets of 10 s; keep 90 s, segments of 60 s
        try (Task t = new Task(PipelineConfig.StoreType.ROCKSDB, retentionMs)) {
            t.stores.remember(state("z", 120_000, 0), 120_000); // bucket 120 s, segment [120 s, 180 s)
            t.stores.remember(state("a", 150_000, 0), 150_000); // bucket 150 s, same segment
            t.reinit(); // latestBucket: the first entry backwardFetchAll returns
            long now = 100_000; // the wall clock stepped back
            assertThat(describe(t.stores.emitted("a", now))).isEqualTo(describe(t.oldLookup("a", now)));
        }
    }

    /**
     * late.retention changed between two runs over the same state: the entries written before are kept under the
     * old buckets, which the new bucket steps never visit; the range read finds them.
     */
    @Test
    void entriesUnderAnotherBucketSizeAreMissed() throws Exception {
        try (Task t = new Task(PipelineConfig.StoreType.MEMORY, 80_000)) { // buckets of 10 s
            t.stores.remember(state("e1", 205_000, 0), 205_000); // kept under 200 s
            EventStores changed = new EventStores(88_000, new FusionTelemetry(new SimpleMeterRegistry())); // 11 s
            changed.init(t.context);
            long now = 210_000;
            EventStores.Emitted found = changed.emitted("e1", now);
            long from = Math.max(0, now - (88_000 + 11_000));
            EventStores.Emitted old = null;
            try (WindowStoreIterator<EventState> it = t.emitted.fetch("e1", from, Long.MAX_VALUE)) {
                while (it.hasNext()) {
                    KeyValue<Long, EventState> e = it.next();
                    old = new EventStores.Emitted(e.key, e.value);
                }
            }
            assertThat(describe(found)).isEqualTo(describe(old));
        }
    }

    /**
     * The same through FusionProcessor on a RocksDB emitted store (as in production with store.type rocksdb): two
     * events answered 30 s apart, the task initialized again, the wall clock 55 s back: the late score of the later
     * one must revise it (revision 1); with the bucket lookup it finds nothing and starts a new wait.
     */
    @Test
    void rocksDbLateScoreAfterReinitAndClockStepBackIsNotARevision() throws Exception {
        lateScoreAfterReinitAndClockStepBack(PipelineConfig.StoreType.ROCKSDB);
    }

    /** Control: the same sequence on the in-memory store passes. */
    @Test
    void inMemoryLateScoreAfterReinitAndClockStepBackIsARevision() throws Exception {
        lateScoreAfterReinitAndClockStepBack(PipelineConfig.StoreType.MEMORY);
    }

    private void lateScoreAfterReinitAndClockStepBack(PipelineConfig.StoreType type) throws Exception {
        PipelineConfig config = io.latefuse.config.PipelineConfigLoader.parse(FusionDriver.BASE.formatted("emitted-review")
                .replace("late.retention: 1h", "late.retention: 80s") + "deadline.clock: processing_time\n", "test",
                java.util.Map.of());
        File dir = Files.createTempDirectory("emitted-review").toFile();
        long t0 = FusionDriver.T0.toEpochMilli(); // a multiple of 60 s: segments of 60 s start there
        MockProcessorContext<String, org.apache.avro.specific.SpecificRecord> context =
                new MockProcessorContext<>(new Properties(), new TaskId(0, 0), dir);
        context.setCurrentSystemTimeMs(t0);
        context.setCurrentStreamTimeMs(t0);
        PipelineConfig.StoreType memory = PipelineConfig.StoreType.MEMORY;
        List<StateStore> all = List.of(
                FusionTopology.pendingStore(memory).withLoggingDisabled().withCachingDisabled().build(),
                FusionTopology.emittedStore(type, config.lateRetention()).withLoggingDisabled().build(),
                FusionTopology.deadlineIndexStore(memory).build(),
                FusionTopology.legacyFinishedStore(memory).withLoggingDisabled().build());
        for (StateStore s : all) {
            s.init(context.getStateStoreContext(), s);
            context.addStateStore(s);
        }
        long[] offset = {0};
        java.util.function.Supplier<FusionProcessor> start = () -> {
            FusionProcessor p = new FusionProcessor(config, new io.latefuse.fusion.EventFusion(config,
                    io.latefuse.fusion.FusionStrategies.create(config)), new FusionTelemetry(new SimpleMeterRegistry()),
                    new ScriptedInputProgress(context::currentSystemTimeMs));
            p.init(context);
            return p;
        };
        java.util.function.BiConsumer<FusionProcessor, io.latefuse.avro.ModalityScore> process = (p, score) -> {
            context.setRecordMetadata(config.modalities().get(config.modalityIndex(score.getModality())).topic(), 0,
                    offset[0]++);
            p.process(new org.apache.kafka.streams.processor.api.Record<>(score.getEventId(), score,
                    score.getEventTime().toEpochMilli()));
        };
        java.util.function.Consumer<Long> punctuate = wall -> {
            context.setCurrentSystemTimeMs(wall);
            var ps = context.scheduledPunctuators();
            ps.get(ps.size() - 1).getPunctuator().punctuate(wall);
        };
        FusionProcessor p = start.get();
        for (var e : List.of(new Object[] {"z", 125_000L}, new Object[] {"a", 155_000L})) {
            context.setCurrentSystemTimeMs(t0 + (Long) e[1]);
            process.accept(p, FusionDriver.score((String) e[0], "acoustic", 0.9f));
            process.accept(p, FusionDriver.score((String) e[0], "lexical", 0.9f));
            punctuate.accept(t0 + (Long) e[1] + 310);
        }
        assertThat(context.forwarded(FusionTopology.SINK)).hasSize(2);
        context.resetForwards();

        FusionProcessor again = start.get(); // the task initialized again over the same stores
        context.setCurrentSystemTimeMs(t0 + 100_000); // the wall clock stepped back 55 s
        process.accept(again, FusionDriver.score("a", "prosody", 0.1f));
        assertThat(context.forwarded(FusionTopology.SINK)).as("the late score revises the answer of 'a'")
                .singleElement().satisfies(f ->
                        assertThat(((io.latefuse.avro.FusedPrediction) f.record().value()).getRevision()).isEqualTo(1));
        all.get(1).close();
    }
}
