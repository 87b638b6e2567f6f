package io.latefuse.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.latefuse.avro.ModalityScore;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Client behaviour a real registry cannot be made to show on demand: 5xx answers, refused connections,
 * wrong base URLs and auth headers. Each test serves a scripted answer from the JDK's own HTTP server.
 * The protocol itself is tested against a real registry in {@link SchemaRegistryEmbeddedIT}.
 */
class HttpSchemaRegistryClientTest {
    private HttpServer server;
    private final List<String> seen = new ArrayList<>();

    interface Script {
        void answer(HttpExchange ex, int call) throws IOException;
    }

    private String serve(Script script) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger calls = new AtomicInteger();
        server.createContext("/", ex -> {
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " auth=" + ex.getRequestHeaders().getFirst("Authorization"));
            script.answer(ex, calls.getAndIncrement());
            ex.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    private static RegistryConfig fastRetries(String url, int retries) {
        return RegistryConfig.fromMap(Map.of(RegistryConfig.URL, url, RegistryConfig.MAX_RETRIES, retries,
                RegistryConfig.RETRY_BACKOFF_MS, 1));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void retriesServerErrorsThenSucceeds() throws IOException {
        String url = serve((ex, call) -> {
            if (call < 2) {
                reply(ex, 503, "{\"error_code\":50003,\"message\":\"busy\"}");
            } else {
                reply(ex, 200, "{\"id\":7}");
            }
        });
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(fastRetries(url, 3));
        assertThat(client.register("t-value", ModalityScore.getClassSchema())).isEqualTo(7);
        assertThat(seen).hasSize(3).allMatch(s -> s.startsWith("POST /subjects/t-value/versions"));
        // Cached: no fourth call.
        assertThat(client.register("t-value", ModalityScore.getClassSchema())).isEqualTo(7);
        assertThat(seen).hasSize(3);
    }

    @Test
    void givesUpAfterTheRetryBudgetWithStatusAndErrorCode() throws IOException {
        String url = serve((ex, call) -> reply(ex, 500, "{\"error_code\":50001,\"message\":\"store error\"}"));
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(fastRetries(url, 2));
        assertThatThrownBy(() -> client.schemaById(1))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(500);
                    assertThat(e.errorCode()).isEqualTo(50001);
                    assertThat(e.getMessage()).contains("store error").contains("after 3 attempts");
                });
        assertThat(seen).hasSize(3);
    }

    @Test
    void clientErrorsAreNotRetriedAndCarryConfluentsErrorCode() throws IOException {
        String url = serve((ex, call) -> reply(ex, 404, "{\"error_code\":40403,\"message\":\"Schema 9 not found\"}"));
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(fastRetries(url, 3));
        assertThatThrownBy(() -> client.schemaById(9))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(404);
                    assertThat(e.errorCode()).isEqualTo(SchemaRegistryException.SCHEMA_NOT_FOUND);
                });
        assertThat(seen).hasSize(1);
    }

    @Test
    void anUnreachableRegistrySaysSoAndNamesTheUrl() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + closedPort;
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(fastRetries(url, 1));
        assertThatThrownBy(() -> client.schemaById(1))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(-1);
                    assertThat(e.getMessage()).contains("unreachable").contains(url)
                            .contains(RegistryConfig.URL).contains("after 2 attempts");
                });
    }

    @Test
    void aUrlThatIsNotARegistryApiGetsAHint() throws IOException {
        String url = serve((ex, call) -> {
            byte[] b = "<html>Not Found</html>".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/html");
            ex.sendResponseHeaders(404, b.length);
            ex.getResponseBody().write(b);
        });
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(fastRetries(url, 0));
        assertThatThrownBy(() -> client.latest("x-value"))
                .hasMessageContaining("HTTP 404").hasMessageContaining("Confluent-compatible");
    }

    @Test
    void sendsBasicAuthFromUserInfo() throws IOException {
        String url = serve((ex, call) -> reply(ex, 200, "{\"compatibilityLevel\":\"FULL\"}"));
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(RegistryConfig.fromMap(Map.of(
                RegistryConfig.URL, url, RegistryConfig.CREDENTIALS_SOURCE, "USER_INFO",
                RegistryConfig.USER_INFO, "fuse:s3cret")));
        assertThat(client.compatibility(null)).isEqualTo("FULL");
        assertThat(seen).containsExactly("GET /config auth=Basic ZnVzZTpzM2NyZXQ=");
    }

    @Test
    void rotatesToTheNextUrlOnConnectionErrors() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String good = serve((ex, call) -> reply(ex, 200, "{\"schema\":\"\\\"string\\\"\"}"));
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(
                fastRetries("http://127.0.0.1:" + closedPort + "," + good, 1));
        assertThat(client.schemaById(3).getType()).isEqualTo(org.apache.avro.Schema.Type.STRING);
    }

    @Test
    void aRegistrationRaceAnsweredWith409IsResolvedByLookingTheSchemaUp() throws IOException {
        String url = serve((ex, call) -> {
            if (call == 0) {
                reply(ex, 409, "{\"error_code\":409,\"message\":\"An artifact with ID 't-value' already exists.\"}");
            } else {
                reply(ex, 200, "{\"subject\":\"t-value\",\"version\":1,\"id\":5,\"schema\":\"\\\"string\\\"\"}");
            }
        });
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(fastRetries(url, 0));
        assertThat(client.register("t-value", org.apache.avro.Schema.create(org.apache.avro.Schema.Type.STRING))).isEqualTo(5);
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1)).startsWith("POST /subjects/t-value ");
    }

    @Test
    void anIncompatibleSchemaStays409() throws IOException {
        String url = serve((ex, call) -> {
            if (call == 0) {
                reply(ex, 409, "{\"error_code\":409,\"message\":\"incompatible\"}");
            } else {
                reply(ex, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
            }
        });
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(fastRetries(url, 0));
        assertThatThrownBy(() -> client.register("t-value", ModalityScore.getClassSchema()))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(409));
    }

    @Test
    void badSettingsNameTheKey() {
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining(RegistryConfig.URL);
        assertThatThrownBy(() -> RegistryConfig.of("localhost:8081"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("localhost:8081");
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of(RegistryConfig.URL, "http://r:1", RegistryConfig.AUTO_REGISTER, "yes")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(RegistryConfig.AUTO_REGISTER).hasMessageContaining("yes");
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of(RegistryConfig.URL, "http://r:1", RegistryConfig.USER_INFO, "nopassword")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(RegistryConfig.USER_INFO);
    }
}
