package io.latefuse.progress;

/**
 * How far the brokers' clock may run behind this app's, learned from the records read: a record stamped by its
 * broker at B (LogAppendTime) and polled here at W was appended no later than W on this app's clock, so a broker
 * clock behind by s gives W - B of at least s. The least W - B over the records polled in the last two windows is
 * thus an upper bound on s (when the clocks agree, it is the fastest delivery, a few ms).
 * <p>
 * A caught-up partition counts as read to the time its end offset was asked for (this app's clock); deadlines are
 * write times on the brokers' clock. Holding the first back by this bound keeps a broker clock behind from making
 * deadlines fire early. A broker clock ahead only makes them fire late, and write times are capped at the time a
 * score is read, so it needs nothing.
 * <p>
 * With no LogAppendTime record in the last two windows, the last bound stands. Thread-safe: every stream thread's
 * consumer reports to one instance.
 */
public final class BrokerClock {
    private final long windowMs;
    private long windowStart = Long.MIN_VALUE;
    private long current = Long.MAX_VALUE;
    private long previous = Long.MAX_VALUE;
    private volatile long behind;

    public BrokerClock(long windowMs) {
        this.windowMs = windowMs;
    }

    /** Records polled at {@code polledAt} (this app's clock), the least of whose polledAt - timestamp is {@code leastLag}. */
    synchronized void observed(long polledAt, long leastLag) {
        if (windowStart == Long.MIN_VALUE || polledAt - windowStart >= windowMs) {
            previous = polledAt - windowStart >= 2 * windowMs ? Long.MAX_VALUE : current;
            current = Long.MAX_VALUE;
            windowStart = polledAt;
        }
        current = Math.min(current, leastLag);
        behind = Math.max(0, Math.min(current, previous));
    }

    /** How far, at most, the brokers' clock runs behind this app's: 0 unless a record said otherwise. */
    public long behindMs() {
        return behind;
    }
}
