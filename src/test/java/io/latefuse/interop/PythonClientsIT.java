package io.latefuse.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.OperatingPoints;
import io.latefuse.config.PipelineConfig;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.topology.FusionApp;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Python examples in examples/python, as a user runs them, against the real broker and registry: a producer of
 * ModalityScore and a consumer of FusedPrediction, both with confluent_kafka's own Avro serializer, on either side
 * of the fusion app. Skipped, with the reason printed, where no python3 imports confluent_kafka's Avro serializer;
 * .ci/run installs Debian's python3-confluent-kafka, python3-avro and fastavro (which the serializer imports).
 */
@ExtendWith(RealKafka.class)
class PythonClientsIT {
    private static final Path EXAMPLES = Path.of("examples", "python");
    private static final List<String> CLASSES = List.of("directed", "undirected");
    private static final int EVENTS = 8;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String python;

    @BeforeAll
    static void findPython() throws Exception {
        List<String> tried = new ArrayList<>();
        for (String candidate : List.of("python3", "/usr/bin/python3")) {
            Run r;
            try {
                r = run(List.of(candidate, "-c", "from confluent_kafka.schema_registry.avro import AvroSerializer"), "");
            } catch (IOException e) {
                tried.add(candidate + ": " + e.getMessage());
                continue;
            }
            if (r.exit() == 0) {
                python = candidate;
                return;
            }
            String[] lines = r.err().strip().split("\n");
            tried.add(candidate + ": " + lines[lines.length - 1]);
        }
        String reason = "PythonClientsIT skipped: no python3 here imports confluent_kafka's Avro serializer ("
                + String.join("; ", tried) + "). Install python3-confluent-kafka, python3-avro and fastavro "
                + "(.ci/run does).";
        System.out.println(reason);
        Assumptions.abort(reason);
    }

    private record Run(int exit, String out, String err) {}

