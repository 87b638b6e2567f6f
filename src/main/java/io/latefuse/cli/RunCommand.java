package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.lookup.EventLookup;
import io.latefuse.lookup.EventsEndpoint;
import io.latefuse.metrics.Liveness;
import io.latefuse.metrics.MetricsServer;
import io.latefuse.streams.BrokerCheck;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.topology.FusionApp;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
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
            description = "Serve Prometheus /metrics, /health/ready, /health/live and /events/{event_id} on this port (env LATEFUSE_METRICS_PORT).")
    Integer metricsPort;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).atLeast("--partitions", 1).atLeast("--replication-factor", 1)
                .within("--metrics-port", 0, true, 65535, true);
        Path config = configOption.path();
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        // Bound first: the app advertises the port to the other instances, for event lookups.
        MetricsServer http = metricsPort == null ? null : MetricsServer.bind(cfg.http().bindAddress(), metricsPort);
        HostInfo self = http == null ? null : EventLookup.advertisedAs(cfg.http(), http.port());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        FusionApp app;
        try {
            // Built before anything connects, so that a fusion head that does not fit the config fails first.
            app = new FusionApp(cfg, self == null ? Map.of()
                    : Map.of(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port()),
                    new FusionTelemetry(registry));
        } catch (RuntimeException e) {
            closeQuietly(http);
            throw e;
        }
        Properties props = StreamsProperties.of(cfg);
        try (Admin admin = Admin.create(props)) {
            BrokerCheck.await(cfg);
            int n = TopicPreflight.check(admin, cfg, createTopics, Optional.ofNullable(partitions),
                    Optional.ofNullable(replicationFactor));
            log.info("Input topics {} are co-partitioned ({} partitions)", cfg.inputTopics(), n);
        } catch (RuntimeException e) {
            app.close();
            closeQuietly(http);
            throw e;
        }
        if (http != null) {
            http.start(registry, app.streams(), new Liveness(app.streams(), maxPollInterval(props)), Map.of(EventsEndpoint.CONTEXT,
                    new EventsEndpoint(new EventLookup(app.streams(), cfg, self, app.health()), cfg.http().token())));
            log.info("Serving /metrics, /health/ready, /health/live and /events/{event_id} on {}:{}, advertised to the other instances as {}:{}",
                    cfg.http().bindAddress(), http.port(), self.host(), self.port());
            if (cfg.http().token().isEmpty()) {
                log.warn("/events/{event_id} shows scores to anyone who reaches {}:{}: set http.token "
                        + "(LATEFUSE_HTTP_TOKEN) to require a bearer token", cfg.http().bindAddress(), http.port());
            }
        }
        return StreamsLifecycle.runUntilStopped(app.streams(), "fusion", !cfg.instanceId().isEmpty(), app::start, () -> {
            app.close();
            closeQuietly(http);
        });
    }

    /** The consumer's default {@code max.poll.interval.ms}, which Kafka Streams keeps. */
    private static final long KAFKA_MAX_POLL_INTERVAL_MS = 300_000L;

    /** The stream threads' {@code max.poll.interval.ms}, past which Kafka takes a silent thread's partitions. */
    static Duration maxPollInterval(Properties props) {
        Object ms = new StreamsConfig(props).getMainConsumerConfigs(props.getProperty(StreamsConfig.APPLICATION_ID_CONFIG),
                "liveness", 0).get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
        return Duration.ofMillis(ms == null ? KAFKA_MAX_POLL_INTERVAL_MS : Long.parseLong(ms.toString()));
    }

    private static void closeQuietly(MetricsServer http) {
        if (http != null) {
            http.close();
        }
    }
}
