package io.latefuse.lookup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.cli.Main;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.testkit.AppProcess;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /events/{id}} and {@code latefuse explain} on two instances of {@code latefuse run} (separate JVMs, the
 * same application.id) against the real broker and registry: every event is looked up through both instances, and
 * each answers for the events the other owns by asking it.
 */
@ExtendWith(RealKafka.class)
class EventLookupIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "tok-" + UUID.randomUUID();
    /** Long enough that every half event is looked up while pending, on a loaded machine too. */
    private static final Duration MAX_WAIT = Duration.ofSeconds(10);
    private static final int EVENTS = 20;
    private static final String WEIRD_ID = "ev/ä ?#&+%20;x";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> get(int port, String rawPath, String token) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + rawPath))
                .timeout(Duration.ofSeconds(15));
        if (token != null) {
            r.header("Authorization", "Bearer " + token);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode lookup(int port, String id) throws Exception {
        HttpResponse<String> r = get(port, "/events/" + EventLookup.encode(id), TOKEN);
        assertThat(r.statusCode()).as("lookup of %s through port %d: %s", id, port, r.body()).isIn(200, 404);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        return JSON.readTree(r.body());
    }

    private static ModalityScore score(String id, String modality, float p) {
        return ModalityScore.newBuilder().setEventId(id).setModality(modality).setModel(modality).setModelVersion("1")
                .setScores(List.of(p, 1 - p)).setScoreType(ScoreType.PROBABILITY).setEventTime(Instant.now()).build();
    }

    @Test
    void eventsAreLookedUpThroughEitherInstance(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "lk" + UUID.randomUUID().toString().substring(0, 6) + ".";
        String appId = KafkaEnvironment.freshAppId("lookup");
        int[] ports = {io.latefuse.embedded.ApicurioRegistryProcess.freePort(),
                io.latefuse.embedded.ApicurioRegistryProcess.freePort()};
        Path[] configs = new Path[2];
        for (int i = 0; i < 2; i++) {
            configs[i] = Files.writeString(dir.resolve("instance-" + i + ".yaml"), """
                    application.id: %s
                    bootstrap.servers: %s
                    schema.registry.url: %s
                    topic.prefix: %s
                    classes: [directed, undirected]
                    modalities: [{name: acoustic}, {name: lexical}]
                    max.wait: %dms
                    http.bind.address: 127.0.0.1
                    http.advertised.host: 127.0.0.1
                    kafka: {state.dir: %s}
                    """.formatted(appId, env.bootstrapServers(), env.registryUrl(), prefix, MAX_WAIT.toMillis(),
                    dir.resolve("state-" + i)));
        }
        // The token reaches each app only through its environment, as an operator would give it.
        Map<String, String> secret = Map.of("LATEFUSE_HTTP_TOKEN", TOKEN);
        try (AppProcess a = start(configs[0], ports[0], secret, dir.resolve("a.log")).awaitRunning()) {
            // The second instance: its HTTP server is up before its first assignment, and says so until it has one.
            try (AppProcess b = start(configs[1], ports[1], secret, dir.resolve("b.log"))) {
                HttpResponse<String> beforeAssignment = firstAnswer(ports[1]);
                assertThat(beforeAssignment.statusCode()).as(beforeAssignment.body()).isEqualTo(503);
                assertThat(beforeAssignment.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(JSON.readTree(beforeAssignment.body()).path("error").asText()).contains("rebalancing");
                b.awaitRunning();

                List<String> complete = new ArrayList<>();
                List<String> half = new ArrayList<>();
                for (int e = 0; e < EVENTS; e++) {
                    complete.add("c-" + e);
                    half.add("h-" + e);
                }
                // Until both instances own partitions, an answer may be a 503 of the rebalance: wait it out.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                    Set<String> owners = new HashSet<>();
                    for (String id : complete) {
                        for (int port : ports) {
                            owners.add(lookup(port, id).path("owner").asText());
                        }
                    }
                    assertThat(owners).containsExactlyInAnyOrder("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]);
                });

                RegistryConfig rc = RegistryConfig.of(env.registryUrl());
                try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()),
                        new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
                    for (int e = 0; e < EVENTS; e++) {
                        float q = 0.5f + e / 50f;
                        p.send(new ProducerRecord<>(prefix + "scores.acoustic", complete.get(e), score(complete.get(e), "acoustic", q)));
                        p.send(new ProducerRecord<>(prefix + "scores.lexical", complete.get(e), score(complete.get(e), "lexical", q)));
                        p.send(new ProducerRecord<>(prefix + "scores.acoustic", half.get(e), score(half.get(e), "acoustic", 0.3f)));
                    }
                    p.send(new ProducerRecord<>(prefix + "scores.acoustic", WEIRD_ID, score(WEIRD_ID, "acoustic", 0.9f)));
                    p.send(new ProducerRecord<>(prefix + "scores.lexical", WEIRD_ID, score(WEIRD_ID, "lexical", 0.9f)));
                    p.flush();

                    // While the half events wait for lexical: PENDING, the same answer through either instance.
                    await().atMost(MAX_WAIT.dividedBy(2)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                        for (String id : half) {
                            JsonNode viaA = lookup(ports[0], id);
                            assertThat(viaA.path("state").asText()).as(id).isEqualTo("PENDING");
                            assertThat(lookup(ports[1], id)).as(id + " through the other instance").isEqualTo(viaA);
                        }
                    });
                    JsonNode pending = lookup(ports[1], half.get(0));
                    assertThat(pending.path("present").toString()).isEqualTo("[\"acoustic\"]");
                    assertThat(pending.path("missing").toString()).isEqualTo("[\"lexical\"]");
                    assertThat(Duration.between(Instant.parse(pending.path("first_arrival").asText()),
                            Instant.parse(pending.path("deadline").asText()))).isEqualTo(MAX_WAIT);
                    assertThat(pending.path("deadline_clock").asText()).isEqualTo("input");
                    assertThat(pending.has("revision")).as("no revision while pending").isFalse();
                    assertThat(pending.path("reason").asText()).contains("waiting for lexical");

                    // Past the deadline: EMITTED, DEGRADED, with why.
                    await().atMost(MAX_WAIT.multipliedBy(4)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                        for (String id : half) {
                            JsonNode v = lookup(ports[1], id);
                            assertThat(v.path("state").asText()).as(id).isEqualTo("EMITTED");
                            assertThat(lookup(ports[0], id)).isEqualTo(v);
                        }
                    });
                    // A late lexical score revises one of them.
                    p.send(new ProducerRecord<>(prefix + "scores.lexical", half.get(1), score(half.get(1), "lexical", 0.3f)));
                    p.flush();
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> lookup(ports[0], half.get(1)).path("revision").asInt() == 1);

                // Every event's key, and 2 s more: the revision, stored before it is committed, is read too.
                List<ConsumerRecord<String, FusedPrediction>> out = CommittedReader.read(env, prefix + "fused",
                        AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), 2 * EVENTS + 1);
                Map<String, FusedPrediction> last = new HashMap<>();
                out.forEach(r -> last.merge(r.key(), r.value(), (x, y) -> y.getRevision() > x.getRevision() ? y : x));
                assertThat(last).hasSize(2 * EVENTS + 1);

                // Every event, through both instances: the last prediction as the output topic has it.
                Set<String> owners = new HashSet<>();
                for (String id : last.keySet()) {
                    FusedPrediction want = last.get(id);
                    JsonNode viaA = lookup(ports[0], id);
                    assertThat(lookup(ports[1], id)).as(id).isEqualTo(viaA);
                    assertThat(viaA.path("event_id").asText()).isEqualTo(id);
                    assertThat(viaA.path("state").asText()).as(id).isEqualTo("EMITTED");
                    assertThat(viaA.path("revision").asInt()).as(id).isEqualTo(want.getRevision());
                    JsonNode prediction = viaA.path("prediction");
                    assertThat(prediction.path("status").asText()).as(id).isEqualTo(want.getStatus().name());
                    assertThat(prediction.path("label").asText()).as(id).isEqualTo(want.getLabel());
                    List<Float> scores = new ArrayList<>();
                    prediction.path("scores").forEach(s -> scores.add(s.floatValue()));
                    assertThat(scores).as(id).isEqualTo(want.getScores());
                    assertThat(viaA.path("present").toString()).isEqualTo(JSON.writeValueAsString(want.getPresent()));
                    assertThat(viaA.path("first_arrival").asText()).isEqualTo(want.getFirstArrival().toString());
                    owners.add(viaA.path("owner").asText());
                }
                assertThat(owners).as("both instances own some of the events").hasSize(2);

                JsonNode degraded = lookup(ports[0], half.get(2));
                assertThat(degraded.path("prediction").path("status").asText()).isEqualTo("DEGRADED");
                assertThat(degraded.path("missing").toString()).isEqualTo("[\"lexical\"]");
                assertThat(degraded.path("reason").asText()).isEqualTo(last.get(half.get(2)).getDegradedReason())
                        .contains("lexical");
                assertThat(degraded.path("deadline").asText())
                        .isEqualTo(last.get(half.get(2)).getDeadline().toString());
                JsonNode revised = lookup(ports[1], half.get(1));
                assertThat(revised.path("revision").asInt()).isEqualTo(1);
                assertThat(revised.path("prediction").path("status").asText()).isEqualTo("COMPLETE");
                assertThat(revised.path("reason").asText()).startsWith("revision 0 was DEGRADED: ");
                assertThat(complete).allSatisfy(id -> assertThat(last.get(id).getStatus().name()).isEqualTo("COMPLETE"));

                // Bad requests: each a JSON answer that says what is wrong, never a stack trace.
                JsonNode unknown = lookup(ports[0], "never-sent");
                assertThat(unknown.path("state").asText()).isEqualTo("UNKNOWN");
                assertThat(unknown.path("reason").asText()).contains("late.retention");
                assertThat(get(ports[1], "/events/never-sent", TOKEN).statusCode()).isEqualTo(404);
                for (String token : new String[] {null, "wrong"}) {
                    HttpResponse<String> refused = get(ports[0], "/events/c-1", token);
                    assertThat(refused.statusCode()).isEqualTo(401);
                    assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(h -> assertThat(h).startsWith("Bearer"));
                    assertThat(JSON.readTree(refused.body()).path("error").asText()).contains("http.token");
                    assertThat(refused.body()).doesNotContain(TOKEN).doesNotContain("scores");
                }
                HttpResponse<String> noId = get(ports[0], "/events/", TOKEN);
                assertThat(noId.statusCode()).isEqualTo(400);
                assertThat(JSON.readTree(noId.body()).path("error").asText()).contains("give an event id");
                HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[0]
                        + "/events/c-1")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(post.statusCode()).isEqualTo(405);
                assertThat(get(ports[0], "/metrics", null).statusCode()).as("scrapes need no token").isEqualTo(200);

                // explain, for a person, through the instance that does not own the event.
                String owner = degraded.path("owner").asText();
                int other = owner.endsWith(":" + ports[0]) ? ports[1] : ports[0];
                Path explainConfig = Files.writeString(dir.resolve("explain.yaml"), Files.readString(configs[0])
                        + "http.token: " + TOKEN + "\n");
                Explained e = explain(explainConfig, other, half.get(2));
                assertThat(e.exit()).as(e.err()).isZero();
                assertThat(e.out()).startsWith("event " + half.get(2) + ": EMITTED, revision 0, DEGRADED")
                        .containsPattern("\n  missing: +lexical\n")
                        .contains("  why:           " + last.get(half.get(2)).getDegradedReason())
                        .contains("  answered by:   " + owner)
                        .containsPattern("prediction: +undirected \\(directed 0\\.[0-9]{3}, undirected 0\\.[0-9]{3}\\)");
                Explained weird = explain(explainConfig, other, WEIRD_ID);
                assertThat(weird.exit()).as(weird.err()).isZero();
                assertThat(weird.out()).startsWith("event " + WEIRD_ID + ": EMITTED, revision 0, COMPLETE");
                Explained missing = explain(explainConfig, other, "never-sent");
                assertThat(missing.exit()).isEqualTo(1);
                assertThat(missing.out()).startsWith("event never-sent: UNKNOWN");
                Explained refused = explain(configs[0], other, half.get(2)); // no token in this config
                assertThat(refused.exit()).isEqualTo(2);
                assertThat(refused.err()).contains("refused the token").contains("http.token");

                b.stop();
                a.stop();
                for (String log : List.of("a.log", "b.log")) {
                    assertThat(Files.readString(dir.resolve(log))).as(log + " holds no token").doesNotContain(TOKEN);
                }
            }
        }
    }

    /** The first answer of {@code port}'s lookup endpoint, polled from the moment the process starts. */
    private HttpResponse<String> firstAnswer(int port) {
        HttpResponse<String>[] first = new HttpResponse[1];
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).ignoreExceptions().until(() -> {
            first[0] = get(port, "/events/probe", TOKEN);
            return true;
        });
        return first[0];
    }

    private record Explained(int exit, String out, String err) {}

    private static Explained explain(Path config, int port, String id) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("explain", "--config", config.toString(), "--url", "http://127.0.0.1:" + port, "--wait", "30s", id);
        return new Explained(exit, out.toString(), err.toString());
    }

    private static AppProcess start(Path config, int port, Map<String, String> env, Path log) throws Exception {
        return AppProcess.start(List.of("run", "--config", config.toString(), "--create-topics", "--partitions", "4",
                "--replication-factor", "1", "--metrics-port", String.valueOf(port)), env, log);
    }
}
