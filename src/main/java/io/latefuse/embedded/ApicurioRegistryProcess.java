package io.latefuse.embedded;

import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Apicurio Registry server run as a child JVM on a free port, with a capped heap and global
 * BACKWARD compatibility (Apicurio defaults to NONE). Its Confluent-compatible API is at {@link #url()}.
 */
public final class ApicurioRegistryProcess implements AutoCloseable {
    public static final String RUNNER_JAR = "apicurio-registry-app-2.6.13.Final-runner.jar";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final int port;
    private final Path logFile;

    private ApicurioRegistryProcess(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
    }

    /** Starts the registry from an unpacked distribution directory and waits until it is ready. */
    public static ApicurioRegistryProcess start(Path distributionDir, Path logFile) throws IOException, InterruptedException {
        Path jar = distributionDir.resolve(RUNNER_JAR);
        if (!Files.isRegularFile(jar)) {
            throw new IOException("Apicurio Registry is not unpacked at " + jar
                    + "; the Maven build fetches it from Maven Central: run `mvn -q -DskipTests package` first");
        }
        int port = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:+UseSerialGC",
                "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.log.level=WARN", "-jar", jar.toString()))
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile())
                .start();
        ApicurioRegistryProcess registry = new ApicurioRegistryProcess(p, port, logFile);
        // The child must not outlive us even if the JVM exits without closing it.
        Runtime.getRuntime().addShutdownHook(new Thread(registry::close, "apicurio-stop"));
        try {
            registry.awaitReady();
            try (SchemaRegistry client = SchemaRegistry.connect(RegistryConfig.of(registry.url()))) {
                client.setCompatibility(null, "BACKWARD");
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            registry.close();
            throw e;
        }
        return registry;
    }

    /** The Confluent-compatible base URL, for {@code schema.registry.url}. */
    public String url() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    private void awaitReady() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("Apicurio Registry exited with code " + process.exitValue()
                        + " before it was ready; its log is " + logFile.toAbsolutePath());
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IOException("Apicurio Registry was not ready after " + READY_TIMEOUT.toSeconds()
                + " s; its log is " + logFile.toAbsolutePath());
    }

    /** A port that was free a moment ago, for a child process to listen on. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
