package io.latefuse.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/** The fusion app as its own JVM (the runtime jar, {@code run}), as production runs it: killable and restartable. */
public final class AppProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private AppProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code run --config config --create-topics} with 3 partitions, logging to {@code log}. */
    public static AppProcess start(Path config, Path log) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-jar", Jars.RUNTIME.toString(), "run", "--config", config.toString(),
                "--create-topics", "--partitions", "3", "--replication-factor", "1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new AppProcess(p, log);
    }

    /** Starts {@code latefuse args} from the runtime jar with {@code env} added, logging to {@code log}. */
    public static AppProcess start(java.util.List<String> args, java.util.Map<String, String> env, Path log) throws Exception {
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m", "-jar", Jars.RUNTIME.toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return new AppProcess(pb.start(), log);
    }

    /** Waits until the app's Kafka Streams reports RUNNING. */
    public AppProcess awaitRunning() {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.exists(log) && Files.readString(log).contains("-> RUNNING"));
        return this;
    }

    /** SIGKILL: no close, no commit, no leave-group. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the app did not die within 30 s of SIGKILL");
        }
    }

    /** SIGTERM: the app commits, closes (leaving the group unless it has an instance.id) and exits. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the app did not stop within 60 s of SIGTERM; see " + log);
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
