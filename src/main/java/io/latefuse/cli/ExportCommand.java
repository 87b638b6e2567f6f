package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.quality.LabelledExport;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.BrokerCheck;
import io.latefuse.streams.RegistryConfigs;
import io.latefuse.training.DataFileException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;

/** Writes the labelled scores the quality app exports to the Avro data file train, evaluate and calibrate read. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Copy LabelledModalityScore records from a topic (default: the config's labelled.topic) into an "
                + "Avro data file for train, evaluate and calibrate. Stops after --max-events records, or once the "
                + "topic has been idle for --timeout."})
final class ExportCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--from-topic", description = "The topic; default: the config's labelled.topic.")
    String topic;

    @Option(names = "--out", required = true, description = "The Avro data file to write; its name ends in .avro.")
    Path out;

    @Option(names = "--max-events", defaultValue = "1000000", description = "Stop after this many records (default ${DEFAULT-VALUE}).")
    long maxEvents;

    @Option(names = "--timeout", defaultValue = "10s", converter = DurationFlag.AtLeastOneMillisecond.class,
            description = "Stop once no record came for this long (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).atLeast("--max-events", 1);
        if (!out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".avro")) {
            throw new DataFileException(out + ": export writes an Avro data file of LabelledModalityScore; name it "
                    + "*.avro, as train, evaluate and calibrate expect");
        }
        PipelineConfig cfg = PipelineConfigLoader.load(configOption.path());
        String from = topic != null ? topic : cfg.quality() == null ? null : cfg.quality().labelledTopic();
        if (from == null) {
            spec.commandLine().getErr().println("latefuse export: give --from-topic, or set labelled.topic in the config");
            return 2;
        }
        BrokerCheck.await(cfg);
        Properties kafka = new Properties();
        kafka.putAll(cfg.kafka());
        kafka.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfigs.of(cfg))) {
            LabelledExport.Result r = LabelledExport.run(kafka, registry, from, out, maxEvents, timeout, Clock.systemUTC());
            if (r.written() == 0) {
                // A file of no records is one train, evaluate and calibrate refuse: none is left behind.
                java.nio.file.Files.deleteIfExists(out);
                spec.commandLine().getErr().println("latefuse export: no labelled scores on " + from + " within "
                        + io.latefuse.config.Durations.format(timeout) + (r.undecodable() > 0 ? " (" + r.undecodable() + " records that are not "
                        + "LabelledModalityScore)" : "") + "; wrote no file. Is latefuse quality running with "
                        + "labelled.topic, and have labels arrived?");
                return 1;
            }
            spec.commandLine().getOut().println("Wrote " + r.written() + " labelled scores from " + from + " to " + out
                    + (r.undecodable() > 0 ? "; left out " + r.undecodable() + " records that are not "
                    + "LabelledModalityScore" : ""));
        }
        return 0;
    }
}
