package io.latefuse.topology;

import java.time.Duration;

/**
 * Which {@code event_time}s latefuse accepts: from 1970 to {@code event.time.max.future} ahead of the wall clock.
 * An accepted event_time becomes the timestamp of changelog and output records, so the bound keeps every such
 * record inside what the broker accepts ({@code log.message.timestamp.after.max.ms}, 1 h by default).
 */
public final class EventTimeBound {
    private final long maxFutureMs;

    public EventTimeBound(Duration maxFuture) {
        this.maxFutureMs = maxFuture.toMillis();
    }

    public boolean accepts(long eventTimeMs, long wallNowMs) {
        return eventTimeMs >= 0 && eventTimeMs <= Saturating.add(wallNowMs, maxFutureMs);
    }
}
