package io.latefuse.metrics;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A watch releases a thread blocked on a socket once its time has passed, and never after it ended. */
class WatchdogTest {
    @Test
    void aThreadBlockedReadingASocketIsReleasedOnceItsTimeHasPassed() throws Exception {
        AtomicInteger timeouts = new AtomicInteger();
        try (Watchdog watchdog = new Watchdog();
             ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             SocketChannel client = SocketChannel.open(listener.getLocalAddress());
             SocketChannel accepted = listener.accept()) {
            Watchdog.Watch watch = watchdog.watchCurrentThread(Duration.ofMillis(200), timeouts::incrementAndGet);
            assertThatThrownBy(() -> accepted.read(ByteBuffer.allocate(16))) // the client sends nothing
                    .isInstanceOf(ClosedByInterruptException.class);
            assertThat(watch.end()).as("late").isTrue();
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt left pending").isFalse();
            assertThat(accepted.isOpen()).isFalse();
            // onTimeout runs on the watchdog's thread right after the interrupt, outside its lock: wait for it.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(timeouts).hasValue(1));
        }
    }

    @Test
    void aWatchEndedInTimeNeverInterrupts() throws Exception {
        AtomicInteger timeouts = new AtomicInteger();
        try (Watchdog watchdog = new Watchdog()) {
            // A limit far above the time between the two calls, even on a loaded machine (100 ms failed at load 10).
            Watchdog.Watch watch = watchdog.watchCurrentThread(Duration.ofSeconds(5), timeouts::incrementAndGet);
            assertThat(watch.end()).as("late").isFalse();
            Thread.sleep(300);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            assertThat(watch.end()).as("ending again").isFalse();
            assertThat(timeouts).hasValue(0);
        }
    }
}
