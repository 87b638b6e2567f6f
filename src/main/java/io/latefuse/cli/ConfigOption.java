package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The pipeline config file, declared once for every command (a picocli mixin): {@code -c}/{@code --config}, else the
 * environment variable {@code LATEFUSE_CONFIG}, else the command's own default where it has one (an example config,
 * found wherever the command runs).
 */
public final class ConfigOption {
    public static final String ENV = "LATEFUSE_CONFIG";

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "${env:" + ENV + "}",
            description = "Pipeline config file (YAML). Default: the environment variable " + ENV + ".")
    Path file;

    /**
     * A loaded config, and where it came from, for messages.
     *
     * @param file the file it was read from, or null for the copy in the jar
     * @param text its YAML
     */
    public record Loaded(PipelineConfig config, String source, Path file, String text) {
        /** Its file; for the copy in the jar, a file written into {@code dir} for commands that take a path. */
        public Path fileIn(Path dir, String name) throws IOException {
            if (file != null) {
                return file;
            }
            Files.createDirectories(dir);
            return Files.writeString(dir.resolve(name), text);
        }
    }

    /**
     * The config from {@code --config} or {@code LATEFUSE_CONFIG}; without either, the example {@code config/<name>}:
     * the file in the working directory if there is one (a clone), else the copy this jar carries.
     */
    public Loaded load(String name, Map<String, String> env) {
        if (file != null && !file.toString().isBlank()) {
            return new Loaded(PipelineConfigLoader.load(file, env), file.toString(), file, null);
        }
        Path local = Path.of("config", name);
        if (Files.isRegularFile(local)) {
            return new Loaded(PipelineConfigLoader.load(local, env), local.toString(), local, null);
        }
        String bundled = "the example config/" + name + " in the jar";
        try (InputStream in = ConfigOption.class.getResourceAsStream("/io/latefuse/config/" + name)) {
            if (in == null) {
                throw new CommandLine.ParameterException(mixee.commandLine(), "Missing the pipeline config: give "
                        + "--config FILE, or set " + ENV + " (no config/" + name + " here or in the jar)");
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Loaded(PipelineConfigLoader.parse(text, bundled, env), bundled, null, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Loaded load(String name) {
        return load(name, System.getenv());
    }

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
