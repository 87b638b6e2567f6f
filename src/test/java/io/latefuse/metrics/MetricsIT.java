package io.latefuse.metrics;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.topology.FusionApp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** /metrics and /health over HTTP, on the fusion app running against the real broker and registry. */
@ExtendWith(RealKafka.class)
class MetricsIT {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static ModalityScore score(String id, String m) {
        return ModalityScore.newBuilder().setEventId(id).setModality(m).setModel(m).setModelVersion("1")
                .setScores(List.of(0.8f, 0.2f)).setScoreType(ScoreType.PROBABILITY).setEventTime(Instant.now()).build();
    }

    /**
     * The metric names in every query of dashboards/latefuse.json that the fusion app exports: all but the quality
     * app's ({@code latefuse_quality_*}), which QualityIT checks against the quality app's scrape.
     */
    static java.util.Set<String> dashboardMetrics() throws java.io.IOException {
        java.util.Set<String> names = io.latefuse.testkit.DashboardMetrics.names();
        names.addAll(io.latefuse.testkit.AlertRules.metricNames()); // and deploy/prometheus/latefuse-alerts.yml's
        names.removeIf(io.latefuse.testkit.DashboardMetrics::ofQualityApp);
        return names;
    }

    @Test
    void metricsAndHealthOverHttp(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "m" + UUID.randomUUID().toString().substring(0, 6) + ".";
        PipelineConfig config = env.pipeline("metrics", prefix, """
                classes: [directed, undirected]
                modalities: [{name: acoustic}, {name: lexical}, {name: visual, required: false}]
                max.wait: 500ms
                store.type: rocksdb
                """);
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(1), Optional.of((short) 1));
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.toString()), new FusionTelemetry(registry));
        try (MetricsServer server = new MetricsServer(0, registry, app.streams())) {
            int port = server.port();
            assertThat(get(port, "/health").statusCode()).as("not started").isEqualTo(503);
            // Before any event, every labelled counter is there at 0, for dashboards and alerts.
            assertThat(get(port, "/metrics").body())
                    .contains("latefuse_predictions_total{status=\"COMPLETE\"} 0.0")
                    .contains("latefuse_predictions_total{status=\"DEGRADED\"} 0.0")
                    .contains("latefuse_missing_total{modality=\"visual\"} 0.0")
                    .contains("latefuse_dead_letters_total{reason=\"not_finite\"} 0.0")
                    .contains("latefuse_dead_letters_total{reason=\"deserialization\"} 0.0")
                    .contains("latefuse_restored_records_total{store=\"pending\"} 0.0");
            app.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> get(port, "/health").statusCode() == 200);
            assertThat(get(port, "/health").body()).contains("\"streams\":\"RUNNING\"");

            RegistryConfig rc = RegistryConfig.of(env.registryUrl());
            try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    env.bootstrapServers()), new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
                p.send(new ProducerRecord<>(prefix + "scores.acoustic", "ok", score("ok", "acoustic")));
                p.send(new ProducerRecord<>(prefix + "scores.lexical", "ok", score("ok", "lexical")));          // COMPLETE, visual missing
                p.send(new ProducerRecord<>(prefix + "scores.lexical", "ok", score("ok", "lexical")));          // a duplicate
                p.send(new ProducerRecord<>(prefix + "scores.acoustic", "half", score("half", "acoustic")));    // DEGRADED
                p.send(new ProducerRecord<>(prefix + "scores.acoustic", "bad", score("bad", "camera")));        // dead letter
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String m = get(port, "/metrics").body();
                assertThat(m).contains("latefuse_predictions_total{status=\"COMPLETE\"} 1.0")
                        .contains("latefuse_predictions_total{status=\"DEGRADED\"} 1.0")
                        .contains("latefuse_missing_total{modality=\"visual\"} 2.0")
                        .contains("latefuse_missing_total{modality=\"lexical\"} 1.0")
                        .contains("latefuse_dead_letters_total{reason=\"unknown_modality\"} 1.0")
                        .contains("latefuse_pending_events 0.0")
                        .contains("latefuse_wait_milliseconds_bucket")
                        .contains("latefuse_wait_milliseconds_count 2")
                        .contains("latefuse_duplicates_total 1.0")
                        .contains("latefuse_arrival_delay_milliseconds_count{modality=\"lexical\"} 1")
                        .contains("latefuse_revisions_suppressed_total 0.0")
                        .contains("latefuse_late_arrivals_total 0.0")
                        .containsPattern("latefuse_input_holdback_milliseconds [0-9.E]+")
                        .contains("kafka_stream_thread_process_latency_avg")
                        .contains("kafka_consumer_");
            });
            // Every metric the Grafana dashboard and the alert rules query is in this scrape: neither can drift from
            // the code.
            // Micrometer binds the metrics that Kafka Streams adds later (a task's state stores) on its next
            // refresh, once a minute: hence the wait.
            await().atMost(Duration.ofSeconds(100)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                String m = get(port, "/metrics").body();
                assertThat(dashboardMetrics()).isNotEmpty().allSatisfy(name ->
                        assertThat(m).as("the dashboard or an alert queries " + name).containsPattern("(?m)^" + name + "[{ ]"));
            });
        } finally {
            app.close();
        }
    }
}
