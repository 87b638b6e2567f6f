package io.latefuse.bench;

import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.embedded.ApicurioRegistryProcess;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.WritableTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The footprint of pending state: {@code latefuse run} as its own JVM, fed one modality of each of {@code events}
 * events with a one-hour deadline, so that every event stays pending. Reports the process's resident set before
 * and after, its heap, the state directory on disk, and the changelog topics on the broker.
 */
public final class MemoryFootprint {

    /**
     * @param rssBeforeBytes  the app's RSS once RUNNING, before any input
     * @param rssAfterBytes   its RSS with every event pending
     * @param heapUsedBytes   JVM heap in use then, as Micrometer reports it
     * @param liveHeapBefore  JVM heap in use right after a full GC (jcmd GC.run), before any input
     * @param liveHeapBytes   the same with every event pending: the difference is the pending state on the heap
     * @param stateDirBytes   the state directory on disk (RocksDB files; nothing for in-memory stores)
     * @param changelogBytes  the app's changelog topics on the broker
     */
    public record Result(String store, int pending, long rssBeforeBytes, long rssAfterBytes, long heapUsedBytes,
                         long liveHeapBefore, long liveHeapBytes, long stateDirBytes, long changelogBytes, double seconds, String heap) {}

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String bootstrapServers;
    private final String registryUrl;
    private final Path work;
    private final PrintStream log;

    public MemoryFootprint(String bootstrapServers, String registryUrl, Path work, PrintStream log) {
        this.bootstrapServers = bootstrapServers;
        this.registryUrl = registryUrl;
        this.work = work;
        this.log = log;
    }

    public Result measure(String store, int events, String heap) throws Exception {
        String base = "bench-mem-" + store + "-" + UUID.randomUUID().toString().substring(0, 6);
        String topic = base + ".scores.acoustic";
        Path stateDir = work.resolve(base + "-state");
        Path config = work.resolve(base + ".yaml");
        int metricsPort = ApicurioRegistryProcess.freePort();
        try (Admin admin = admin()) {
            List<String> topics = List.of(topic, base + ".scores.lexical", base + ".fused", base + ".dlq");
            admin.createTopics(topics.stream().map(t -> new NewTopic(t, 3, (short) 1)).toList()).all().get(60, TimeUnit.SECONDS);
            WritableTopics.await(admin, topics, java.time.Duration.ofSeconds(60)); // the producer writes at once: KAFKA-15591
        }
        Files.writeString(config, PipelineConfig.builder()
                .applicationId(base)
                .bootstrapServers(bootstrapServers)
                .schemaRegistryUrl(registryUrl)
                .classes(List.of("directed", "undirected"))
                .strategy("log_odds")
                .modality("acoustic", topic)
                .modality("lexical", base + ".scores.lexical")
                .outputTopic(base + ".fused")
                .deadLetterTopic(base + ".dlq")
                .maxWait(Duration.ofHours(1))
                .set("store.type", store)
                .kafka(Map.of("state.dir", stateDir.toString()))
                .toYaml());
        Path appLog = work.resolve(base + ".log");
        Process app = ChildJvm.start(heap, appLog, "run", "--config", config.toString(), "--metrics-port",
                String.valueOf(metricsPort));
        try {
            ChildJvm.awaitRunning(app, appLog, "the app");
            Thread.sleep(2_000); // let start-up allocations settle before the baseline
            long rssBefore = rss(app.pid());
            long liveHeapBefore = liveHeap(app, metricsPort);
            long t = System.nanoTime();
            log.printf(Locale.ROOT, "memory %s: app RUNNING (pid %d, RSS %d MiB); sending %,d events' first modality%n",
                    store, app.pid(), rssBefore >> 20, events);
            produce(topic, events);
            double pending;
            while ((pending = metric(metricsPort, "latefuse_pending_events")) < events) {
                if (!app.isAlive()) {
                    throw new IllegalStateException("the app exited; see " + appLog);
                }
                Thread.sleep(1_000);
            }
            double seconds = (System.nanoTime() - t) / 1e9;
            Thread.sleep(3_000); // one more commit, so that the changelogs hold everything
            long rssAfter = rss(app.pid());
            long heapUsed = (long) metricSum(metricsPort, "jvm_memory_used_bytes{area=\"heap\"");
            long liveHeap = liveHeap(app, metricsPort);
            long changelog = changelogBytes(base);
            Result r = new Result(store, (int) pending, rssBefore, rssAfter, heapUsed, liveHeapBefore, liveHeap,
                    directorySize(stateDir),
                    changelog, seconds, heap);
            log.printf(Locale.ROOT, "memory %s: %,d pending; RSS %d -> %d MiB; heap used %d MiB, %d MiB after a GC; state dir %d MiB; changelogs %d MiB%n",
                    store, r.pending(), rssBefore >> 20, rssAfter >> 20, heapUsed >> 20, liveHeap >> 20,
                    r.stateDirBytes() >> 20, changelog >> 20);
            return r;
        } finally {
            app.destroy(); // SIGTERM: the app closes and leaves its group
            if (!app.waitFor(60, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
    }

    /** Heap in use right after a full collection: what is alive, without garbage not yet collected. */
    private static long liveHeap(Process app, int metricsPort) throws Exception {
        Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(app.pid()), "GC.run").redirectErrorStream(true).start();
        gc.getInputStream().readAllBytes();
        gc.waitFor(60, TimeUnit.SECONDS);
        Thread.sleep(1_000);
        return (long) metricSum(metricsPort, "jvm_memory_used_bytes{area=\"heap\"");
    }

    private void produce(String topic, int events) {
        RegistryConfig rc = RegistryConfig.of(registryUrl);
        BenchWorkload w = new BenchWorkload(events, List.of("acoustic", "lexical"), 0, 0, 1);
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (SchemaRegistry registry = SchemaRegistry.connect(rc);
             KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.LINGER_MS_CONFIG, 20,
                     ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024), new StringSerializer(),
                     new AvroSerializer<>(registry, rc, false))) {
            long now = System.currentTimeMillis();
            for (int e = 0; e < events; e++) {
                BenchWorkload.EventPlan plan = w.plan(e);
                p.send(new ProducerRecord<>(topic, plan.id(), w.score(plan, 0, now)), (md, ex) -> {
                    if (ex != null) {
                        failure.compareAndSet(null, ex);
                    }
                });
            }
            p.flush();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("producing failed: " + failure.get(), failure.get());
        }
    }

    private long changelogBytes(String appId) throws Exception {
        try (Admin admin = admin()) {
            List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
            long total = 0;
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
                for (LogDirDescription d : dirs.values()) {
                    total += d.replicaInfos().entrySet().stream()
                            .filter(e -> e.getKey().topic().startsWith(appId) && e.getKey().topic().endsWith("-changelog"))
                            .mapToLong(e -> e.getValue().size()).sum();
                }
            }
            return total;
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** Resident set size of a process, from /proc (Linux). */
    static long rss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for pid " + pid);
    }

    static long directorySize(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    private static double metric(int port, String name) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " ([0-9.eE+-]+)$").matcher(scrape(port));
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    /** Sums every series of a metric whose line starts with {@code prefix} (name and leading labels). */
    private static double metricSum(int port, String prefix) throws Exception {
        double sum = 0;
        for (String line : scrape(port).split("\n")) {
            if (line.startsWith(prefix)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static String scrape(int port) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
