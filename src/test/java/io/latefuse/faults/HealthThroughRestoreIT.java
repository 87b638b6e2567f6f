package io.latefuse.faults;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.testkit.AppProcess;
import io.latefuse.testkit.EmbeddedKafkaAndRegistry;
import io.latefuse.testkit.RealKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Readiness and liveness as an orchestrator sees them through a crash: the fusion app (its own JVM, exactly-once,
 * RocksDB, a stable {@code instance.id}) holds 40,000 pending events, is killed with SIGKILL and restarted. From the
 * restarted process's first answer on, liveness is 200 at every sample, through the rebalance and the restore of
 * its state, while readiness is 503 until Kafka Streams is RUNNING; and every pending event is there again.
 */
@ExtendWith(RealKafka.class)
class HealthThroughRestoreIT {
    private static final int PENDING = 40_000;

    /** One sample of both probes. */
    record Sample(long atMs, int ready, int live) {}

    @Test
    void livenessHoldsThroughTheRestoreWhileReadinessWaitsForRunning(EmbeddedKafkaAndRegistry env, @TempDir Path dir)
            throws Exception {
        String prefix = "health" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path config = dir.resolve("pipeline.yaml");
        Files.writeString(config, env.ddsdYaml("health", prefix)
                .replace("max.wait: 300ms", "max.wait: 1h")
                .replace("stream.threads: 1", "stream.threads: 1\ninstance.id: health-0")
                .replace("kafka: {}", "kafka: {state.dir: " + dir.resolve("state") + "}"));
        int port = freePort();
        List<String> args = List.of("run", "--config", config.toString(), "--create-topics", "--partitions", "3",
                "--replication-factor", "1", "--metrics-port", Integer.toString(port));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

        try (AppProcess first = AppProcess.start(args, Map.of(), dir.resolve("run-1.log")).awaitRunning()) {
            produceOneModality(env, prefix);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> pending(http, port) == PENDING);
            first.kill();
        }

        try (AppProcess second = AppProcess.start(args, Map.of(), dir.resolve("run-2.log"))) {
            List<Sample> samples = new ArrayList<>();
            long start = System.currentTimeMillis();
            long deadline = start + 120_000;
            while (System.currentTimeMillis() < deadline) {
                int ready = status(http, port, "/health/ready");
                int live = status(http, port, "/health/live");
                if (ready > 0 || live > 0) {
                    samples.add(new Sample(System.currentTimeMillis() - start, ready, live));
                }
                if (ready == 200) {
                    break;
                }
                Thread.sleep(50);
            }
            System.err.printf("HealthThroughRestoreIT: %d samples from the first answer to ready; not ready for the "
                    + "first %d, ready at %d ms%n", samples.size(), samples.stream().filter(s -> s.ready() != 200).count(),
                    samples.isEmpty() ? -1 : samples.get(samples.size() - 1).atMs());
            assertThat(samples).as("samples from the restarted process").isNotEmpty();
            assertThat(samples.get(samples.size() - 1).ready()).as("ready within 2 minutes").isEqualTo(200);
            assertThat(samples).as("liveness at every sample, once the server answers")
                    .allSatisfy(s -> assertThat(s.live()).as("live at %d ms", s.atMs()).isEqualTo(200));
            assertThat(samples).as("a time not yet ready, but alive: the rebalance and restore")
                    .anySatisfy(s -> assertThat(s.ready()).isEqualTo(503));
            // Restored from the changelog up to the last commit; the events of the transaction the kill cut short
            // are read again from the committed offsets, once, after RUNNING.
            long atReady = pending(http, port);
            System.err.printf("HealthThroughRestoreIT: %d pending when ready%n", atReady);
            assertThat(atReady).as("pending events restored when ready").isPositive().isLessThanOrEqualTo(PENDING);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(pending(http, port)).isEqualTo(PENDING));
        }
    }

    private static void produceOneModality(EmbeddedKafkaAndRegistry env, String prefix) {
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 20),
                new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
            for (int e = 0; e < PENDING; e++) {
                String id = "ev-" + e;
                p.send(new ProducerRecord<>(prefix + "scores.acoustic", id, ModalityScore.newBuilder().setEventId(id)
                        .setModality("acoustic").setModel("a").setModelVersion("1").setScores(List.of(0.6f, 0.4f))
                        .setScoreType(ScoreType.PROBABILITY).setEventTime(Instant.now()).build()));
            }
        }
    }

    private static final Pattern PENDING_GAUGE = Pattern.compile("(?m)^latefuse_pending_events(?:\\{[^}]*})? (\\S+)$");

    /** The pending-events gauge, or -1 while it cannot be read. */
    private static long pending(HttpClient http, int port) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = PENDING_GAUGE.matcher(body);
            return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** The status of GET {@code path}, or 0 when the server does not answer (not yet listening). */
    private static int status(HttpClient http, int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return 0;
        }
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
