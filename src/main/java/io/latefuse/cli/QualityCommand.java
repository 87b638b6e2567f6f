package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.metrics.Liveness;
import io.latefuse.metrics.MetricsServer;
import io.latefuse.quality.QualityApp;
import io.latefuse.quality.QualityPreflight;
import io.latefuse.quality.QualityTelemetry;
import io.latefuse.streams.BrokerCheck;
import io.latefuse.streams.StreamsLifecycle;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;

/** Runs the quality app until SIGTERM or SIGINT. */
@Command(name = "quality", mixinStandardHelpOptions = true,
        description = {"Judge the fused predictions against ground truth (labels.topic) and publish quality per subset "
                + "of modalities present to quality.topic and /metrics, until SIGTERM or SIGINT.",
                "A Kafka Streams app of its own, <application.id>-quality, beside 'run'."})
final class QualityCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(QualityCommand.class);

    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--create-topics", defaultValue = "${env:LATEFUSE_CREATE_TOPICS:-false}",
            description = "Create missing topics instead of failing (env LATEFUSE_CREATE_TOPICS); joined ones take "
                    + "the output topic's partition count.")
    boolean createTopics;

    @Option(names = "--partitions", defaultValue = "${env:LATEFUSE_PARTITIONS}",
            description = "Partitions of created topics when the output topic does not exist; default: the broker's.")
    Integer partitions;

    @Option(names = "--replication-factor", defaultValue = "${env:LATEFUSE_REPLICATION_FACTOR}",
            description = "Replication factor of created topics; default: the broker's.")
    Short replicationFactor;

    @Option(names = "--metrics-port", defaultValue = "${env:LATEFUSE_METRICS_PORT}",
            description = "Serve Prometheus /metrics, /health/ready and /health/live on this port (env LATEFUSE_METRICS_PORT).")
    Integer metricsPort;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).atLeast("--partitions", 1).atLeast("--replication-factor", 1)
                .within("--metrics-port", 0, true, 65535, true);
        PipelineConfig cfg = PipelineConfigLoader.load(configOption.path());
        if (cfg.quality() == null) {
            spec.commandLine().getErr().println("latefuse quality: the config sets no labels.topic (the topic of "
                    + "GroundTruth records to judge predictions against); set it, or LATEFUSE_LABELS_TOPIC");
            return 2;
        }
        MetricsServer http = metricsPort == null ? null : MetricsServer.bind(cfg.http().bindAddress(), metricsPort);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        QualityApp app;
        try {
            app = new QualityApp(cfg, new QualityTelemetry(registry), new FusionTelemetry(registry));
        } catch (RuntimeException e) {
            closeQuietly(http);
            throw e;
        }
        Properties props = QualityApp.properties(cfg);
        try (Admin admin = Admin.create(props)) {
            BrokerCheck.await(cfg);
            int n = QualityPreflight.check(admin, cfg, createTopics, Optional.ofNullable(partitions),
                    Optional.ofNullable(replicationFactor));
            log.info("The output and labels topics{} are co-partitioned ({} partitions)",
                    cfg.quality().exportsLabelled() ? ", and the scores topics," : "", n);
        } catch (RuntimeException e) {
            app.close();
            closeQuietly(http);
            throw e;
        }
        if (http != null) {
            http.start(registry, app.streams(), new Liveness(app.streams(), RunCommand.maxPollInterval(props)), Map.of());
            log.info("Serving /metrics, /health/ready and /health/live on {}:{}", cfg.http().bindAddress(), http.port());
        }
        return StreamsLifecycle.runUntilStopped(app.streams(), "quality", !cfg.instanceId().isEmpty(), app::start, () -> {
            app.close();
            closeQuietly(http);
        });
    }

    private static void closeQuietly(MetricsServer http) {
        if (http != null) {
            http.close();
        }
    }
}
