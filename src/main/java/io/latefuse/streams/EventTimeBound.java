package io.latefuse.streams;

import io.latefuse.config.Durations;

import java.time.Duration;
import java.time.Instant;

/**
 * Which {@code event_time}s latefuse accepts: from 1970 to {@code event.time.max.future} ahead of the wall clock.
 * An accepted event_time becomes the timestamp of changelog and output records, so the bound keeps every such
 * record inside what the broker accepts ({@code log.message.timestamp.after.max.ms}, 1 h by default) and what Kafka's
 * producer accepts at all (no negative timestamp). The fusion app and the scorer check it at the door, with one text.
 */
public final class EventTimeBound {
    private final Duration maxFuture;
    private final long maxFutureMs;

    public EventTimeBound(Duration maxFuture) {
        this.maxFuture = maxFuture;
        this.maxFutureMs = maxFuture.toMillis();
    }

    public boolean accepts(long eventTimeMs, long wallNowMs) {
        return eventTimeMs >= 0 && eventTimeMs <= (wallNowMs > Long.MAX_VALUE - maxFutureMs ? Long.MAX_VALUE : wallNowMs + maxFutureMs);
    }

    /** Why {@code eventTime} is refused at {@code wallNowMs}, as the end of a dead letter's detail; null if accepted. */
    public String problem(Instant eventTime, long wallNowMs) {
        long ms;
        try {
            ms = eventTime.toEpochMilli();
        } catch (ArithmeticException e) {
            ms = eventTime.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        if (ms < 0) {
            return "event_time " + eventTime + " is before 1970";
        }
        if (!accepts(ms, wallNowMs)) {
            return "event_time " + eventTime + " is more than event.time.max.future (" + Durations.format(maxFuture)
                    + ") ahead of the clock (" + Instant.ofEpochMilli(wallNowMs) + ")";
        }
        return null;
    }
}
