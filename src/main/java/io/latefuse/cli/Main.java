package io.latefuse.cli;

import io.latefuse.config.InvalidConfigException;
import io.latefuse.topology.TopicPreflight;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The {@code latefuse} command line. Each verb is its own picocli command class. */
@Command(name = "latefuse",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Streaming multimodal late fusion on Apache Kafka.",
        subcommands = {DemoCommand.class, RunCommand.class, ScoreCommand.class, TrainCommand.class, EvaluateCommand.class,
                ProduceCommand.class, TailCommand.class, StudyCommand.class, GenerateCommand.class, SchemasCommand.class, BenchCommand.class, BenchDslAppCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by {@link #main} and the tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(Main::handleFailure);
    }

    /** Exit codes: 2 for a bad config (or bad usage, picocli's own), 1 for anything else. */
    private static int handleFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        if (e instanceof InvalidConfigException || e instanceof org.apache.kafka.common.config.ConfigException
                || e instanceof io.latefuse.fusion.OnnxModel.ModelMismatchException) {
            cli.getErr().println(e.getMessage());
            return 2;
        }
        if (e instanceof TopicPreflight.TopicCheckException) {
            cli.getErr().println(e.getMessage());
            return 1;
        }
        cli.getErr().println("latefuse " + cli.getCommandName() + " failed: " + e);
        e.printStackTrace(cli.getErr());
        return 1;
    }

    /** Reads the version the build wrote into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/io/latefuse/version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"latefuse " + p.getProperty("version", "unknown"),
                    "Java " + System.getProperty("java.version")};
        }
    }
}
