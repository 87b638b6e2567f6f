package io.latefuse.metrics;

import com.sun.net.httpserver.HttpHandler;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.lookup.EventLookup;
import io.latefuse.lookup.EventsEndpoint;
import io.latefuse.testkit.StandInStreams;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The HTTP server against clients that send half a request and stall (slowloris): {@code /health} keeps answering,
 * and the stalled clients are dropped once the time to send a request has passed.
 */
class MetricsServerTest {
    private static final PipelineConfig CONFIG = PipelineConfigLoader.parse("""
            application.id: a
            bootstrap.servers: b:9092
            schema.registry.url: http://r
            classes: [directed, undirected]
            modalities: [{name: acoustic}, {name: lexical}]
            """, "test", Map.of());
    /** How long a test waits for an answer that must come at once. */
    private static final Duration PROMPTLY = Duration.ofSeconds(3);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<Socket> stalled = new ArrayList<>();
    @TempDir
    Path dir;
    private StandInStreams streams;
    private MetricsServer server;

    /** Serves /metrics, /health, /events and {@code routes} (with /boom, which fails) to clients within {@code limits}. */
    private void serve(HttpLimits limits, Map<String, HttpHandler> routes) throws IOException {
        streams = StandInStreams.running(dir);
        server = MetricsServer.bind("127.0.0.1", 0, limits);
        Map<String, HttpHandler> all = new HashMap<>(routes);
        all.put(EventsEndpoint.CONTEXT, new EventsEndpoint(new EventLookup(streams, CONFIG,
                new HostInfo("127.0.0.1", server.port())), ""));
        all.put("/boom", ex -> {
            throw new IllegalStateException("secret detail of /boom");
        });
        server.start(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), streams, all);
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : stalled) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
        if (streams != null) {
            streams.close();
        }
    }

    /** Opens {@code n} connections that each send half a request (half a request line, or half the headers). */
    private void stall(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            Socket s = new Socket("127.0.0.1", server.port());
            stalled.add(s);
            String half = i % 2 == 0 ? "GET /metr" : "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: te";
            s.getOutputStream().write(half.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
        Thread.sleep(300); // the server takes each up: it has read its first bytes
    }

    private HttpResponse<String> get(String path, Duration within) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(within).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthMetricsAndEventsAnswerAtOnceWhileMoreClientsThanTheOldPoolStallMidRequest() throws Exception {
        serve(HttpLimits.DEFAULT, Map.of());
        stall(5); // the 4 threads the server once had, and one more

        HttpResponse<String> health = get("/health", PROMPTLY);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"UP\",\"streams\":\"RUNNING\"}");
        assertThat(get("/metrics", PROMPTLY).body()).contains("jvm_memory_used_bytes");
        HttpResponse<String> event = get("/events/e-1", PROMPTLY);
        assertThat(event.statusCode()).isEqualTo(503);
        assertThat(event.body()).contains("rebalancing");
    }

    @Test
    void clientsThatStallMidRequestAreDroppedOnceTheTimeToSendARequestHasPassed() throws Exception {
        serve(HttpLimits.DEFAULT, Map.of());
        // More than the threads that read requests: /health waits for the first of them to be dropped.
        stall(HttpLimits.DEFAULT.readers() + 4);
        Duration bound = HttpLimits.DEFAULT.requestTime();

        long start = System.nanoTime();
        assertThat(get("/health", bound.plus(PROMPTLY)).statusCode()).isEqualTo(200);
        assertThat(get("/metrics", PROMPTLY).statusCode()).isEqualTo(200);
        for (Socket s : stalled) {
            // Those queued behind the first ones have their own time, from when a thread took them up.
            long left = bound.multipliedBy(2).plus(PROMPTLY).toMillis() - (System.nanoTime() - start) / 1_000_000;
            s.setSoTimeout((int) Math.max(1, left));
            assertThat(closedByServer(s.getInputStream())).as("the server closed a stalled client").isTrue();
        }
    }

    /** True once the server closes the connection without an answer; false while it stays open. */
    private static boolean closedByServer(InputStream in) throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) { // reset
            return true;
        }
    }

    @Test
    void aRouteThatFailsAnswers500WithoutTheExceptionText() throws Exception {
        serve(HttpLimits.DEFAULT, Map.of());
        HttpResponse<String> boom = get("/boom", PROMPTLY);
        assertThat(boom.statusCode()).isEqualTo(500);
        assertThat(boom.body()).doesNotContain("secret").doesNotContain("IllegalStateException")
                .contains("\"error\"");
    }

    /** A route that answers far more than the sockets' buffers hold: a client that does not read it holds a thread. */
    private static final HttpHandler HUGE = ex -> {
        byte[] chunk = new byte[1 << 20];
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            for (int i = 0; i < 256; i++) {
                out.write(chunk);
            }
        }
    };

    /** Opens {@code n} connections that each ask for {@code path} and never read the answer. */
    private void neverRead(int n, String path) throws Exception {
        for (int i = 0; i < n; i++) {
            Socket s = new Socket("127.0.0.1", server.port());
            stalled.add(s);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
        Thread.sleep(300); // each holds a thread, blocked writing to it
    }

    @Test
    void healthAnswersAtOnceWhileMoreClientsThanTheOldPoolDoNotReadTheirAnswer() throws Exception {
        serve(HttpLimits.DEFAULT, Map.of("/huge", HUGE));
        neverRead(5, "/huge"); // the 4 threads the server once had, and one more

        assertThat(get("/health", PROMPTLY).statusCode()).isEqualTo(200);
    }

    @Test
    void aClientThatDoesNotReadItsAnswerHoldsAWorkerForTheTimeToAnswerAtMostAndNeverHoldsHealth() throws Exception {
        serve(new HttpLimits(Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 1), Map.of("/huge", HUGE));
        neverRead(1, "/huge"); // the only worker is writing to it, blocked

        long start = System.nanoTime();
        assertThat(get("/health", PROMPTLY).statusCode()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("/health waited").isLessThan(Duration.ofSeconds(1));
        // Queued behind it on the only worker, until it is cut off.
        assertThat(get("/metrics", Duration.ofSeconds(1).plus(PROMPTLY)).statusCode()).isEqualTo(200);
    }

    @Test
    void whenEveryWorkerAndItsQueueIsTakenARequestIsAnswered503AtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        serve(new HttpLimits(Duration.ofSeconds(5), Duration.ofSeconds(30), 8, 1), Map.of("/wait", ex -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(204, -1);
            ex.close();
        }));
        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        try {
            for (int i = 0; i < 1 + ExchangeThreads.WORKER_QUEUE; i++) {
                waiting.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/wait")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(1000); // one on the worker, the others in its queue
            HttpResponse<String> busy = get("/metrics", PROMPTLY);
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(busy.body()).isEqualTo(ExchangeThreads.BUSY);
            assertThat(get("/health", PROMPTLY).statusCode()).isEqualTo(200);
        } finally {
            release.countDown();
        }
        for (CompletableFuture<HttpResponse<String>> w : waiting) {
            assertThat(w.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
        }
        assertThat(get("/metrics", PROMPTLY).statusCode()).isEqualTo(200);
    }

    @Test
    void whenEveryReaderAndItsQueueIsTakenANewConnectionIsClosedAtOnce() throws Exception {
        serve(new HttpLimits(Duration.ofSeconds(5), Duration.ofSeconds(30), 1, 1), Map.of());
        stall(1 + ExchangeThreads.READER_QUEUE);
        long start = System.nanoTime();
        assertThatThrownBy(() -> get("/health", PROMPTLY)).isInstanceOf(IOException.class)
                .isNotInstanceOf(java.net.http.HttpTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void readinessAndLivenessHaveTheirOwnPathsAndAnUnknownHealthPathIsNotFound() throws Exception {
        serve(HttpLimits.DEFAULT, Map.of());
        assertThat(get("/health/ready", PROMPTLY).statusCode()).isEqualTo(200);
        assertThat(get("/health", PROMPTLY).statusCode()).isEqualTo(200);
        HttpResponse<String> live = get("/health/live", PROMPTLY);
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).contains("ALIVE");
        assertThat(get("/health/readyz", PROMPTLY).statusCode()).isEqualTo(404);
        assertThat(get("/health/live/x", PROMPTLY).statusCode()).isEqualTo(404);
        assertThat(get("/healthz", PROMPTLY).statusCode()).isEqualTo(404);
    }
}
