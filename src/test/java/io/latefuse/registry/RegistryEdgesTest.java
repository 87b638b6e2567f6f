package io.latefuse.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.latefuse.avro.ModalityScore;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 27, items 2, 4 and 5: what the registry client does with schemas Avro refuses or that reference others, with
 * redirects, and with a password in the registry URL. Each answer comes from the JDK's HTTP server.
 */
class RegistryEdgesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<HttpServer> servers = new ArrayList<>();

    /** A registry stand-in that answers each path from {@code answers} (status, body), 404 otherwise. */
    private String serve(Map<String, Object[]> answers, List<String> seen) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            seen.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " auth=" + ex.getRequestHeaders().getFirst("Authorization"));
            Object[] a = answers.getOrDefault(ex.getRequestURI().getPath(),
                    new Object[] {404, "{\"error_code\":40401,\"message\":\"Subject not found\"}"});
            if (a[1] instanceof String location && location.startsWith("redirect:")) {
                ex.getResponseHeaders().add("Location", location.substring("redirect:".length()));
                ex.sendResponseHeaders((int) a[0], -1);
            } else {
                reply(ex, (int) a[0], (String) a[1]);
            }
            ex.close();
        });
        server.start();
        servers.add(server);
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/vnd.schemaregistry.v1+json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    private static RegistryConfig config(String url, String... more) {
        Map<String, Object> m = new HashMap<>(Map.of(RegistryConfig.URL, url, RegistryConfig.MAX_RETRIES, 0));
        for (int i = 0; i < more.length; i += 2) {
            m.put(more[i], more[i + 1]);
        }
        return RegistryConfig.fromMap(m);
    }

    private static String schemaAnswer(String schema, ArrayNode references) {
        ObjectNode n = JSON.createObjectNode().put("schema", schema);
        if (references != null) {
            n.set("references", references);
        }
        return n.toString();
    }

    private static byte[] framed(int id, Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema, org.apache.avro.specific.SpecificData.getForClass(ModalityScore.class))
                .write(record, enc);
        enc.flush();
        return out.toByteArray();
    }

    /** ModalityScore's schema plus {@code extraField}, as a producer with a newer schema would register it. */
    private static String scoreSchemaWith(String extraField) throws IOException {
        ObjectNode s = (ObjectNode) JSON.readTree(ModalityScore.getClassSchema().toString());
        ((ArrayNode) s.get("fields")).add(JSON.readTree(extraField));
        return s.toString();
    }

    @Test
    void aWriterSchemaWithAnInvalidDefaultIsReadAsConfluentsClientsReadIt() throws IOException {
        // Confluent's registry accepts this default unless told not to; Confluent's clients read such records.
        String writer = scoreSchemaWith("{\"name\": \"region\", \"type\": \"string\", \"default\": null}");
        String url = serve(Map.of("/schemas/ids/11", new Object[] {200, schemaAnswer(writer, null)}), new ArrayList<>());
        Schema parsed = new Schema.Parser().setValidateDefaults(false).parse(writer);
        ModalityScore score = ModalityScore.newBuilder().setEventId("e1").setModality("acoustic").setModel("m")
                .setModelVersion("v1").setScores(List.of(0.25f, 0.75f)).setScoreType(io.latefuse.avro.ScoreType.PROBABILITY)
                .setEventTime(Instant.parse("2026-01-01T00:00:00Z")).build();
        GenericRecord r = new GenericData.Record(parsed);
        for (Schema.Field f : parsed.getFields()) {
            r.put(f.name(), f.name().equals("region") ? "eu" : score.get(f.name()));
        }
        AvroDeserializer<ModalityScore> d = AvroDeserializer.specific(ModalityScore.class,
                new HttpSchemaRegistryClient(config(url)));
        ModalityScore s = d.deserialize("scores.acoustic", framed(11, parsed, r));
        assertThat(s.getEventId()).isEqualTo("e1");
        assertThat(s.getScores()).containsExactly(0.25f, 0.75f);
    }

    @Test
    void aSchemaAvroRefusesBlamesTheRecordAndNamesTheIdAndAvrosMessage() throws IOException {
        String url = serve(Map.of("/schemas/ids/12", new Object[] {200,
                schemaAnswer("{\"type\":\"record\",\"name\":\"X\",\"fields\":[{\"name\":\"a\",\"type\":\"strng\"}]}", null)}),
                new ArrayList<>());
        AvroDeserializer<ModalityScore> d = AvroDeserializer.specific(ModalityScore.class,
                new HttpSchemaRegistryClient(config(url)));
        assertThatThrownBy(() -> d.deserialize("scores.acoustic", new byte[] {0, 0, 0, 0, 12, 2}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("schema id 12")
                .hasMessageContaining("Avro cannot parse")
                .hasMessageContaining("strng")
                .satisfies(e -> assertThat(((SchemaRegistryException) e.getCause()).blamesRecord()).isTrue());
    }

    private static ArrayNode reference(String name, String subject, int version) {
        ArrayNode refs = JSON.createArrayNode();
        refs.addObject().put("name", name).put("subject", subject).put("version", version);
        return refs;
    }

    @Test
    void aSchemaWithConfluentReferencesIsParsedWithWhatItReferences() throws IOException {
        String address = "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"com.acme\",\"fields\":["
                + "{\"name\":\"city\",\"type\":\"string\"}]}";
        String outer = "{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"com.acme\",\"fields\":["
                + "{\"name\":\"home\",\"type\":\"com.acme.Address\"}]}";
        List<String> seen = new CopyOnWriteArrayList<>();
        String url = serve(Map.of(
                "/schemas/ids/13", new Object[] {200, schemaAnswer(outer, reference("com.acme.Address", "address", 1))},
                "/subjects/address/versions/1", new Object[] {200, schemaAnswer(address, null)}), seen);
        Schema s = new HttpSchemaRegistryClient(config(url)).schemaById(13);
        assertThat(s.getField("home").schema().getFullName()).isEqualTo("com.acme.Address");
        assertThat(seen).extracting(x -> x.substring(0, x.indexOf(" auth=")))
                .containsExactly("GET /schemas/ids/13", "GET /subjects/address/versions/1");
    }

    @Test
    void aReferenceTheRegistryDoesNotHaveBlamesTheRecordAndRegistryTroubleDoesNot() throws IOException {
        String outer = "{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"com.acme\",\"fields\":["
                + "{\"name\":\"home\",\"type\":\"com.acme.Address\"}]}";
        String url = serve(Map.of(
                "/schemas/ids/14", new Object[] {200, schemaAnswer(outer, reference("com.acme.Address", "address", 3))},
                "/schemas/ids/15", new Object[] {200, schemaAnswer(outer, reference("com.acme.Address", "down", 1))},
                "/subjects/down/versions/1", new Object[] {503, "{\"error_code\":50003,\"message\":\"busy\"}"}),
                new ArrayList<>());
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(config(url));
        assertThatThrownBy(() -> client.schemaById(14))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.blamesRecord()).isTrue();
                    assertThat(e.getMessage()).contains("schema id 14")
                            .contains("reference com.acme.Address (subject address, version 3)");
                });
        assertThatThrownBy(() -> client.schemaById(15))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.blamesRecord()).isFalse());
    }

    @Test
    void credentialsNeverGoToAnotherOriginOnARedirect() throws IOException {
        List<String> elsewhere = new CopyOnWriteArrayList<>();
        String other = serve(Map.of("/schemas/ids/1", new Object[] {200, "{\"schema\":\"\\\"string\\\"\"}"}), elsewhere);
        List<String> seen = new CopyOnWriteArrayList<>();
        String registry = serve(Map.of(
                "/schemas/ids/1", new Object[] {307, "redirect:" + other + "/schemas/ids/1"},
                "/schemas/ids/2", new Object[] {302, "redirect:/moved/2"},
                "/moved/2", new Object[] {200, "{\"schema\":\"\\\"int\\\"\"}"}), seen);
        HttpSchemaRegistryClient withPassword = new HttpSchemaRegistryClient(config(registry,
                RegistryConfig.USER_INFO, "fuse:s3cret"));

        assertThatThrownBy(() -> withPassword.schemaById(1))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("redirected (HTTP 307) to another origin, " + other)
                .hasMessageNotContaining("s3cret");
        assertThat(elsewhere).as("the other origin was never asked, so never saw the password").isEmpty();

        // A redirect within the registry's own origin is followed, with the credentials.
        assertThat(withPassword.schemaById(2).getType()).isEqualTo(Schema.Type.INT);
        assertThat(seen).contains("GET /moved/2 auth=Basic ZnVzZTpzM2NyZXQ=");

        // Without credentials there is nothing to leak: the redirect is followed.
        HttpSchemaRegistryClient anonymous = new HttpSchemaRegistryClient(config(registry));
        assertThat(anonymous.schemaById(1).getType()).isEqualTo(Schema.Type.STRING);
        assertThat(elsewhere).containsExactly("GET /schemas/ids/1 auth=null");
    }

    @ParameterizedTest
    @ValueSource(strings = {"p@ss", "p#ss", "p/ss", "p?ss", "p ss"})
    void aPasswordThatBreaksTheUrlIsNotPrinted(String password) {
        String url = "http://fuse:s3cr" + password + "w0rd@registry.example:8081";
        assertThatThrownBy(() -> RegistryConfig.fromMap(Map.of(RegistryConfig.URL, url,
                RegistryConfig.CREDENTIALS_SOURCE, "URL")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(RegistryConfig.URL)
                .hasMessageContaining("percent-encoded")
                .hasMessageNotContaining("s3cr")
                .hasMessageNotContaining("w0rd");
    }

    @Test
    void anEncodedPasswordInTheUrlIsSentAsBasicAuthAndNeverPrinted() throws IOException {
        List<String> seen = new CopyOnWriteArrayList<>();
        String base = serve(Map.of("/config", new Object[] {200, "{\"compatibilityLevel\":\"FULL\"}"}), seen);
        String url = base.replace("http://", "http://fuse:s3cr%40t@");
        HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(config(url, RegistryConfig.CREDENTIALS_SOURCE, "URL"));
        assertThat(client.compatibility(null)).isEqualTo("FULL");
        assertThat(seen).containsExactly("GET /config auth=Basic "
                + java.util.Base64.getEncoder().encodeToString("fuse:s3cr@t".getBytes(StandardCharsets.UTF_8)));
        assertThat(client.toString()).doesNotContain("s3cr");

        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        HttpSchemaRegistryClient down = new HttpSchemaRegistryClient(config("http://fuse:s3cr%40t@127.0.0.1:" + closed,
                RegistryConfig.CREDENTIALS_SOURCE, "URL"));
        assertThatThrownBy(() -> down.schemaById(1)).hasMessageContaining("unreachable").hasMessageNotContaining("s3cr");
    }
}
