package io.latefuse.bench;

import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark harness on the real broker and registry, small: it must judge what it measures correctly, or its
 * tables mean nothing. The full benchmark (`latefuse bench`) stays out of the build; this keeps it from rotting.
 */
@ExtendWith(RealKafka.class)
class BenchRunnerIT {
    private static final List<String> THREE = List.of("acoustic", "lexical", "prosody");

    @Test
    void backlogAndLiveAreJudgedForEveryKind(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        try (BenchRunner runner = new BenchRunner(new BenchRunner.Settings(env.bootstrapServers(), env.registryUrl(), dir, 3,
                Duration.ofMillis(300), Duration.ofMillis(25), Duration.ofMillis(100), 600, "log_odds", false, Map.of()),
                new PrintStream(java.io.OutputStream.nullOutputStream()))) {
            check(runner);
        }
    }

    private static void check(BenchRunner runner) throws Exception {
        List<Variant> variants = Variant.select(List.of("passthrough-alos", "serde-passthrough-alos",
                "latefuse-memory-alos", "dsl-memory-alos"));

        // Backlog, every modality present, twice, interleaved: the passthrough forwards every score once; the serde
        // passthrough decodes every score and writes one prediction per event; latefuse (event-time deadlines, a
        // replay) and the DSL both fuse every event once with all three modalities.
        List<VariantResult> runs = runner.backlog(variants, new BenchWorkload(600, THREE, 0, 0, 3), 2);
        assertThat(runs).extracting(VariantResult::variant).containsExactly("passthrough-alos", "serde-passthrough-alos",
                "latefuse-memory-alos", "dsl-memory-alos", "passthrough-alos", "serde-passthrough-alos",
                "latefuse-memory-alos", "dsl-memory-alos");
        assertThat(runs).extracting(VariantResult::repetition).containsExactly(1, 1, 1, 1, 2, 2, 2, 2);
        assertThat(runs).allSatisfy(r -> assertThat(r.correct()).as(r.variant() + " #" + r.repetition()).isEqualTo(600));
        Map<String, VariantResult> backlog = byName(runs.subList(0, 4));
        VariantResult pass = backlog.get("passthrough-alos");
        assertThat(pass.outputs()).isEqualTo(1_800);
        assertThat(pass.correct()).isEqualTo(600);
        assertThat(backlog.get("serde-passthrough-alos").outputs()).isEqualTo(600);
        VariantResult fused = backlog.get("latefuse-memory-alos");
        assertThat(fused.outputs()).isEqualTo(600);
        assertThat(fused.correct()).isEqualTo(600);
        assertThat(fused.eventsPerSecond()).isPositive();
        assertThat(backlog.get("dsl-memory-alos").answered()).isEqualTo(600);

        // Live, with missing and late modalities: latefuse answers every event exactly once (revision 0); its
        // revisions are extra, labelled outputs. Those with a missing modality wait for the deadline.
        BenchWorkload live = new BenchWorkload(400, THREE, 0.1, 0.05, 5);
        Map<String, VariantResult> results = byName(runner.live(variants.subList(2, 3), live, 100, 0, "input", "", 1));
        VariantResult r = results.get("latefuse-memory-alos");
        assertThat(r.lost()).isZero();
        assertThat(r.duplicated()).isZero();
        assertThat(r.answered()).isEqualTo(400);
        assertThat(r.outputs()).isEqualTo(400 + r.revisions());
        assertThat(r.partialWait().count()).isPositive();
        assertThat(r.partialWait().p50()).as("a degraded answer waits for max.wait").isGreaterThanOrEqualTo(250);
    }

    /**
     * The Flink variant, from target/latefuse-flink.jar in its own JVM, judged as latefuse is: on a replay (event-time
     * deadlines, exactly-once, RocksDB) every event fused once with all three modalities; live (processing-time
     * deadlines) every event answered once, revisions as extra labelled outputs, the partial ones at the deadline.
     */
    @Test
    void theFlinkVariantIsJudgedAsLatefuseIs(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        try (BenchRunner runner = new BenchRunner(new BenchRunner.Settings(env.bootstrapServers(), env.registryUrl(), dir, 3,
                Duration.ofMillis(300), Duration.ofMillis(25), Duration.ofMillis(100), 600, "log_odds", false, Map.of()),
                new PrintStream(java.io.OutputStream.nullOutputStream()))) {
            VariantResult backlog = runner.backlog(Variant.select(List.of("flink-rocksdb-eos")),
                    new BenchWorkload(600, THREE, 0, 0, 3), 1).get(0);
            assertThat(backlog.correct()).isEqualTo(600);
            assertThat(backlog.outputs()).isEqualTo(600);
            assertThat(backlog.steadyEventsPerSecond()).isPositive();

            BenchWorkload live = new BenchWorkload(400, THREE, 0.1, 0.05, 5);
            VariantResult r = runner.live(Variant.select(List.of("flink-memory-eos")), live, 100, 0, "input", "", 1).get(0);
            assertThat(r.variant()).isEqualTo("flink-memory-eos");
            assertThat(r.lost()).isZero();
            assertThat(r.duplicated()).isZero();
            assertThat(r.answered()).isEqualTo(400);
            assertThat(r.revisions()).as("late scores revise their events").isPositive();
            assertThat(r.outputs()).isEqualTo(400 + r.revisions());
            assertThat(r.partialWait().p50()).as("a degraded answer waits for max.wait").isGreaterThanOrEqualTo(250);
        }
    }

    private static Map<String, VariantResult> byName(List<VariantResult> results) {
        return results.stream().collect(Collectors.toMap(VariantResult::variant, Function.identity()));
    }
}
