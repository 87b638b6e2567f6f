package io.latefuse.registry;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.streams.RegistryConfigs;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.testkit.SecuredKafka;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry client against a real TLS endpoint with basic auth: the real registry behind an HTTPS front that
 * checks the credentials, as an ingress in front of a production registry does. The certificate is made for the test
 * by the JDK's keytool.
 */
@ExtendWith(RealKafka.class)
class RegistryTlsIT {
    private static final String USER = "latefuse";
    private static final String PASSWORD = "reg-" + UUID.randomUUID();

    /** An HTTPS server on {@code keystore} that forwards every request with the right credentials to {@code upstream}. */
    private static HttpsServer front(Path keystore, URI upstream, AtomicInteger forwarded) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, SecuredKafka.STORE_PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, SecuredKafka.STORE_PASSWORD.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("localhost", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        String expected = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        HttpClient http = HttpClient.newHttpClient();
        server.createContext("/", exchange -> {
            try (exchange) {
                if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    byte[] body = "{\"error_code\":401,\"message\":\"Unauthorized\"}".getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().add("Content-Type", "application/json");
                    exchange.sendResponseHeaders(401, body.length);
                    exchange.getResponseBody().write(body);
                    return;
                }
                forwarded.incrementAndGet();
                byte[] in = exchange.getRequestBody().readAllBytes();
                HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(upstream.getScheme() + "://"
                        + upstream.getAuthority() + exchange.getRequestURI()))
                        .method(exchange.getRequestMethod(), in.length == 0 ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(in));
                for (String h : new String[] {"Content-Type", "Accept"}) {
                    String v = exchange.getRequestHeaders().getFirst(h);
                    if (v != null) {
                        req.header(h, v);
                    }
                }
                HttpResponse<byte[]> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
                resp.headers().firstValue("Content-Type").ifPresent(v -> exchange.getResponseHeaders().add("Content-Type", v));
                exchange.sendResponseHeaders(resp.statusCode(), resp.body().length == 0 ? -1 : resp.body().length);
                exchange.getResponseBody().write(resp.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        return server;
    }

    private static Map<String, Object> client(String url, String userInfo, Path truststore) {
        Map<String, Object> m = new HashMap<>();
        m.put(RegistryConfig.URL, url);
        m.put(RegistryConfig.USER_INFO, userInfo);
        if (truststore != null) {
            m.put(RegistryConfig.TRUSTSTORE_LOCATION, truststore.toString());
            m.put(RegistryConfig.TRUSTSTORE_PASSWORD, SecuredKafka.STORE_PASSWORD);
        }
        m.put(RegistryConfig.MAX_RETRIES, 0);
        return m;
    }

    @Test
    void basicAuthOverHttpsReachesTheRegistry_andAWrongPasswordOrAnUntrustedCertificateGetsAClearMessage(
            KafkaEnvironment env, @TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("registry.p12");
        Path truststore = dir.resolve("truststore.p12");
        SecuredKafka.Certificates.selfSigned(dir, "localhost", keystore, truststore, SecuredKafka.STORE_PASSWORD);
        URI upstream = URI.create(env.registryUrl());
        AtomicInteger forwarded = new AtomicInteger();
        HttpsServer server = front(keystore, upstream, forwarded);
        try {
            String url = "https://localhost:" + server.getAddress().getPort() + upstream.getPath();
            Schema schema = SchemaBuilder.record("TlsProbe").namespace("io.latefuse.test").fields()
                    .requiredString("id").endRecord();
            String subject = "tls-" + UUID.randomUUID();

            // 1. The right credentials and the truststore: registered and read back through TLS and the front.
            try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.fromMap(client(url, USER + ":" + PASSWORD, truststore)))) {
                int id = registry.register(subject, schema);
                assertThat(id).isPositive();
                assertThat(registry.schemaById(id)).isEqualTo(schema);
            }
            assertThat(forwarded.get()).as("requests that passed the basic auth check").isGreaterThanOrEqualTo(1);

            // 2. A wrong password: HTTP 401, named, with the key to check, and no password in the message.
            String wrong = "not-" + PASSWORD;
            try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.fromMap(client(url, USER + ":" + wrong, truststore)))) {
                assertThatThrownBy(() -> registry.register(subject, schema)).isInstanceOf(SchemaRegistryException.class)
                        .hasMessageContaining("401").hasMessageContaining("basic.auth.user.info")
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong).doesNotContain(PASSWORD));
            }
            // The same, with the credentials in the URL (basic.auth.credentials.source URL): the URL is shown without them.
            Map<String, Object> inUrl = client(url.replace("https://", "https://" + USER + ":" + wrong + "@"), null, truststore);
            inUrl.remove(RegistryConfig.USER_INFO);
            inUrl.put(RegistryConfig.CREDENTIALS_SOURCE, "URL");
            try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.fromMap(inUrl))) {
                assertThatThrownBy(() -> registry.register(subject, schema)).isInstanceOf(SchemaRegistryException.class)
                        .hasMessageContaining("401").hasMessageContaining("https://localhost:")
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong));
            }

            // 3. Without the truststore, the JVM's default trust does not know the certificate: one clear message.
            try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.fromMap(client(url, USER + ":" + PASSWORD, null)))) {
                assertThatThrownBy(() -> registry.register(subject, schema)).isInstanceOf(SchemaRegistryException.class)
                        .hasMessageContaining("unreachable").hasMessageContaining("SSLHandshakeException")
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
            }

            // 4. From a pipeline config, the secrets from the environment, as a deployment gives them.
            PipelineConfig config = PipelineConfigLoader.parse("""
                    application.id: tls
                    bootstrap.servers: localhost:9092
                    schema.registry.url: %s
                    schema.registry.ssl.truststore.location: %s
                    classes: [a, b]
                    modalities: [{name: m}]
                    """.formatted(url, truststore), "test", Map.of(
                    "LATEFUSE_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", USER + ":" + PASSWORD,
                    "LATEFUSE_SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD", SecuredKafka.STORE_PASSWORD));
            try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfigs.of(config))) {
                assertThat(registry.lookupId(subject, schema)).isPositive();
            }
            assertThat(config.toString()).as("a config printed for a person").doesNotContain(PASSWORD);
        } finally {
            server.stop(0);
        }
    }
}
