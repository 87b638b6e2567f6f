package io.latefuse.cli;

import io.latefuse.config.InvalidConfigException;
import io.latefuse.streams.BrokerCheck;
import io.latefuse.streams.Causes;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.training.DataFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * The {@code latefuse} command line of the runtime artifact ({@code latefuse.jar}). Each verb is its own picocli
 * command class. The tools artifact ({@code latefuse-tools.jar}, {@code io.latefuse.tools.ToolsMain}) adds
 * {@code demo} and {@code bench}, which bring an embedded broker; here their names say where they are.
 */
@Command(name = "latefuse",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Streaming multimodal late fusion on Apache Kafka.")
public final class Main implements Runnable {
    /** The tools artifact, as the docs' commands name it. */
    public static final String TOOLS_JAR = "target/latefuse-tools.jar";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The runtime's command line, shared by {@link #main} and the tests. */
    public static CommandLine commandLine() {
        return commandLine(Map.of());
    }

    /**
     * The command line with {@code tools}, by name: the tools artifact's commands. A tool missing here is still
     * listed, so that {@code latefuse.jar demo} says to use the tools jar instead of "unknown command".
     */
    public static CommandLine commandLine(Map<String, Object> tools) {
        CommandLine cli = new CommandLine(new Main());
        for (String tool : List.of("demo", "bench")) {
            cli.addSubcommand(tool, tools.containsKey(tool) ? tools.get(tool) : new InToolsJar(tool));
        }
        for (Object command : List.of(new RunCommand(), new QualityCommand(), new ScoreCommand(), new TrainCommand(), new EvaluateCommand(),
                new ProduceCommand(), new TailCommand(), new ExplainCommand(), new CalibrateCommand(), new AdviseCommand(),
                new ProfileCommand(), new StudyCommand(),
                new GenerateCommand(), new SchemasCommand(), new ExportCommand())) {
            cli.addSubcommand(command);
        }
        tools.forEach((name, command) -> {
            if (!cli.getSubcommands().containsKey(name)) {
                cli.addSubcommand(name, command);
            }
        });
        cli.addSubcommand(new CommandLine.HelpCommand());
        return cli.setCaseInsensitiveEnumValuesAllowed(true).setExecutionExceptionHandler(Main::handleFailure);
    }

    /** Stands for a tools-artifact command in the runtime artifact: says where it is, exit code 2. */
    @Command(description = "In the tools artifact: java -jar " + TOOLS_JAR + " <command> (built by mvn package).")
    static final class InToolsJar implements Callable<Integer> {
        private final String name;

        @CommandLine.Unmatched
        List<String> ignored;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        InToolsJar(String name) {
            this.name = name;
        }

        @Override
        public Integer call() {
            spec.commandLine().getErr().println("'" + name + "' brings an embedded broker, so it ships in the tools "
                    + "artifact, not in latefuse.jar: java -jar " + TOOLS_JAR + " " + name + " (mvn -DskipTests package builds both)");
            return 2;
        }
    }

    /** Exit codes: 2 for a bad config, bad input file or bad usage (picocli's own), 3 for no broker, 1 for anything else. */
    private static int handleFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        if (e instanceof InvalidConfigException || e instanceof org.apache.kafka.common.config.ConfigException
                || e instanceof io.latefuse.fusion.OnnxModel.ModelMismatchException) {
            cli.getErr().println(e.getMessage());
            return 2;
        }
        // Failures whose message says all a user needs: one line, no stack trace.
        java.nio.file.NoSuchFileException missing = Causes.find(e, java.nio.file.NoSuchFileException.class);
        String oneLine = e instanceof BrokerCheck.BrokerUnreachableException || e instanceof java.net.BindException
                || e instanceof DataFileException ? e.getMessage()
                : missing != null ? missing.getFile() + ": no such file" : null;
        if (oneLine != null) {
            cli.getErr().println("latefuse " + cli.getCommandName() + ": " + oneLine);
            return e instanceof BrokerCheck.BrokerUnreachableException ? 3 : 2;
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
