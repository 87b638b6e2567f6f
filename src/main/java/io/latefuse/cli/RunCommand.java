package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.topology.FusionApp;
import io.latefuse.topology.TopicPreflight;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs the fusion app until SIGTERM or SIGINT. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the fusion topology on a cluster until SIGTERM or SIGINT.",
                "Every config key can be overridden by an environment variable: LATEFUSE_<KEY> with dots as underscores."})
final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = {"-c", "--config"}, required = true, defaultValue = "${env:LATEFUSE_CONFIG}",
            description = "Pipeline config file (YAML). Env LATEFUSE_CONFIG.")
    Path config;

    @Option(names = "--create-topics", defaultValue = "${env:LATEFUSE_CREATE_TOPICS:-false}",
            description = "Create missing topics instead of failing (env LATEFUSE_CREATE_TOPICS).")
    boolean createTopics;

    @Option(names = "--partitions", defaultValue = "${env:LATEFUSE_PARTITIONS}",
            description = "Partitions of created topics; default: the broker's. New score topics follow existing ones.")
    Integer partitions;

    @Option(names = "--replication-factor", defaultValue = "${env:LATEFUSE_REPLICATION_FACTOR}",
            description = "Replication factor of created topics; default: the broker's.")
    Short replicationFactor;

    @Override
    public Integer call() throws Exception {
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        Properties props = FusionApp.streamsProperties(cfg);
        try (Admin admin = Admin.create(props)) {
            int n = TopicPreflight.check(admin, cfg, createTopics, Optional.ofNullable(partitions),
                    Optional.ofNullable(replicationFactor));
            log.info("Score topics {} are co-partitioned ({} partitions)", cfg.scoreTopics(), n);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicInteger exitCode = new AtomicInteger(0);
        FusionApp app = new FusionApp(cfg, Map.of());
        app.streams().setStateListener((now, before) -> {
            log.info("Kafka Streams state {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR) {
                exitCode.set(1);
                stopped.countDown();
            }
        });
        Thread hook = new Thread(() -> {
            log.info("Shutting down: closing Kafka Streams and leaving the group");
            app.close();
            stopped.countDown();
        }, "latefuse-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        app.start();
        stopped.await();
        if (exitCode.get() != 0) {
            log.error("Kafka Streams entered ERROR state; exiting");
            Runtime.getRuntime().removeShutdownHook(hook);
            app.close();
        }
        return exitCode.get();
    }
}
