package io.latefuse.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class BenchSummaryTest {

    private static VariantResult run(String variant, int rep, double eventsPerSecond) {
        VariantResult.Latency none = new VariantResult.Latency(0, 0, 0, 0, 0);
        return new VariantResult(variant, rep, "backlog", 10, 30, 10, 0, 10, 10, 0, 0, 0, 0, 1, eventsPerSecond, eventsPerSecond, none, none, java.util.Map.of());
    }

    @Test
    void theMedianAndRangeOfOddAndEvenCounts() {
        assertThat(BenchSummary.Spread.of(List.of(3.0, 1.0, 2.0))).isEqualTo(new BenchSummary.Spread(3, 2.0, 1.0, 3.0));
        assertThat(BenchSummary.Spread.of(List.of(4.0, 1.0, 2.0, 3.0)).median()).isEqualTo(2.5);
        assertThat(BenchSummary.Spread.of(List.of(7.0)).format("%.1f")).isEqualTo("7.0");
        assertThat(BenchSummary.Spread.of(List.of(1.0, 2.0, 4.0)).format("%.1f")).isEqualTo("2.0 (1.0-4.0)");
    }

    @Test
    void ratiosAreTakenWithinARepetitionThenSummarized() {
        // The machine was twice as fast in repetition 2: both variants moved, their ratio did not.
        List<VariantResult> runs = List.of(run("a-eos", 1, 100), run("b-eos", 1, 50),
                run("a-eos", 2, 200), run("b-eos", 2, 100), run("a-eos", 3, 90), run("b-eos", 3, 60));
        BenchSummary.Spread r = BenchSummary.ratio(runs, "a-eos", "b-eos", VariantResult::eventsPerSecond).orElseThrow();
        assertThat(r.median()).isEqualTo(2.0);
        assertThat(r.min()).isCloseTo(1.5, within(1e-9));
        assertThat(r.max()).isEqualTo(2.0);
        // Ratios of the medians would mix repetitions: 100 / 60.
        assertThat(BenchSummary.of(BenchSummary.byVariant(runs).get("a-eos"), VariantResult::eventsPerSecond).median())
                .isEqualTo(100);
        assertThat(BenchSummary.ratio(runs, "a-eos", "c-eos", VariantResult::eventsPerSecond)).isEmpty();
    }

    @Test
    void theGuaranteeIsReadBeforeAnyTag() {
        assertThat(BenchSummary.guarantee("latefuse-rocksdb-eos @processing_time")).isEqualTo("-eos");
        assertThat(BenchSummary.guarantee("serde-passthrough-alos")).isEqualTo("-alos");
    }

    /** The first 10% (start-up) and the last 10% (the tail) of the answers are left out. */
    @Test
    void steadyStateIsTheRateBetweenTheTenthAndTheNinetiethPercentileAnswer() {
        long[] appends = new long[100];
        for (int i = 0; i < 100; i++) {
            appends[i] = i < 10 ? i * 1_000L : 10_000 + (i - 10) * 10L; // a slow start, then 100 answers per second
        }
        assertThat(BenchRunner.steadyRate(appends)).isEqualTo(100.0);
    }

}
