package io.latefuse.metrics;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Interrupts a thread that is still at a task once its time has passed. A thread blocked reading or writing a
 * {@link java.nio.channels.SocketChannel} (what the JDK's HTTP server does on its executor's threads) is then
 * released, the channel closed ({@link java.nio.channels.ClosedByInterruptException}).
 */
final class Watchdog implements AutoCloseable {
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "latefuse-http-watchdog");
        t.setDaemon(true);
        return t;
    });

    Watchdog() {
        timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * Watches the current thread: it is interrupted once {@code limit} has passed, unless {@link Watch#end()} came
     * first, and {@code onTimeout} runs then (on the watchdog's thread).
     */
    Watch watchCurrentThread(Duration limit, Runnable onTimeout) {
        Watch watch = new Watch(Thread.currentThread(), onTimeout);
        try {
            watch.arm(timer.schedule(watch::fire, limit.toNanos(), TimeUnit.NANOSECONDS));
        } catch (RejectedExecutionException closed) {
            // The server is closing: its threads are interrupted by their pools' shutdown instead.
        }
        return watch;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** One thread's time at one task. */
    static final class Watch {
        private final Thread thread;
        private final Runnable onTimeout;
        private ScheduledFuture<?> timeout; // guarded by this, as the rest
        private boolean ended;
        private boolean fired;

        private Watch(Thread thread, Runnable onTimeout) {
            this.thread = thread;
            this.onTimeout = onTimeout;
        }

        private synchronized void arm(ScheduledFuture<?> timeout) {
            if (ended) {
                timeout.cancel(false);
            } else {
                this.timeout = timeout;
            }
        }

        private void fire() {
            synchronized (this) {
                if (ended || fired) {
                    return;
                }
                fired = true;
                thread.interrupt();
            }
            onTimeout.run();
        }

        /**
         * Stops watching, on the watched thread; after it the thread is never interrupted by this watch, and an
         * interrupt it made that is still pending is cleared. Ending it again does nothing.
         *
         * @return true when the time had passed first
         */
        boolean end() {
            boolean late;
            synchronized (this) {
                if (!ended) {
                    ended = true;
                    if (timeout != null) {
                        timeout.cancel(false);
                    }
                }
                late = fired;
            }
            if (late) {
                Thread.interrupted();
            }
            return late;
        }
    }
}
