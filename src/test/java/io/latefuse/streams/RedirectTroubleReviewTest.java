package io.latefuse.streams;

import com.sun.net.httpserver.HttpServer;
import io.latefuse.avro.ModalityScore;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.HttpSchemaRegistryClient;
import io.latefuse.registry.RegistryConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler.Response;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review of issue 27 item 4: a registry (or the proxy in front of it) that answers a record's schema id with a
 * redirect the client cannot follow is registry trouble, never the record's fault. Through the real client,
 * deserializer and dead-letter handler.
 */
class RedirectTroubleReviewTest {
    private HttpServer server;
    private static final ch.qos.logback.classic.Logger HANDLER_LOG = (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);

    @BeforeAll
    static void quiet() {
        HANDLER_LOG.setLevel(ch.qos.logback.classic.Level.OFF);
    }

    @AfterAll
    static void loud() {
        HANDLER_LOG.setLevel(null);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /**
     * The Location is resolved with URI.resolve (IllegalArgumentException on a malformed one) and the next request
     * built with HttpRequest.newBuilder (IllegalArgumentException on a scheme other than http/https), outside the
     * client's IOException handling: the IllegalArgumentException reaches the handler with no
     * SchemaRegistryException in its chain, and the record is dead-lettered as a deserialization failure.
     */
    @ParameterizedTest(name = "302 Location: {0}")
    @ValueSource(strings = {"/moved here/schemas/ids/7", "http://[::1/schemas/ids/7", "ftp://127.0.0.1/schemas/ids/7"})
    void aRedirectTheClientCannotFollowIsRegistryTrouble(String location) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            ex.getResponseHeaders().add("Location", location);
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort();
        AvroDeserializer<ModalityScore> deserializer = AvroDeserializer.specific(ModalityScore.class,
                new HttpSchemaRegistryClient(RegistryConfig.fromMap(Map.of(RegistryConfig.URL, url,
                        RegistryConfig.MAX_RETRIES, 0))));
        byte[] value = {0, 0, 0, 0, 7, 2, 'x'};
        Exception failure = null;
        try {
            deserializer.deserialize("scores.acoustic", value);
        } catch (RuntimeException e) {
            failure = e;
        }
        assertThat(failure).as("the record cannot be read").isNotNull();

        DeadLetterDeserializationHandler handler = new DeadLetterDeserializationHandler();
        handler.configure(Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "dead-letters"));
        Response response = handler.handleError(RegistryTroubleIsRetriedTest.context(value), new ConsumerRecord<>(
                "scores.acoustic", 0, 42L, "e1".getBytes(StandardCharsets.UTF_8), value), failure);
        assertThat(response.result()).as("the handler's answer to %s", failure).isEqualTo(Result.FAIL);
    }
}
