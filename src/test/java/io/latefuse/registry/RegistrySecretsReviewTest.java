package io.latefuse.registry;

import com.sun.net.httpserver.HttpServer;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Review of issue 27 item 5: a registry URL's user info or password is never printed (messages, logs, toString),
 * and never sent anywhere but the registry.
 */
class RegistrySecretsReviewTest {
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** RegistryConfig is a record: its generated toString prints every URL whole, and basic.auth.user.info. */
    @Test
    void registryConfigToStringPrintsNoPassword() {
        RegistryConfig rc = RegistryConfig.fromMap(Map.of(RegistryConfig.URL, "http://fuse:s3cret@registry.example:8081",
                RegistryConfig.CREDENTIALS_SOURCE, "URL"));
        assertThat(rc.toString()).doesNotContain("s3cret");
    }

    /**
     * PipelineConfig.toString hides every key that names a secret, but not a password inside schema.registry.url.
     */
    @Test
    void pipelineConfigToStringPrintsNoRegistryPassword() {
        PipelineConfig config = PipelineConfigLoader.parse("""
                application.id: s
                bootstrap.servers: dummy:1
                schema.registry.url: http://fuse:s3cret@registry.example:8081
                classes: [directed, undirected]
                modalities: [{name: acoustic}, {name: lexical}]
                """, "test", Map.of());
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    /**
     * schema.registry.url is split at commas before anything else: a password holding a comma splits the URL, and
     * the first piece, refused, is printed whole (no '@' left in it for redact to find).
     */
    @Test
    void aPasswordWithACommaIsNotPrinted() {
        Throwable t = catchThrowable(() -> RegistryConfig.fromMap(Map.of(
                RegistryConfig.URL, "http://fuse:s3cr,w0rd@registry.example:8081",
                RegistryConfig.CREDENTIALS_SOURCE, "URL")));
        assertThat(t).isNotNull();
        assertThat(t.getMessage()).doesNotContain("s3cr").doesNotContain("w0rd");
    }

    /**
     * A password whose start reads as a port and that holds an unencoded '?' ("8081?s3cret" here, with the user
     * name a host name) makes a URL java.net.URI accepts: host "localhost", port 8081... and the rest of the
     * password in the query. The config accepts it, and every request goes to that other host with the password in
     * its request line. The registry the user meant (registry.example) is never asked.
     */
    @Test
    void aPasswordWithAQuestionMarkNeverReachesAnotherHost() throws IOException {
        List<String> seen = new CopyOnWriteArrayList<>();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI());
            byte[] b = "{\"compatibilityLevel\":\"FULL\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        int port = server.getAddress().getPort();
        // user "127.0.0.1", password "<port>?s3cret", registry registry.example:8081
        String url = "http://127.0.0.1:" + port + "?s3cret@registry.example:8081";

        Throwable refused = catchThrowable(() -> {
            HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(RegistryConfig.fromMap(Map.of(
                    RegistryConfig.URL, url, RegistryConfig.CREDENTIALS_SOURCE, "URL", RegistryConfig.MAX_RETRIES, 0)));
            client.compatibility(null);
        });
        assertThat(seen).as("requests another host received (the config was %s)",
                refused == null ? "accepted" : "refused: " + refused.getMessage()).isEmpty();
        if (refused != null) {
            assertThat(refused.getMessage()).doesNotContain("s3cret");
        }
    }
}
