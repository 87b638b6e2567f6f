package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.metrics.MetricsServer;
import io.latefuse.streams.BrokerCheck;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.topology.FusionApp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;

/** Runs the fusion app until SIGTERM or SIGINT. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the fusion topology on a cluster until SIGTERM or SIGINT.",
                "Every config key can be overridden by an environment variable: LATEFUSE_<KEY> with dots as underscores."})
final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--create-topics", defaultValue = "${env:LATEFUSE_CREATE_TOPICS:-false}",
            description = "Create missing topics instead of failing (env LATEFUSE_CREATE_TOPICS).")
    boolean createTopics;

    @Option(names = "--partitions", defaultValue = "${env:LATEFUSE_PARTITIONS}",
            description = "Partitions of created topics; default: the broker's. New score topics follow existing ones.")
    Integer partitions;

    @Option(names = "--replication-factor", defaultValue = "${env:LATEFUSE_REPLICATION_FACTOR}",
            description = "Replication factor of created topics; default: the broker's.")
    Short replicationFactor;

    @Option(names = "--metrics-port", defaultValue = "${env:LATEFUSE_METRICS_PORT}",
            description = "Serve Prometheus /metrics and /health on this port (env LATEFUSE_METRICS_PORT).")
    Integer metricsPort;

    @Override
    public Integer call() throws Exception {
        Path config = configOption.path();
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        // Built before anything connects, so that a fusion head that does not fit the config fails first.
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        FusionApp app = new FusionApp(cfg, Map.of(), new FusionTelemetry(registry));
        Properties props = StreamsProperties.of(cfg);
        try (Admin admin = Admin.create(props)) {
            BrokerCheck.await(cfg);
            int n = TopicPreflight.check(admin, cfg, createTopics, Optional.ofNullable(partitions),
                    Optional.ofNullable(replicationFactor));
            log.info("Input topics {} are co-partitioned ({} partitions)", cfg.inputTopics(), n);
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
        MetricsServer metrics = metricsPort == null ? null : new MetricsServer(metricsPort, registry, app.streams());
        if (metrics != null) {
            log.info("Serving /metrics and /health on port {}", metrics.port());
        }
        return StreamsLifecycle.runUntilStopped(app.streams(), "fusion", app::start, () -> {
            app.close();
            if (metrics != null) {
                metrics.close();
            }
        });
    }
}
