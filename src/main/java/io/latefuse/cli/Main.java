package io.latefuse.cli;

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
        subcommands = {SchemasCommand.class, CommandLine.HelpCommand.class})
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
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
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
