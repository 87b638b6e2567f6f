package io.latefuse.cli;

/**
 * Events at a fixed rate, by the clock: event {@code i} (from 0) is due {@code i / rate} seconds after the start, so
 * the first is due at once and, {@code t} seconds in, {@code floor(rate * t) + 1} events are due. A sender sends
 * every event due, then sleeps until the next one is: the rate holds however coarse its sleep is (a sleep of at
 * least a millisecond once capped {@code produce --rate} near 1,000 events per second), and a sender that fell
 * behind catches up. Pure: the times are given, in nanoseconds from any origin.
 */
public final class Pacer {
    private final double rate;
    private final long startNanos;

    /**
     * @param rate       events per second, finite and greater than 0
     * @param startNanos when event 0 is due
     */
    public Pacer(double rate, long startNanos) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate " + rate + " is not a number of events per second greater than 0");
        }
        this.rate = rate;
        this.startNanos = startNanos;
    }

    /** When event {@code index} is due: the first nanosecond at or after {@code index / rate} seconds in. */
    public long dueAt(long index) {
        long offset = (long) Math.ceil(index * 1e9 / rate); // at most Long.MAX_VALUE, for a tiny rate
        return offset > Long.MAX_VALUE - Math.max(startNanos, 0) ? Long.MAX_VALUE : startNanos + offset;
    }

    /** How many events are due at {@code nowNanos}: those with {@code dueAt(i) <= nowNanos}. */
    public long due(long nowNanos) {
        long elapsed = nowNanos - startNanos;
        if (elapsed < 0) {
            return 0;
        }
        // An estimate in floating point, made exact against dueAt, so that the two never disagree.
        long n = (long) Math.floor(rate * elapsed / 1e9) + 1;
        while (n > 0 && dueAt(n - 1) > nowNanos) {
            n--;
        }
        while (dueAt(n) <= nowNanos) {
            n++;
        }
        return n;
    }
}
