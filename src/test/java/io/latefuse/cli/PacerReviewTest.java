package io.latefuse.cli;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Review of issue 27 item 9: a rate produce accepts (--rate > 0, finite) is paced, never spun on. */
class PacerReviewTest {
    @Test
    void aVeryLowRateDoesNotOverflowTheScheduleIntoABusyLoop() {
        // --rate 1e-10 passes OptionChecks.greaterThan("--rate", 0). Event 1 is due 1e19 ns after the start: more than
        // a long holds, so dueAt(1) = start + Long.MAX_VALUE, which wraps negative for any start > 0 (System.nanoTime()
        // usually is), and due() counts up "due" events forever.
        long start = 5_000_000_000L;
        Pacer p = new Pacer(1e-10, start);
        assertThat(p.dueAt(1)).as("event 1 is due after event 0").isGreaterThan(p.dueAt(0));
        long due = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> p.due(start + 1_000_000_000L));
        assertThat(due).as("one second in, only event 0 is due").isEqualTo(1);
    }
}
