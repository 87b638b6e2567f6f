package io.latefuse.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * Serves {@code /metrics} (Prometheus text: latefuse's meters, Kafka Streams' client metrics, JVM metrics),
 * readiness ({@code /health/ready}, and {@code /health}: 200 while the app is RUNNING, 503 otherwise), liveness
 * ({@code /health/live}: 200 unless the app is wedged, see {@link Liveness}) and the routes the app adds (event lookup) on the
 * JDK's own HTTP server.
 * <p>
 * It binds its port before it serves: the app advertises the bound port to the other instances
 * ({@code application.server}), so the port must be known, and a busy one must fail, before the app is built.
 * <p>
 * Clients get what {@link HttpLimits} grants: a request must arrive within a time, and {@code /health} is answered
 * on threads that neither slow lookups nor clients that stall mid-request can hold for long, so that a liveness
 * probe is answered while the rest is busy (see {@link ExchangeThreads}).
 */
public final class MetricsServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ExchangeThreads threads;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private KafkaStreamsMetrics streamsMetrics;

    private MetricsServer(HttpServer server, HttpLimits limits) {
        this.server = server;
        this.threads = new ExchangeThreads(limits);
        server.setExecutor(threads);
    }

    /** Binds {@code address:port} (port 0: any free one), serving nothing yet. */
    public static MetricsServer bind(String address, int port) throws IOException {
        return bind(address, port, HttpLimits.DEFAULT);
    }

    /** Binds {@code address:port} (port 0: any free one), serving nothing yet, to clients within {@code limits}. */
    public static MetricsServer bind(String address, int port, HttpLimits limits) throws IOException {
        return new MetricsServer(listen(address, port), limits);
    }

    private static HttpServer listen(String address, int port) throws IOException {
        try {
            return HttpServer.create(new InetSocketAddress(address, port), 0);
        } catch (java.net.BindException e) {
            throw new java.net.BindException("metrics port " + port + " is already in use (on " + address + ": "
                    + e.getMessage() + "); choose another with --metrics-port or LATEFUSE_METRICS_PORT");
        }
    }

    /** Binds every address on {@code port} and serves the metrics and health of {@code streams} at once. */
    public MetricsServer(int port, PrometheusMeterRegistry registry, KafkaStreams streams) throws IOException {
        this(listen("0.0.0.0", port), HttpLimits.DEFAULT);
        start(registry, streams, Map.of());
    }

    /** Readiness: 200 while the app serves (Kafka Streams RUNNING), 503 otherwise. Also at {@link #HEALTH}. */
    public static final String READY = "/health/ready";
    /** Liveness: 200 unless the app is wedged ({@link Liveness}); a restore or a rebalance is alive. */
    public static final String LIVE = "/health/live";
    /** Readiness, at the path earlier releases served it on. */
    public static final String HEALTH = "/health";

    /** Binds the meters and serves {@code /metrics}, health and {@code routes} (path to handler). */
    public void start(PrometheusMeterRegistry registry, KafkaStreams streams, Map<String, HttpHandler> routes) {
        start(registry, streams, new Liveness(streams, Duration.ofMinutes(5)), routes);
    }

    /**
     * Binds the meters and serves {@code /metrics}, readiness ({@link #READY}, {@link #HEALTH}), liveness
     * ({@link #LIVE}) and {@code routes} (path to handler).
     */
    public void start(PrometheusMeterRegistry registry, KafkaStreams streams, Liveness liveness,
                      Map<String, HttpHandler> routes) {
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        gc.bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        server.createContext("/metrics", threads.onWorkers(ex ->
                respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape())));
        // On the threads that read requests: its answer is immediate and small, and slow answers never hold them.
        HttpHandler ready = ex -> {
            KafkaStreams.State state = streams.state();
            boolean up = state == KafkaStreams.State.RUNNING;
            respond(ex, up ? 200 : 503, "application/json", "{\"status\":\"" + (up ? "UP" : "DOWN")
                    + "\",\"streams\":\"" + state + "\"}");
        };
        server.createContext(HEALTH, threads.atOnce(only(HEALTH, ready)));
        server.createContext(READY, threads.atOnce(only(READY, ready)));
        server.createContext(LIVE, threads.atOnce(only(LIVE, ex -> {
            Liveness.Verdict verdict = liveness.check();
            respond(ex, verdict.alive() ? 200 : 503, "application/json", JSON.writeValueAsString(Map.of(
                    "status", verdict.alive() ? "ALIVE" : "WEDGED", "reason", verdict.reason())));
        })));
        routes.forEach((path, handler) -> server.createContext(path, threads.onWorkers(handler)));
        server.start();
    }

    /**
     * {@code handler} for {@code path} itself: the JDK's server hands a context every path that starts with its
     * own ({@code /health/readyz} to {@code /health/ready}), which a probe with a typo must not pass through.
     */
    private static HttpHandler only(String path, HttpHandler handler) {
        return ex -> {
            if (ex.getRequestURI().getPath().equals(path)) {
                handler.handle(ex);
            } else {
                respond(ex, 404, "application/json", JSON.writeValueAsString(Map.of(
                        "status", "unknown path", "health", java.util.List.of(READY, LIVE))));
            }
        };
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.close();
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        gc.close();
    }
}
