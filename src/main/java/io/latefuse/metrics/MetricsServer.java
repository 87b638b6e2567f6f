package io.latefuse.metrics;

import com.sun.net.httpserver.HttpExchange;
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

/**
 * Serves {@code /metrics} (Prometheus text: latefuse's meters, Kafka Streams' client metrics, JVM metrics) and
 * {@code /health} (200 while the app is RUNNING, 503 otherwise) on the JDK's own HTTP server.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;
    private final KafkaStreamsMetrics streamsMetrics;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public MetricsServer(int port, PrometheusMeterRegistry registry, KafkaStreams streams) throws IOException {
        try {
            this.server = HttpServer.create(new InetSocketAddress(port), 0); // first: a busy port binds no meters
        } catch (java.net.BindException e) {
            throw new java.net.BindException("metrics port " + port + " is already in use (" + e.getMessage()
                    + "); choose another with --metrics-port or LATEFUSE_METRICS_PORT");
        }
        this.streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        gc.bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
        server.createContext("/health", ex -> {
            KafkaStreams.State state = streams.state();
            boolean up = state == KafkaStreams.State.RUNNING;
            respond(ex, up ? 200 : 503, "application/json", "{\"status\":\"" + (up ? "UP" : "DOWN")
                    + "\",\"streams\":\"" + state + "\"}");
        });
        server.start();
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
        streamsMetrics.close();
        gc.close();
    }
}