    private static Run run(List<String> command, String stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1"); // no __pycache__ in the examples
        Path out = Files.createTempFile("py", ".out");
        Path err = Files.createTempFile("py", ".err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command + " did not finish within 120 s; stderr: " + Files.readString(err));
        }
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    @Test
    void scoresFromPythonAreFusedAndPythonReadsThePredictions(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "py" + UUID.randomUUID().toString().substring(0, 6) + ".";
        // With operating points, so that the predictions carry the fields the old schema lacks.
        Path points = dir.resolve("points.json");
        new OperatingPoints("frr-py", "weighted_mean", "directed", OperatingPoints.Metric.FRR, 0.1, 0.5, 100,
                List.of(new OperatingPoints.Subset(List.of("acoustic", "lexical"), 0.75, 100)), List.of()).write(points);
        PipelineConfig config = env.pipeline("python", prefix, """
                classes: [directed, undirected]
                modalities: [{name: acoustic}, {name: lexical}]
                max.wait: 5s
                operating.points: %s
                """.formatted(points));
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(2), Optional.of((short) 1));
        }
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.toString()))) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);

            // 1. The producer, as a script: one JSON line per score, scores by class name, event_time in ISO-8601.
            Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(2);
            StringBuilder lines = new StringBuilder();
            Map<String, Instant> sentTimes = new HashMap<>();
            for (int e = 0; e < EVENTS; e++) {
                String id = "py-" + e;
                Instant t = t0.plusMillis(7L * e + 1);
                sentTimes.put(id, t);
                boolean directed = e % 2 == 0;
                // Given undirected first: the helper must put them in the pipeline's class order.
                lines.append(line(id, "acoustic", directed ? 0.9 : 0.2, t)).append(line(id, "lexical", directed ? 0.7 : 0.4, t));
            }
            Run produced = run(List.of(python, EXAMPLES.resolve("latefuse_scores.py").toString(),
                    "--bootstrap-servers", env.bootstrapServers(), "--schema-registry-url", env.registryUrl(),
                    "--topic-prefix", prefix, "--classes", String.join(",", CLASSES)), lines.toString());
            assertThat(produced.exit()).as(produced.err()).isZero();
            assertThat(produced.err()).contains("sent " + 2 * EVENTS + " score(s)");

            // 2. The mistakes the helpers refuse, and the one the fusion app catches: a key that is not the event id.
            Run mistakes = run(List.of(python, "-c", """
                    import datetime, sys, time
                    sys.path.insert(0, sys.argv[1])
                    from latefuse_scores import ScoreProducer, modality_score, scores_in_class_order
                    classes = ["directed", "undirected"]
                    for bad in (time.time(), datetime.datetime.now()):
                        try:
                            modality_score("x", "acoustic", {"directed": 0.5, "undirected": 0.5}, classes, bad)
                            print("accepted", bad)
                        except (TypeError, ValueError) as e:
                            print("refused:", e)
                    try:
                        scores_in_class_order({"yes": 0.5, "no": 0.5}, classes)
                        print("accepted wrong classes")
                    except ValueError as e:
                        print("refused:", e)
                    p = ScoreProducer(sys.argv[2], sys.argv[3], sys.argv[4])
                    p.send(modality_score("py-keyed", "acoustic", {"directed": 0.5, "undirected": 0.5}, classes,
                                          datetime.datetime.now(datetime.timezone.utc)), key="not-py-keyed")
                    p.flush()
                    """, EXAMPLES.toString(), env.bootstrapServers(), env.registryUrl(), prefix), "");
            assertThat(mistakes.exit()).as(mistakes.err()).isZero();
            assertThat(mistakes.out()).doesNotContain("accepted")
                    .contains("refused: event_time must be a timezone-aware datetime")
                    .contains("has no time zone")
                    .contains("refused: scores are for ['no', 'yes'], but the pipeline's classes are ['directed', 'undirected']");

            // 3. What Python wrote, read from the topic by latefuse's own deserializer: the record key is the event
            // id, the scores are in class order, and event_time is the millisecond that was given.
            SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.of(env.registryUrl()));
            List<ConsumerRecord<String, byte[]>> acoustic = CommittedReader.read(env, prefix + "scores.acoustic",
                    new ByteArrayDeserializer(), EVENTS + 1);
            var scores = AvroDeserializer.specific(ModalityScore.class, registry);
            for (ConsumerRecord<String, byte[]> r : acoustic) {
                assertThat(r.value()[0]).as("Confluent's magic byte").isZero();
                ModalityScore s = scores.deserialize(r.topic(), r.value());
                if (s.getEventId().equals("py-keyed")) {
                    continue;
                }
                assertThat(r.key()).isEqualTo(s.getEventId());
                assertThat(s.getEventTime()).isEqualTo(sentTimes.get(s.getEventId()));
                int e = Integer.parseInt(s.getEventId().substring(3));
                assertThat(s.getScores()).containsExactly(e % 2 == 0 ? 0.9f : 0.2f, e % 2 == 0 ? 0.1f : 0.8f);
            }
            List<ConsumerRecord<String, byte[]>> dead = CommittedReader.read(env, config.deadLetterTopic(),
                    new ByteArrayDeserializer(), 1);
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(r.key()).isEqualTo("not-py-keyed");
                assertThat(new String(r.headers().lastHeader(DeadLetterReason.HEADER).value(), StandardCharsets.UTF_8))
                        .isEqualTo("key_mismatch");
            });

            // 4. The fusion app's predictions, as Java reads them...
            List<ConsumerRecord<String, FusedPrediction>> fused = CommittedReader.read(env, config.outputTopic(),
                    AvroDeserializer.specific(FusedPrediction.class, registry), EVENTS);
            Map<String, FusedPrediction> byId = new HashMap<>();
            fused.forEach(r -> byId.put(r.key(), r.value()));
            assertThat(byId).hasSize(EVENTS);
            byId.forEach((id, f) -> {
                int e = Integer.parseInt(id.substring(3));
                assertThat(f.getStatus().name()).isEqualTo("COMPLETE");
                assertThat(f.getLabel()).as(id).isEqualTo(e % 2 == 0 ? "directed" : "undirected");
                assertThat(f.getEventTime()).isEqualTo(sentTimes.get(id));
                assertThat(f.getDecision()).isEqualTo(f.getLabel());
                assertThat(f.getThreshold()).isEqualTo(0.75f);
            });

            // ...and as the Python consumer reads them: the same label, status, scores by class, and event_time.
            Run consumed = run(List.of(python, EXAMPLES.resolve("latefuse_predictions.py").toString(),
                    "--bootstrap-servers", env.bootstrapServers(), "--schema-registry-url", env.registryUrl(),
                    "--topic", config.outputTopic(), "--classes", String.join(",", CLASSES),
                    "--group", "py-" + UUID.randomUUID(), "--max-messages", String.valueOf(EVENTS), "--timeout", "90"), "");
            assertThat(consumed.exit()).as(consumed.err()).isZero();
            List<JsonNode> printed = new ArrayList<>();
            for (String l : consumed.out().strip().split("\n")) {
                printed.add(JSON.readTree(l));
            }
            assertThat(printed).hasSize(EVENTS);
            for (JsonNode p : printed) {
                FusedPrediction f = byId.get(p.path("event_id").asText());
                assertThat(f).as(p.toString()).isNotNull();
                assertThat(p.path("label").asText()).isEqualTo(f.getLabel());
                assertThat(p.path("status").asText()).isEqualTo(f.getStatus().name());
                assertThat(p.path("revision").asInt()).isEqualTo(f.getRevision());
                for (int c = 0; c < CLASSES.size(); c++) {
                    assertThat(p.path("scores").path(CLASSES.get(c)).floatValue()).isEqualTo(f.getScores().get(c));
                }
                assertThat(Instant.parse(p.path("event_time").asText())).isEqualTo(f.getEventTime());
                assertThat(p.path("decision").asText()).isEqualTo(f.getDecision());
                assertThat(p.path("threshold").floatValue()).isEqualTo(f.getThreshold());
                assertThat(p.path("operating_point").asText()).isEqualTo("frr-py");
            }

            // A Python consumer built on the schema before operating points still decodes the new records.
            Run old = run(List.of(python, EXAMPLES.resolve("latefuse_predictions.py").toString(),
                    "--bootstrap-servers", env.bootstrapServers(), "--schema-registry-url", env.registryUrl(),
                    "--topic", config.outputTopic(), "--classes", String.join(",", CLASSES),
                    "--group", "py-old-" + UUID.randomUUID(), "--max-messages", String.valueOf(EVENTS), "--timeout", "90",
                    "--reader-schema", "src/test/resources/schemas-before-decisions/FusedPrediction.avsc"), "");
            assertThat(old.exit()).as(old.err()).isZero();
            String[] oldLines = old.out().strip().split("\n");
            assertThat(oldLines).hasSize(EVENTS);
            for (String l : oldLines) {
                JsonNode p = JSON.readTree(l);
                assertThat(p.has("decision")).isFalse();
                assertThat(p.path("label").asText()).isEqualTo(byId.get(p.path("event_id").asText()).getLabel());
            }
        }
    }

    /** One line of the producer's input, with the classes given in the other order than the pipeline's. */
    @Test
    void javaAndPythonScorersOfOneEventMeetOnSixPartitionsAndAScoreOnTheWrongPartitionIsDeadLettered(
            KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "pymix" + UUID.randomUUID().toString().substring(0, 6) + ".";
        PipelineConfig config = env.pipeline("pymix", prefix, """
                classes: [directed, undirected]
                modalities: [{name: acoustic}, {name: lexical}]
                max.wait: 5s
                """);
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(6), Optional.of((short) 1));
        }
        int events = 200;
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.toString()));
             var java = new org.apache.kafka.clients.producer.KafkaProducer<String, ModalityScore>(Map.of(
                     org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()),
                     new org.apache.kafka.common.serialization.StringSerializer(),
                     new io.latefuse.registry.AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
            Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            // acoustic from Python's example producer, lexical from a Java producer.
            StringBuilder lines = new StringBuilder();
            for (int e = 0; e < events; e++) {
                lines.append(line("mix-" + e, "acoustic", 0.8, t));
            }
            Run produced = run(List.of(python, EXAMPLES.resolve("latefuse_scores.py").toString(),
                    "--bootstrap-servers", env.bootstrapServers(), "--schema-registry-url", env.registryUrl(),
                    "--topic-prefix", prefix, "--classes", String.join(",", CLASSES)), lines.toString());
            assertThat(produced.exit()).as(produced.err()).isZero();
            for (int e = 0; e < events; e++) {
                String id = "mix-" + e;
                java.send(new org.apache.kafka.clients.producer.ProducerRecord<>(prefix + "scores.lexical", id,
                        ModalityScore.newBuilder().setEventId(id).setModality("lexical").setModel("java")
                                .setModelVersion("1").setScores(List.of(0.6f, 0.4f))
                                .setScoreType(io.latefuse.avro.ScoreType.PROBABILITY).setEventTime(t).build())).get();
            }
            // And one lexical score put on the wrong partition on purpose.
            String stray = "mix-stray";
            int right = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                    stray.getBytes(StandardCharsets.UTF_8))) % 6;
            java.send(new org.apache.kafka.clients.producer.ProducerRecord<>(prefix + "scores.lexical", (right + 1) % 6,
                    stray, ModalityScore.newBuilder().setEventId(stray).setModality("lexical").setModel("java")
                            .setModelVersion("1").setScores(List.of(0.6f, 0.4f))
                            .setScoreType(io.latefuse.avro.ScoreType.PROBABILITY).setEventTime(t).build())).get();

            // Python placed every key where Java does.
            for (ConsumerRecord<String, byte[]> r : CommittedReader.read(env, prefix + "scores.acoustic",
                    new ByteArrayDeserializer(), events)) {
                assertThat(r.partition()).as(r.key()).isEqualTo(org.apache.kafka.common.utils.Utils.toPositive(
                        org.apache.kafka.common.utils.Utils.murmur2(r.key().getBytes(StandardCharsets.UTF_8))) % 6);
            }
            Map<String, List<FusedPrediction>> byId = new HashMap<>();
            for (ConsumerRecord<String, FusedPrediction> r : CommittedReader.read(env, config.outputTopic(),
                    AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), events)) {
                byId.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
            }
            assertThat(byId).as("every event answered, the stray one not").hasSize(events);
            byId.forEach((id, ps) -> assertThat(ps).as(id).singleElement()
                    .satisfies(p -> assertThat(p.getStatus().name()).isEqualTo("COMPLETE")));
            List<ConsumerRecord<String, byte[]>> dead = CommittedReader.read(env, config.deadLetterTopic(),
                    new ByteArrayDeserializer(), 1);
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(r.key()).isEqualTo(stray);
                assertThat(new String(r.headers().lastHeader(DeadLetterReason.HEADER).value(), StandardCharsets.UTF_8))
                        .isEqualTo("wrong_partition");
                assertThat(new String(r.headers().lastHeader(DeadLetterReason.DETAIL_HEADER).value(),
                        StandardCharsets.UTF_8)).contains("is on partition " + (right + 1) % 6)
                        .contains("maps to partition " + right);
            });
        }
    }

    private static String line(String id, String modality, double directed, Instant t) throws IOException {
        Map<String, Object> scores = new java.util.LinkedHashMap<>();
        scores.put("undirected", 1 - directed);
        scores.put("directed", directed);
        return JSON.writeValueAsString(Map.of("event_id", id, "modality", modality, "scores", scores,
                "event_time", t.toString())) + "\n";
    }
}
