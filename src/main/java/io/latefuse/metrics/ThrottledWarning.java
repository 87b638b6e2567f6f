package io.latefuse.metrics;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A warning about something that may happen many times a second (a client flooding the HTTP server): logged the
 * first time, then at most once per period, with how many times it happened meanwhile.
 */
final class ThrottledWarning {
    private final Logger log;
    private final String what;
    private final long periodNanos;
    private final AtomicInteger times = new AtomicInteger();
    private final AtomicLong nextAt = new AtomicLong(System.nanoTime());

    ThrottledWarning(Logger log, String what, Duration period) {
        this.log = log;
        this.what = what;
        this.periodNanos = period.toNanos();
    }

    void happened() {
        times.incrementAndGet();
        long now = System.nanoTime();
        long due = nextAt.get();
        if (now - due >= 0 && nextAt.compareAndSet(due, now + periodNanos)) {
            log.warn("{} ({} time(s) since the last such warning)", what, times.getAndSet(0));
        }
    }
}
