package io.latefuse.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A latefuse command as its own JVM, on this JVM's class path, logging to a file: the bench's app under test. */
final class ChildJvm {
    private ChildJvm() {}

    /** Starts {@code latefuse <args>} with {@code -Xmx<heap>}. */
    static Process start(String heap, Path log, String... args) throws IOException {
        return start(List.of(), heap, log, java.util.Map.of(), args);
    }

    /** The same, with {@code env} added to the child's environment (as a deployment sets {@code LATEFUSE_*}). */
    static Process start(String heap, Path log, java.util.Map<String, String> env, String... args) throws IOException {
        return start(List.of(), heap, log, env, args);
    }

    /** The same, with more JVM options (a system property, a logging config) before the main class. */
    static Process start(List<String> jvmOptions, String heap, Path log, String... args) throws IOException {
        return start(jvmOptions, heap, log, java.util.Map.of(), args);
    }

    /** The same, with JVM options and environment. */
    static Process start(List<String> jvmOptions, String heap, Path log, java.util.Map<String, String> env,
                         String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap));
        cmd.addAll(jvmOptions);
        if (jvmOptions.stream().noneMatch(o -> o.startsWith("-Dlogback.configurationFile="))) {
            // The app's own log configuration, even from a test class path (whose logback-test.xml logs at WARN):
            // the caller waits for its "-> RUNNING" line.
            cmd.add("-Dlogback.configurationFile=logback.xml");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.latefuse.tools.ToolsMain"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Waits until the child's Kafka Streams logs RUNNING; fails if it dies or takes over two minutes. */
    static void awaitRunning(Process app, Path log, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.exists(log) || !Files.readString(log).contains("-> RUNNING")) {
            if (!app.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " did not reach RUNNING; see " + log);
            }
            Thread.sleep(50);
        }
    }
}
