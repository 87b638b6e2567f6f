package io.latefuse.training;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * advise with an optional modality (issue 26, item 6): the app awaits an optional modality only while a required one
 * is missing, then for at most optional.wait; so its delays must not drive the advice, and the events it is absent
 * from are answered once the required scores are in, not at their deadline.
 */
class ArrivalDelaysOptionalTest {
    private static final List<String> DDSD = List.of("acoustic", "lexical", "prosody", "visual");
    private static final List<Boolean> VISUAL_OPTIONAL = List.of(true, true, true, false);

    /**
     * config/ddsd.yaml's shape: three required modalities in within 80 ms, visual optional (optional.wait 0) and late,
     * 500-898 ms, and never there for every tenth event.
     */
    private static Map<String, long[]> lateOptional() {
        Map<String, long[]> written = new LinkedHashMap<>();
        for (int e = 0; e < 200; e++) {
            long t = 10_000L + 1_000L * e;
            written.put("u" + e, new long[] {t, t + e % 50, t + e % 80, e % 10 == 0 ? -1 : t + 500 + 2L * e});
        }
        written.put("last", new long[] {1_000_000, 1_000_000, 1_000_000, -1}); // within the horizon: left out
        return written;
    }

    @Test
    void aLateOptionalModalityDoesNotDriveTheAdviceNorTheWait() {
        ArrivalDelays d = new ArrivalDelays(DDSD, VISUAL_OPTIONAL, 0, lateOptional(), 2_000);
        assertThat(d.events()).isEqualTo(200);
        assertThat(d.leftOut()).isEqualTo(1);
        assertThat(d.required(3)).isFalse();
        assertThat(d.hasOptional()).isTrue();
        // Required last delays max(e % 50, e % 80): the two largest are 79, the next two 78 (rank 198 of 200).
        assertThat(d.recommend(0.99, 10)).isEqualTo(80);
        assertThat(d.recommend(0.98, 10)).isEqualTo(80);
        // visual's delays are still there to show.
        assertThat(d.quantile(3, 0.5)).isBetween(500L, 900L);
        assertThat(d.neverShare(3)).isCloseTo(0.1, within(1e-9));
        assertThat(d.missingRequiredShare()).isZero();
        assertThat(d.missingSomeShare()).isCloseTo(0.1, within(1e-9));
        // Whole events: every required score in by 80 ms; visual's absence or lateness makes none incomplete.
        assertThat(d.completeness(79)).isEqualTo(1.0);
        assertThat(d.completeness(300)).isEqualTo(1.0);
        // With optional.wait 0, an event is answered when its last required score is in, whatever max.wait: not at
        // the deadline for the events without visual, and not at visual's arrival for the others.
        double expected = 0;
        for (int e = 0; e < 200; e++) {
            expected += Math.max(e % 50, e % 80);
        }
        expected /= 200;
        assertThat(d.meanWait(300)).isCloseTo(expected, within(1e-9));
        assertThat(d.meanWait(5_000)).isCloseTo(expected, within(1e-9));
        assertThat(d.meanWait(300)).isLessThan(80);
        // Every event is answered before its visual score arrives; none of visual's scores is in an answer.
        assertThat(d.answeredWithoutShare(3, 300)).isEqualTo(1.0);
        assertThat(d.completeness(3, 300)).isZero();
        assertThat(d.completeness(3, 5_000)).isZero();
        // A required modality's completeness is unchanged: its scores within max.wait.
        assertThat(d.completeness(2, 39)).isCloseTo(0.6, within(1e-9)); // e % 80 <= 39: 40 + 40 + 40 of 200
        assertThat(d.answeredWithoutShare(2, 300)).isZero();
    }

