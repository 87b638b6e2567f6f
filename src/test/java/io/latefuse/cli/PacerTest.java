package io.latefuse.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The produce schedule, on a given clock: no test here waits for time to pass. */
class PacerTest {
    private static final long MS = 1_000_000L;

    @Test
    void afterTMillisecondsFloorOfRateTimesTPlusTheFirstAreDue() {
        long start = 123_456_789L; // any origin
        for (long rate : new long[] {1, 3, 7, 100, 999, 1_000, 5_000, 48_000}) {
            Pacer p = new Pacer(rate, start);
            for (long t = 0; t <= 3_000; t++) {
                long expected = Math.floorDiv(rate * t, 1_000) + 1; // event 0 at once, then one each 1/rate s
                assertThat(p.due(start + t * MS)).as("rate %d, %d ms", rate, t).isEqualTo(expected);
            }
            assertThat(p.due(start - 1)).as("before the start").isZero();
        }
    }

    @Test
    void theNextEventIsDueJustWhenTheCountGoesUp() {
        for (double rate : new double[] {0.5, 1, 3, 333.3, 5_000, 1e6 / 7}) {
            Pacer p = new Pacer(rate, 0);
            for (long i = 0; i < 20_000; i += 7) {
                long at = p.dueAt(i);
                assertThat(p.due(at)).as("rate %s, event %d at its time", rate, i).isEqualTo(i + 1);
                assertThat(p.due(at - 1)).as("rate %s, a nanosecond before event %d", rate, i).isEqualTo(i);
                assertThat(at).as("rate %s, event %d's time", rate, i).isEqualTo((long) Math.ceil(i * 1e9 / rate));
            }
        }
    }

    @Test
    void fiveThousandPerSecondAreFiveThousandInASecondNotOneThousand() {
        Pacer p = new Pacer(5_000, 0);
        assertThat(p.due(1_000 * MS - 1)).isEqualTo(5_000);
        assertThat(p.due(1 * MS)).as("due in the first millisecond, sent at one wake-up").isEqualTo(6);
    }

    @Test
    void aRateMustBeAPositiveNumber() {
        for (double rate : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new Pacer(rate, 0)).as("rate %s", rate).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
