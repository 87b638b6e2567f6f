package io.latefuse.streams;

import io.latefuse.config.PipelineConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/** How every latefuse Kafka Streams app is run and stopped: the fusion app and the scorers alike. */
public final class StreamsLifecycle {
    private static final Logger log = LoggerFactory.getLogger(StreamsLifecycle.class);

    private StreamsLifecycle() {}

    /**
     * Logs state changes, and answers a failed stream thread. A dynamic member replaces it (its tasks restore from
     * their changelogs). A static member ({@code instance.id}) stops instead, so that its orchestrator restarts it:
     * a replacement thread would be numbered anew, join as a member the group does not know (its id is
     * {@code <instance.id>-<thread number>}), and wait out its predecessor's session; and every later restart would
     * come back under the old number, unknown to the group, and rebalance. Call before {@code start()}.
     */
    public static void install(KafkaStreams streams, String name, boolean staticMember, Runnable onError) {
        streams.setStateListener((now, before) -> {
            log.info("{}: Kafka Streams state {} -> {}", name, before, now);
            if (now == KafkaStreams.State.ERROR) {
                onError.run();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            if (staticMember) {
                log.error("{}: stream thread failed; stopping, to be restarted under the same instance.id (a "
                        + "replacement thread would join the group under a new member id)", name, e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            log.error("{}: stream thread failed; replacing it", name, e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    /** {@link #install(KafkaStreams, String, boolean, Runnable)} for the app of {@code config}. */
    public static void install(KafkaStreams streams, String name, PipelineConfig config, Runnable onError) {
        install(streams, name, !config.instanceId().isEmpty(), onError);
    }

    /**
     * How long a close waits for Kafka Streams to commit, flush and close. Whatever stops the app must allow at
     * least this much (deploy/kubernetes: the pods' terminationGracePeriodSeconds).
     */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Closes the app of {@code config}. Without an {@code instance.id} it leaves the consumer group, so that the
     * remaining instances rebalance at once. With one (static membership) it stays a member: the restart that
     * usually follows takes its partitions back without a rebalance, and only if it never comes back do the others
     * take them over, when its session times out.
     */
    public static void close(KafkaStreams streams, PipelineConfig config) {
        close(streams, config.instanceId().isEmpty());
    }

    /** Closes, leaving the consumer group or staying a member. */
    public static void close(KafkaStreams streams, boolean leaveGroup) {
        streams.close(CloseOptions.groupMembershipOperation(leaveGroup
                        ? CloseOptions.GroupMembershipOperation.LEAVE_GROUP
                        : CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                .withTimeout(CLOSE_TIMEOUT));
    }

    /**
     * Starts the app and blocks until SIGTERM or SIGINT (then closes it cleanly) or until it enters ERROR.
     *
     * @param staticMember whether the app has an {@code instance.id}: see {@link #install}
     * @param start   starts the app
     * @param closeAll closes the app and what it holds; idempotent
     * @return the exit code: 0 after a signal, 1 after ERROR
     */
    public static int runUntilStopped(KafkaStreams streams, String name, boolean staticMember, Runnable start,
                                      Runnable closeAll) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean failed = new AtomicBoolean();
        install(streams, name, staticMember, () -> {
            failed.set(true);
            stopped.countDown();
        });
        Thread hook = new Thread(() -> {
            log.info("{}: shutting down: closing Kafka Streams", name);
            closeAll.run();
            // Logged here, not by the state listener: the JVM may halt before the listener's last call runs.
            log.info("{}: stopped (Kafka Streams {})", name, streams.state());
            stopped.countDown();
        }, name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        start.run();
        stopped.await();
        if (failed.get()) {
            log.error("{}: Kafka Streams entered ERROR state; exiting", name);
            Runtime.getRuntime().removeShutdownHook(hook);
            closeAll.run();
            return 1;
        }
        return 0;
    }
}