    @Test
    void optionalWaitHoldsAnEventAfterItsRequiredScoresUpToTheDeadline() {
        Map<String, long[]> w = new LinkedHashMap<>();
        w.put("in-time", new long[] {1_000, 1_040, 1_060});    // v within optional.wait of b: answered at v, 60
        w.put("no-v", new long[] {2_000, 2_040, -1});          // answered when optional.wait runs out: 140
        w.put("v-late", new long[] {3_000, 3_100, 3_400});     // optional.wait would end at 200: the deadline, 150
        w.put("b-never", new long[] {4_020, -1, 4_000});       // counts from v; DEGRADED at the deadline, 150
        w.put("b-late", new long[] {5_000, 5_200, 5_010});     // b past max.wait: DEGRADED at 150, v in
        w.put("end", new long[] {60_000, 60_000, 60_000});     // within the horizon: left out
        ArrivalDelays d = new ArrivalDelays(List.of("a", "b", "v"), List.of(true, true, false), 100, w, 1_000);
        assertThat(d.events()).isEqualTo(5);
        assertThat(d.leftOut()).isEqualTo(1);
        assertThat(d.optionalWaitMs()).isEqualTo(100);
        assertThat(d.meanWait(150)).isCloseTo((60 + 140 + 150 + 150 + 150) / 5.0, within(1e-9));
        // A long max.wait: no-v still gives up on v 100 ms after b; b-never alone waits it out.
        assertThat(d.meanWait(1_000)).isCloseTo((60 + 140 + 200 + 1_000 + 200) / 5.0, within(1e-9));
        // Whole events: every required score that came (b-never: a, at 20 ms) came within it; b-late's did not.
        assertThat(d.completeness(150)).isCloseTo(0.8, within(1e-9));
        assertThat(d.recommend(0.8, 10)).isEqualTo(100);
        assertThat(d.recommend(0.99, 10)).isEqualTo(200);
        assertThat(d.missingRequiredShare()).isCloseTo(0.2, within(1e-9));
        // v's scores in an answer at 150: in-time's, b-never's (first, at 0) and b-late's; not v-late's.
        assertThat(d.completeness(2, 150)).isCloseTo(0.75, within(1e-9));
        // Answered without v: no-v and v-late.
        assertThat(d.answeredWithoutShare(2, 150)).isCloseTo(0.4, within(1e-9));
        // b is required: its scores count within max.wait, as before.
        assertThat(d.completeness(1, 150)).isCloseTo(0.75, within(1e-9));
    }

    @Test
    void theTableLabelsTheOptionalModalityAndSaysItsEventsDoNotWaitOutTheirDeadline() {
        ArrivalDelays d = new ArrivalDelays(DDSD, VISUAL_OPTIONAL, 0, lateOptional(), 5_000);
        long advised = d.recommend(0.99, 10);
        String out = ArrivalDelayReport.table(d, Instant.ofEpochMilli(0), 5_000, List.of(50L, 100L, 1_000L), 300,
                advised, 0.99);
        assertThat(out).contains("Advised max.wait for 99.0% completeness: 80 ms (max.wait is now 300ms).")
                .contains("From the required modalities only (acoustic, lexical, prosody). Optional: visual")
                .containsPattern("\\n  visual \\(optional\\) +\\d+ ms +\\d+ ms +\\d+ ms +\\d+ ms +10\\.\\d%\\n")
                .containsPattern("\\n  acoustic +0 ms +0 ms +0 ms +0 ms +0\\.0%\\n")
                .contains("visual (optional): at the advised 80 ms, 100.0% of events are answered before its score "
                        + "arrives (100.0% at max.wait now), 10.0% because it never came.")
                .doesNotContain("visual never came")
                .doesNotContain("visual (optional) never came");
        assertThat(out.lines().filter(l -> l.contains("waits out its deadline"))).isEmpty();
        // The advised row: whole events all in, visual's column 0, a mean wait under 80 ms.
        assertThat(out).containsPattern("\\n  80 ms +100\\.00% +100\\.00% +100\\.00% +100\\.00% +0\\.00% +[0-7]\\d ms  <- advised\\n");
        String html = ArrivalDelayReport.html("t", d, 400, advised, 300, 0.99, out);
        assertThat(html).contains(">visual (optional)<").contains("stroke-dasharray='2 3'")
                .contains("for at most optional.wait (0ms)");
    }

    @Test
    void withEveryModalityRequiredTheTableIsAsBefore() {
        Map<String, long[]> written = new LinkedHashMap<>();
        for (int e = 0; e < 100; e++) {
            long t = 1_000L * e;
            written.put("e" + e, new long[] {t + 5, t + 5 + e, e % 10 == 0 ? -1 : t});
        }
        written.put("late", new long[] {200_000, -1, -1});
        ArrivalDelays d = new ArrivalDelays(List.of("a", "b", "c"), written, 2_000);
        assertThat(d.hasOptional()).isFalse();
        String out = ArrivalDelayReport.table(d, Instant.ofEpochMilli(0), 2_000, List.of(50L, 1_000L), 500,
                d.recommend(0.99, 10), 0.99);
        assertThat(out).contains("  modality             p50       p90       p99     p99.9  never came\n")
                .contains("  c                   0 ms      0 ms      0 ms      0 ms       10.0%\n")
                .contains("Completeness by max.wait (of the scores that came; whole events: every score that came) "
                        + "and the mean wait it costs an event:\n")
                .contains("  max.wait    whole events          a          b          c  mean wait\n")
                .contains("Advised max.wait for 99.0% completeness: 110 ms (max.wait is now 500ms).\n")
                .contains("  c never came for 10.0% of events: no max.wait waits for those, and each waits out its "
                        + "deadline.\n")
                .doesNotContain("optional");
    }
}
