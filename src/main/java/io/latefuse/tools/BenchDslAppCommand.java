package io.latefuse.tools;

import io.latefuse.bench.BenchRunner;
import io.latefuse.cli.ConfigOption;
import io.latefuse.cli.DurationFlag;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.RegistryConfigs;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * The benchmark's DSL baseline as its own JVM, so that restart mode can kill it as it kills {@code latefuse run}.
 * Not for production: it is the join a Kafka Streams user would write, for comparison.
 */
@Command(name = "bench-dsl-app", hidden = true, mixinStandardHelpOptions = true,
        description = "The benchmark's DSL outer-join chain on a pipeline config, until SIGTERM (bench restart mode).")
public final class BenchDslAppCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--grace", defaultValue = "100ms", converter = DurationFlag.class,
            description = "The join's grace period (default ${DEFAULT-VALUE}).")
    java.time.Duration grace;

    @Override
    public Integer call() throws Exception {
        Path config = configOption.path();
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        RegistryConfig rc = RegistryConfigs.of(cfg);
        SchemaRegistry registry = SchemaRegistry.connect(rc);
        FusionStrategy strategy = FusionStrategies.create(cfg);
        KafkaStreams streams = BenchRunner.dslStreams(cfg, StreamsProperties.of(cfg), strategy, grace,
                registry, rc);
        return StreamsLifecycle.runUntilStopped(streams, "dsl", !cfg.instanceId().isEmpty(), streams::start, () -> {
            StreamsLifecycle.close(streams, cfg);
            strategy.close();
            registry.close();
        });
    }
}
