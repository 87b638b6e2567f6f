package io.latefuse.lookup;

import com.sun.net.httpserver.HttpServer;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.testkit.StandInStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /events/{id}}'s answers that do not depend on the event: who may ask, and what a failure says. */
class EventsEndpointTest {
    private static final PipelineConfig CONFIG = PipelineConfigLoader.parse("""
            application.id: a
            bootstrap.servers: b:9092
            schema.registry.url: http://r
            classes: [directed, undirected]
            modalities: [{name: acoustic}, {name: lexical}]
            """, "test", Map.of());

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private StandInStreams streams;
    private HttpServer server;

    private void serve(Path dir, String token, Supplier<KeyQueryMetadata> where) throws IOException {
        streams = StandInStreams.running(dir, where);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext(EventsEndpoint.CONTEXT, new EventsEndpoint(new EventLookup(streams, CONFIG,
                new HostInfo("127.0.0.1", server.getAddress().getPort())), token));
        server.start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
        if (streams != null) {
            streams.close();
        }
    }

    private HttpResponse<String> get(String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.getAddress().getPort() + "/events/e-1")).timeout(Duration.ofSeconds(5));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theBearerSchemeIsMatchedWhateverItsCaseAndTheTokenExactly(@TempDir Path dir) throws Exception {
        serve(dir, "s3cret", () -> KeyQueryMetadata.NOT_AVAILABLE);
        // Let in: the lookup answers (503: no instance owns the event's partition yet).
        for (String given : new String[] {"Bearer s3cret", "bearer s3cret", "BEARER s3cret", "bEaReR s3cret",
                "Bearer   s3cret"}) {
            assertThat(get(given).statusCode()).as(given).isEqualTo(503);
        }
        for (String given : new String[] {null, "", "Bearer", "Bearer ", "s3cret", "Bearers3cret", "Basic s3cret",
                "Bearer S3CRET", "Bearer s3cre", "Bearer s3crett", "Bearer s3cret x"}) {
            HttpResponse<String> refused = get(given);
            assertThat(refused.statusCode()).as(String.valueOf(given)).isEqualTo(401);
            assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"latefuse\"");
        }
    }

    @Test
    void aLookupThatFailsAnswers500WithoutTheExceptionText(@TempDir Path dir) throws Exception {
        serve(dir, "", () -> {
            throw new UnsupportedOperationException("secret detail of the store");
        });
        HttpResponse<String> failed = get(null);
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.body()).doesNotContain("secret").doesNotContain("UnsupportedOperationException")
                .doesNotContain("java.").startsWith("{").contains("\"event_id\":\"e-1\"");
    }
}
