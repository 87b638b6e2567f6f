package io.latefuse.streams;

import com.sun.net.httpserver.HttpServer;
import io.latefuse.avro.ModalityScore;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.HttpSchemaRegistryClient;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.streams.DeadLetterDeserializationHandler;
import io.latefuse.streams.DeadLetterReason;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler.Response;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler.Result;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the registry answers for a record's schema id decides whether the record is dead-lettered (the record is at
 * fault) or its stream thread fails and retries it (the registry or its settings are). Each answer comes from the
 * JDK's HTTP server, through the real client, deserializer and dead-letter handler.
 */
class RegistryTroubleIsRetriedTest {
    private HttpServer server;
    private static final ch.qos.logback.classic.Logger HANDLER_LOG = (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);
    private static ch.qos.logback.classic.Level handlerLevel;

    // The handler logs each registry failure at ERROR, as it should in production; here every one is expected and
    // asserted, so the test's output stays readable without them.
    @org.junit.jupiter.api.BeforeAll
    static void quiet() {
        handlerLevel = HANDLER_LOG.getLevel();
        HANDLER_LOG.setLevel(ch.qos.logback.classic.Level.OFF);
    }

    @org.junit.jupiter.api.AfterAll
    static void loud() {
        HANDLER_LOG.setLevel(handlerLevel);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @ParameterizedTest(name = "HTTP {0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "404 | {\"error_code\":40403,\"message\":\"Schema 7 not found\"}           | RESUME",
            "200 | {\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"} | RESUME",
            "200 | {\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"X\\\",\\\"fields\\\":[{\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"strng\\\"}]}\"} | RESUME",
            "404 | {\"error_code\":40401,\"message\":\"Subject not found\"}            | FAIL",
            "404 | <html><body>Not Found</body></html>                                | FAIL",
            "401 | {\"error_code\":401,\"message\":\"Unauthorized\"}                  | FAIL",
            "401 | <html>Sign in</html>                                               | FAIL",
            "403 | {\"error_code\":40301,\"message\":\"User is denied operation\"}    | FAIL",
            "200 | <html>Welcome to the proxy</html>                                  | FAIL",
            "500 | {\"error_code\":50001,\"message\":\"Error in the backend\"}        | FAIL",
    })
    void onlyAnAnswerThatBlamesTheRecordDeadLettersIt(int status, String body, Result expected) throws IOException {
        String url = serve(status, body);
        RegistryConfig rc = RegistryConfig.fromMap(Map.of(RegistryConfig.URL, url, RegistryConfig.MAX_RETRIES, 0));
        AvroDeserializer<ModalityScore> deserializer = AvroDeserializer.specific(ModalityScore.class,
                new HttpSchemaRegistryClient(rc));
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
        Response response = handler.handleError(context(value), new ConsumerRecord<>("scores.acoustic", 0, 42L,
                "e1".getBytes(StandardCharsets.UTF_8), value), failure);

        assertThat(response.result()).isEqualTo(expected);
        if (expected == Result.RESUME) {
            assertThat(response.deadLetterQueueRecords()).singleElement().satisfies(r -> {
                assertThat(r.value()).isEqualTo(value);
                assertThat(new String(r.headers().lastHeader(DeadLetterReason.HEADER).value(), StandardCharsets.UTF_8))
                        .isEqualTo("deserialization");
                assertThat(new String(r.headers().lastHeader(DeadLetterReason.DETAIL_HEADER).value(), StandardCharsets.UTF_8))
                        .contains("schema id 7");
            });
        } else {
            assertThat(response.deadLetterQueueRecords()).isEmpty();
            assertThat(failure.getMessage()).as("the failure says what the registry answered").contains(String.valueOf(status));
        }
    }

    private String serve(int status, String body) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", body.startsWith("{") ? "application/json" : "text/html");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** An error context for a record at scores.acoustic-0@42. */
    static ErrorHandlerContext context(byte[] value) {
        return new ErrorHandlerContext() {
            public String topic() {
                return "scores.acoustic";
            }

            public int partition() {
                return 0;
            }

            public long offset() {
                return 42L;
            }

            public Headers headers() {
                return new RecordHeaders();
            }

            public String processorNodeId() {
                return "scores-acoustic";
            }

            public TaskId taskId() {
                return new TaskId(0, 0);
            }

            public long timestamp() {
                return 1_000L;
            }

            public byte[] sourceRawKey() {
                return "e1".getBytes(StandardCharsets.UTF_8);
            }

            public byte[] sourceRawValue() {
                return value;
            }
        };
    }
}
