package io.latefuse.metrics;

import io.latefuse.testkit.StandInStreams;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review of issue 27 item 7: a request is its line, its headers and its body. A client that sends complete headers
 * announcing a body it never sends is still "sending half a request".
 */
class MetricsServerReviewTest {
    private static final Duration PROMPTLY = Duration.ofSeconds(3);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<Socket> stalled = new ArrayList<>();
    @TempDir
    Path dir;
    private StandInStreams streams;
    private MetricsServer server;

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

    private void serve(HttpLimits limits) throws IOException {
        streams = StandInStreams.running(dir);
        server = MetricsServer.bind("127.0.0.1", 0, limits);
        server.start(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), streams, Map.of());
    }

    /** Sends {@code n} requests for {@code path} whose headers promise a body of 1000 bytes that never comes. */
    private void bodyNeverSent(int n, String method, String path) throws Exception {
        for (int i = 0; i < n; i++) {
            Socket s = new Socket("127.0.0.1", server.port());
            stalled.add(s);
            s.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
        Thread.sleep(500);
    }

    private HttpResponse<String> get(String path, Duration within) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(within).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthStaysReachableWhileClientsWithheldTheBodyTheirHeadersAnnounced() throws Exception {
        serve(HttpLimits.DEFAULT);
        // As many as there are readers: each answered /health, then the JDK drains the body, on the reader, unwatched.
        bodyNeverSent(HttpLimits.DEFAULT.readers(), "POST", "/health");

        Duration bound = HttpLimits.DEFAULT.requestTime().plus(PROMPTLY);
        assertThat(get("/health", bound).statusCode()).isEqualTo(200);
    }
}
