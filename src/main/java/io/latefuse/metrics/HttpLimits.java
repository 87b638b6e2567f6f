package io.latefuse.metrics;

import java.time.Duration;

/**
 * What {@link MetricsServer} grants a client.
 *
 * @param requestTime how long a request line and headers may take to arrive, from their first byte; a client that
 *                    is slower is disconnected without an answer, so that it frees the thread reading it
 * @param answerTime  how long {@code /metrics}, {@code /events} and the app's other routes may take to answer, the
 *                    sending included (a client that does not read its answer is disconnected after it)
 * @param readers     threads that read requests and answer {@code /health}: as many half-sent requests as this,
 *                    and no fewer, delay {@code /health}, by {@code requestTime} at most each
 * @param workers     threads that answer everything but {@code /health}. More than one: an event lookup may wait
 *                    on another instance (its owner) while that instance's lookup waits on this one, and a scrape
 *                    must not queue behind either
 */
public record HttpLimits(Duration requestTime, Duration answerTime, int readers, int workers) {
    /** 5 s to send a request, 30 s to be answered, 16 readers, 4 workers. */
    public static final HttpLimits DEFAULT = new HttpLimits(Duration.ofSeconds(5), Duration.ofSeconds(30), 16, 4);

    public HttpLimits {
        if (requestTime.isNegative() || requestTime.isZero() || answerTime.isNegative() || answerTime.isZero()) {
            throw new IllegalArgumentException("the time to send a request and to answer it must be positive: "
                    + requestTime + ", " + answerTime);
        }
        if (readers < 1 || workers < 1) {
            throw new IllegalArgumentException("the HTTP server needs at least one reader and one worker thread: "
                    + readers + ", " + workers);
        }
    }
}
