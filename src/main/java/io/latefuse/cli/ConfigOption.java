package io.latefuse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The pipeline config file, declared once for every command (a picocli mixin): {@code -c}/{@code --config}, else the
 * environment variable {@code LATEFUSE_CONFIG}, else the command's own default where it has one.
 */
public final class ConfigOption {
    public static final String ENV = "LATEFUSE_CONFIG";

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "${env:" + ENV + "}",
            description = "Pipeline config file (YAML). Default: the environment variable " + ENV + ".")
    Path file;

    /** The config file; a usage error (exit code 2) when neither {@code --config} nor {@code LATEFUSE_CONFIG} is given. */
    public Path path() {
        return path(null);
    }

    /** The config file, or {@code fallback} when neither {@code --config} nor {@code LATEFUSE_CONFIG} is given. */
    public Path path(Path fallback) {
        if (file != null && !file.toString().isBlank()) {
            return file;
        }
        if (fallback != null) {
            return fallback;
        }
        throw new CommandLine.ParameterException(mixee.commandLine(),
                "Missing the pipeline config: give --config FILE, or set " + ENV);
    }
}
