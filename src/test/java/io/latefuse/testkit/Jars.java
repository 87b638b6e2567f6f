package io.latefuse.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The two artifacts the package phase builds (it runs before the integration tests), and a command run from one of
 * them in its own JVM, as a user runs it.
 */
public final class Jars {
    /** The runtime: what {@code run}, {@code score}, {@code produce}, {@code tail}, {@code train}... ship in. */
    public static final Path RUNTIME = Path.of("target", "latefuse.jar");
    /** The runtime plus {@code demo} and {@code bench}, with the embedded broker and registry. */
    public static final Path TOOLS = Path.of("target", "latefuse-tools.jar");

    private Jars() {}

    /** What the command printed: {@code stdout} is its output, {@code stderr} its log and errors. */
    public record Result(int exitCode, String stdout, String stderr) {
        /** Both, for an assertion's description. */
        public String printed() {
            return stdout + stderr;
        }
    }

    /** Runs {@code java -jar jar args} with {@code env} added, within {@code timeoutSeconds}. */
    public static Result run(Path jar, Map<String, String> env, long timeoutSeconds, String... args) throws Exception {
        return runIn(Path.of(""), jar, env, timeoutSeconds, args);
    }

    /** The same, in the working directory {@code dir}. */
    public static Result runIn(Path dir, Path jar, Map<String, String> env, long timeoutSeconds, String... args)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-jar", jar.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("latefuse-jar-", ".out");
        Path err = Files.createTempFile("latefuse-jar-", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .directory(dir.toAbsolutePath().toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IllegalStateException(String.join(" ", args) + " did not end within " + timeoutSeconds
                        + " s:\n" + Files.readString(out) + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
