package io.latefuse.metrics;

import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Liveness from Kafka Streams' state and its stream threads' {@code last-poll-seconds-ago}. */
class LivenessTest {
    private static final Duration MAX = Duration.ofMinutes(5);

    private static MetricName lastPoll(String clientId) {
        return new MetricName("last-poll-seconds-ago", "consumer-metrics", "", Map.of("client-id", clientId));
    }

    private static Metric value(double v) {
        return new Metric() {
            @Override
            public MetricName metricName() {
                return null;
            }

            @Override
            public Object metricValue() {
                return v;
            }
        };
    }

    private final Map<MetricName, Metric> metrics = new HashMap<>();

    private void polled(String client, double secondsAgo) {
        metrics.put(lastPoll(client), value(secondsAgo));
    }

    @Test
    void aRestoreOrARebalanceIsAliveWhileTheThreadsPoll() {
        polled("app-1-StreamThread-1-consumer", 2);
        polled("app-1-StreamThread-2-consumer", -1); // not polled yet
        for (State s : new State[] {State.CREATED, State.REBALANCING, State.RUNNING, State.PENDING_SHUTDOWN}) {
            assertThat(Liveness.of(s, metrics, MAX).alive()).as(s.name()).isTrue();
        }
    }

    @Test
    void aThreadSilentPastMaxPollIntervalIsWedgedAndNamed() {
        polled("app-1-StreamThread-1-consumer", 3);
        polled("app-1-StreamThread-2-consumer", 301);
        Liveness.Verdict v = Liveness.of(State.RUNNING, metrics, MAX);
        assertThat(v.alive()).isFalse();
        assertThat(v.reason()).contains("app-1-StreamThread-2-consumer").contains("301 s").contains("300000 ms");
        assertThat(Liveness.of(State.REBALANCING, metrics, MAX).alive()).isFalse();
    }

    @Test
    void consumersThatPollOnlyAtTimesAreNotJudged() {
        // The restore consumer polls only while a restore runs; the global and admin clients are not stream threads.
        polled("app-1-StreamThread-1-restore-consumer", 10_000);
        polled("app-1-global-consumer", 10_000);
        polled("app-1-StreamThread-1-consumer", 1);
        assertThat(Liveness.of(State.RUNNING, metrics, MAX).alive()).isTrue();
    }

    @Test
    void failedOrStoppedStreamsAreNotAlive() {
        polled("app-1-StreamThread-1-consumer", 1);
        assertThat(Liveness.of(State.ERROR, metrics, MAX)).extracting(Liveness.Verdict::alive).isEqualTo(false);
        assertThat(Liveness.of(State.PENDING_ERROR, metrics, MAX).alive()).isFalse();
        assertThat(Liveness.of(State.NOT_RUNNING, metrics, MAX).reason()).contains("stopped");
    }
}
