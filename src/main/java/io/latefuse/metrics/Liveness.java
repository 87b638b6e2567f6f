package io.latefuse.metrics;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

import java.time.Duration;
import java.util.Map;

/**
 * Whether the app is alive, for a liveness probe: not whether it serves (that is readiness, RUNNING), but whether it
 * is not wedged. A restore or a rebalance that takes minutes is alive: every stream thread keeps polling its
 * consumer through both. The app is wedged when Kafka Streams has failed ({@code ERROR}, or stopped without being
 * asked), or when a stream thread has not polled for longer than {@code max.poll.interval.ms}, past which Kafka
 * itself takes the thread's partitions away. Read from Kafka's own {@code last-poll-seconds-ago} metric of each
 * stream thread's consumer.
 */
public final class Liveness {
    /** A stream thread's main consumer: {@code <client id>-StreamThread-<n>-consumer}. */
    private static final String MAIN_CONSUMER_SUFFIX = "-consumer";

    /** The answer, and why. */
    public record Verdict(boolean alive, String reason) {}

    private final KafkaStreams streams;
    private final Duration maxSilence;

    /**
     * @param maxSilence how long a stream thread may go without polling: the main consumer's
     *                   {@code max.poll.interval.ms}
     */
    public Liveness(KafkaStreams streams, Duration maxSilence) {
        this.streams = streams;
        this.maxSilence = maxSilence;
    }

    public Verdict check() {
        return of(streams.state(), streams.metrics(), maxSilence);
    }

    /** The verdict for Kafka Streams in {@code state} with these client metrics. */
    static Verdict of(KafkaStreams.State state, Map<MetricName, ? extends Metric> metrics, Duration maxSilence) {
        switch (state) {
            case ERROR, PENDING_ERROR -> {
                return new Verdict(false, "Kafka Streams is " + state);
            }
            case NOT_RUNNING -> {
                return new Verdict(false, "Kafka Streams has stopped");
            }
            case PENDING_SHUTDOWN -> {
                // Closing on a signal: the process ends by itself within the close timeout.
                return new Verdict(true, "Kafka Streams is closing");
            }
            default -> { }
        }
        double maxSeconds = maxSilence.toMillis() / 1000.0;
        for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            MetricName name = e.getKey();
            String client = name.tags().getOrDefault("client-id", "");
            if (!name.name().equals("last-poll-seconds-ago") || !name.group().equals("consumer-metrics")
                    || !client.contains("-StreamThread-") || !client.endsWith(MAIN_CONSUMER_SUFFIX)
                    || client.endsWith("-restore-consumer")) {
                continue;
            }
            Object value = e.getValue().metricValue();
            // -1 until the first poll.
            if (value instanceof Number n && n.doubleValue() > maxSeconds) {
                return new Verdict(false, client + " last polled " + n.longValue() + " s ago, more than "
                        + "max.poll.interval.ms (" + maxSilence.toMillis() + " ms)");
            }
        }
        return new Verdict(true, "Kafka Streams is " + state);
    }
}
