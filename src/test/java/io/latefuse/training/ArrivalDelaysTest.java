package io.latefuse.training;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** What advise computes from the times scores were written. */
class ArrivalDelaysTest {
    @Test
    void delaysCountFromTheEventsFirstScoreAndWhatNeverCameIsApart() {
        Map<String, long[]> written = new LinkedHashMap<>();
        // 100 events 1 s apart: a at its start, b 0..99 ms after, c missing from every tenth event.
        for (int e = 0; e < 100; e++) {
            long t = 1_000L * e;
            written.put("e" + e, new long[] {t + 5, t + 5 + e, e % 10 == 0 ? -1 : t}); // c is first when it comes
        }
        written.put("late", new long[] {200_000, -1, -1}); // within the horizon of the last score: left out
        ArrivalDelays d = new ArrivalDelays(List.of("a", "b", "c"), written, 2_000);
        assertThat(d.events()).isEqualTo(100);
        assertThat(d.leftOut()).isEqualTo(1);
        assertThat(d.neverShare(2)).isEqualTo(0.1);
        assertThat(d.missingSomeShare()).isEqualTo(0.1);
        // a comes 5 ms after c where c came, and first (0) where it did not.
        assertThat(d.quantile(0, 0.5)).isEqualTo(5);
        assertThat(d.quantile(1, 0.99)).isEqualTo(5 + 98);
        // b within 54 ms: 45 events that had c (5 + e <= 54) and 6 that did not (e <= 54).
        assertThat(d.completeness(1, 54)).isCloseTo(0.51, within(1e-9));
        // Whole events: every score that came within the wait; the advice rounds up to the step.
        assertThat(d.completeness(104)).isEqualTo(1.0);
        assertThat(d.recommend(0.99, 10)).isEqualTo(110);
        // The wait an event costs: its last score's delay, or all of it when a modality never came.
        // 10 events wait 1 s; the 90 others 5 + e ms: (10 * 1000 + 4950) / 100.
        assertThat(d.meanWait(1_000)).isCloseTo(149.5, within(1e-9));
    }
}
