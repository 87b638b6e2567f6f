package io.latefuse.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads of the JDK's HTTP server, so that slow clients cannot stall it.
 * <p>
 * The JDK's server (JDK 17) reads a request's line and headers on its executor's thread, blocking, with no time
 * limit unless the JVM-wide {@code sun.net.httpserver.maxReqTime} is set: a client that sends half a request holds
 * a thread as long as it likes. It routes the request only once it has read it, so every path shares the threads
 * that read. Here:
 * <ul>
 *   <li>the readers (the server's executor) read each request within {@link HttpLimits#requestTime()}, from its
 *   first byte: a {@link Watchdog} interrupts a reader still reading then, which closes the connection. They also
 *   answer what is answered at once ({@link #atOnce}: {@code /health}). When every reader is busy and their queue
 *   is full, the server closes a new connection at once (it does so when its executor refuses a request);</li>
 *   <li>the workers answer the rest ({@link #onWorkers}), each answer within {@link HttpLimits#answerTime()};
 *   when they and their queue are full, a request is answered 503 at once. Slow lookups or clients that do not read
 *   their answer hold workers, never the readers that {@code /health} needs.</li>
 * </ul>
 * A handler that fails is answered 500 without what failed, which is logged.
 */
final class ExchangeThreads implements Executor, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ExchangeThreads.class);
    /** Requests that wait for a reader, per reader, before new connections are closed. */
    static final int READER_QUEUE = 4;
    /** Requests that wait for a worker, per worker, before requests are answered 503. */
    static final int WORKER_QUEUE = 16;
    private static final Duration WARNING_PERIOD = Duration.ofMinutes(1);
    static final String FAILED = "{\"error\":\"the server failed to answer; its log says why\"}";
    static final String BUSY = "{\"error\":\"the server is busy; retry in 1 s\"}";

    private final HttpLimits limits;
    private final ThreadPoolExecutor readers;
    private final ThreadPoolExecutor workers;
    private final Watchdog watchdog = new Watchdog();
    /** The reading watch of the request the current reader is at. */
    private final ThreadLocal<Watchdog.Watch> reading = new ThreadLocal<>();
    private final ThrottledWarning slowRequests;
    private final ThrottledWarning slowAnswers;
    private final ThrottledWarning refused = new ThrottledWarning(log, "HTTP connections were closed unread: every "
            + "reader was busy and their queue full", WARNING_PERIOD);
    private final ThrottledWarning busy = new ThrottledWarning(log, "HTTP requests were answered 503: every worker "
            + "was busy and their queue full", WARNING_PERIOD);

    ExchangeThreads(HttpLimits limits) {
        this.limits = limits;
        this.readers = pool("latefuse-http-read", limits.readers(), READER_QUEUE);
        this.workers = pool("latefuse-http-answer", limits.workers(), WORKER_QUEUE);
        this.slowRequests = new ThrottledWarning(log, "HTTP clients were disconnected: they took longer than "
                + limits.requestTime().toSeconds() + " s to send a request", WARNING_PERIOD);
        this.slowAnswers = new ThrottledWarning(log, "HTTP answers were cut off: they took longer than "
                + limits.answerTime().toSeconds() + " s (a slow lookup, or a client that does not read)", WARNING_PERIOD);
    }

    private static ThreadPoolExecutor pool(String name, int threads, int queuePerThread) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(threads * queuePerThread), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Reads one request, the JDK's {@code exchange}, on a reader; refused when they are all busy. */
    @Override
    public void execute(Runnable exchange) {
        try {
            readers.execute(() -> {
                Watchdog.Watch watch = watchdog.watchCurrentThread(limits.requestTime(), slowRequests::happened);
                reading.set(watch);
                try {
                    exchange.run();
                } finally {
                    reading.remove();
                    watch.end();
                }
            });
        } catch (RejectedExecutionException e) {
            refused.happened();
            throw e; // the JDK's dispatcher closes the connection
        }
    }

    /** The current reader has read its request: the handler's time is not the client's. */
    private void requestRead() {
        Watchdog.Watch watch = reading.get();
        if (watch != null) {
            reading.remove();
            watch.end(); // in time or not, the request has arrived: it is answered
        }
    }

    /** {@code handler} answered on the reader itself: only for answers that are immediate and small. */
    HttpHandler atOnce(HttpHandler handler) {
        return ex -> {
            // Still within the request's time: closing the exchange reads away a body the client may withhold.
            try {
                answer(handler, ex);
            } finally {
                requestRead();
            }
        };
    }

    /** {@code handler} answered on a worker, within {@link HttpLimits#answerTime()}. */
    HttpHandler onWorkers(HttpHandler handler) {
        return ex -> {
            try {
                workers.execute(() -> {
                    Watchdog.Watch watch = watchdog.watchCurrentThread(limits.answerTime(), slowAnswers::happened);
                    try {
                        answer(handler, ex);
                    } finally {
                        watch.end();
                    }
                });
                requestRead(); // handed to a worker, whose own watch bounds the answer
            } catch (RejectedExecutionException e) {
                busy.happened();
                try {
                    ex.getResponseHeaders().set("Retry-After", "1");
                    send(ex, 503, BUSY);
                } finally {
                    try {
                        ex.close(); // within the request's time: closing reads away a withheld body
                    } finally {
                        requestRead();
                    }
                }
            }
        };
    }

    /** Runs {@code handler}; a failure is logged, and answered 500 if nothing was answered yet. */
    private static void answer(HttpHandler handler, HttpExchange ex) {
        try {
            handler.handle(ex);
        } catch (RuntimeException e) {
            log.warn("{} {} failed", ex.getRequestMethod(), ex.getRequestURI().getRawPath(), e);
            if (ex.getResponseCode() == -1) {
                try {
                    send(ex, 500, FAILED);
                } catch (IOException gone) {
                    log.debug("Could not answer 500 to {}", ex.getRemoteAddress(), gone);
                }
            }
        } catch (IOException e) { // the client is gone, or was cut off
            log.debug("{} {} was not answered", ex.getRequestMethod(), ex.getRequestURI().getRawPath(), e);
        } finally {
            ex.close();
        }
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        readers.shutdownNow();
        workers.shutdownNow();
        watchdog.close();
    }
}
