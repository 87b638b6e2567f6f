package io.latefuse.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.Durations;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigBuilder;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.streams.WritableTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * {@code bench --mode soak}: live traffic with missing and late modalities against two instances of {@code latefuse
 * run} (each its own JVM; exactly-once, RocksDB, static membership through {@code LATEFUSE_INSTANCE_ID}), while a
 * schedule kills one with SIGKILL and restarts it, stops one with SIGTERM and restarts it, adds a third instance and
 * removes it again. Afterwards every event is judged from the output topic and the broker's append times of its
 * scores; meanwhile each instance's live heap, RSS, state directory and pending events, and the output rate, are
 * sampled, and the second half of the run is judged for growth.
 */
public final class SoakBench {

    /**
     * @param actions      how many actions the schedule takes, evenly spaced: the k-th at k/(actions+1) of the run
     * @param sampleEvery  how often each instance is sampled
     * @param liveHeapEvery how often each instance's live heap is measured (a full GC, as MemoryFootprint does)
     * @param down         how long a killed instance stays down before its restart
     */
    public record Settings(String bootstrapServers, String registryUrl, Path work, int partitions, List<String> modalities,
                           double rate, Duration duration, int actions, Duration maxWait, Duration lateRetention,
                           double missing, double late, long seed, Duration sampleEvery, Duration liveHeapEvery,
                           Duration down, String heap, String strategy) {
        public Settings {
            modalities = List.copyOf(modalities);
            if (!(rate > 0) || duration.isNegative() || duration.isZero() || actions < 0) {
                throw new IllegalArgumentException("soak: rate " + rate + ", duration " + duration + ", actions "
                        + actions + ": the rate and the duration must be above 0, the actions at least 0");
            }
        }

        public int events() {
            return (int) Math.max(1, Math.round(rate * duration.toMillis() / 1000.0));
        }
    }

    /** One action of the schedule; times in seconds since the traffic started. */
    public record Action(int n, String kind, String instance, double scheduledS, double startedS, double doneS,
                         String startedAt, boolean ok, String note) {}

    /** One sample of one instance (or of the output, instance "output"); -1 where not measured. */
    public record Sample(double t, String instance, long heapUsed, long liveHeap, long rss, long stateDir,
                         long pending, double outputsPerSecond) {}

    /** A series' boundedness: its max over the second quarter of the run against its max over the last quarter. */
    public record SeriesVerdict(String series, String unit, int samples, double secondQuarterMax, double lastQuarterMax,
                                boolean pass, String criterion) {}

    public record Counts(int events, int answered, int complete, int degraded, int falseDegraded, int lost,
                         int duplicated, long revisions, int unjustifiedRevisions, int lateScores,
                         int lateScoresUnrevised, long outputs, long foreignOutputs, Map<String, Long> deadLetters) {}

    public record Result(String command, Map<String, Object> settings, String started, double trafficSeconds,
                         List<Action> schedule, Counts counts, Map<String, Boolean> verdicts,
                         List<SeriesVerdict> bounded, SeriesVerdict outputRate, List<String> findings) {
        public boolean passed() {
            return verdicts.values().stream().allMatch(v -> v);
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private static final String[] KINDS = {"kill -9 + restart", "SIGTERM + restart", "add", "remove (SIGTERM)"};

    private final Settings s;
    private final PrintStream log;
    private final String base = "soak-" + UUID.randomUUID().toString().substring(0, 6);
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final Slot[] slots = new Slot[3];
    private volatile long t0Millis;

    /** An instance's place: its id, metrics port and state directory stay across its restarts. */
    private static final class Slot {
        final String id;
        final int port;
        final Path stateDir;
        volatile Process process;
        int runs;
        long lastGcMillis;
        double lastPredictions = -1;
        long lastPid = -1;
        double lastT;

        Slot(String id, int port, Path stateDir) {
            this.id = id;
            this.port = port;
            this.stateDir = stateDir;
        }

        boolean alive() {
            Process p = process;
            return p != null && p.isAlive();
        }
    }

    public SoakBench(Settings settings, PrintStream log) {
        this.s = settings;
        this.log = log;
    }

    /** {@link #run}, then prints the report: exit code 0 if every verdict passed, 1 if one failed. */
    public int cli(String command, Path out) throws Exception {
        Result r = run(command, out);
        log.println();
        log.println(markdown(r));
        log.println("Results written to " + out.resolve("results.json") + ", results.md, series.csv and the SVGs");
        return r.passed() ? 0 : 1;
    }

    /** Runs the soak, writes results.json, results.md, series.csv and the SVGs to {@code out}, and returns the result. */
    public Result run(String command, Path out) throws Exception {
        Files.createDirectories(out);
        Files.createDirectories(s.work());
        List<String> inputs = new ArrayList<>();
        for (String m : s.modalities()) {
            inputs.add(base + ".scores." + m);
        }
        String output = base + ".fused";
        String dlq = base + ".dlq";
        createTopics(Stream.concat(inputs.stream(), Stream.of(output, dlq)).toList());
        RegistryConfig rc = RegistryConfig.of(s.registryUrl());
        BenchWorkload workload = new BenchWorkload(s.events(), s.modalities(), s.missing(), s.late(), s.seed());
        Path config = s.work().resolve(base + ".yaml");
        Files.writeString(config, pipeline(inputs, output, dlq).toYaml());
        String started = Instant.now().toString();
        List<Action> schedule = new ArrayList<>();
        try (SchemaRegistry registry = SchemaRegistry.connect(rc)) {
            // Scorers register their schema when they start; registering on the first send can take a second, and
            // would make the first events' other scores truly late.
            inputs.forEach(t -> registry.register(t + "-value", ModalityScore.getClassSchema()));
            SoakTally tally = new SoakTally(s.bootstrapServers(), output, workload.events(), s.modalities(),
                    AvroDeserializer.specific(FusedPrediction.class, registry));
            Thread reader = new Thread(tally, "soak-tally");
            reader.setDaemon(true);
            reader.start();
            for (int i = 0; i < slots.length; i++) {
                slots[i] = new Slot("soak-" + i, io.latefuse.embedded.ApicurioRegistryProcess.freePort(),
                        s.work().resolve(base + "-state-" + i));
            }
            Thread sampler = null;
            try {
                start(slots[0], config);
                start(slots[1], config);
                awaitRunning(slots[0]);
                awaitRunning(slots[1]);
                log.printf(Locale.ROOT, "soak: soak-0 and soak-1 RUNNING; %,d events at %.0f/s for %s, %d actions%n",
                        workload.events(), s.rate(), Durations.format(s.duration()), s.actions());
                try (BenchProducer producer = new BenchProducer(s.bootstrapServers(),
                        new AvroSerializer<>(registry, rc, false), workload, inputs)) {
                    t0Millis = System.currentTimeMillis();
                    long lateDelay = 2 * s.maxWait().toMillis();
                    Thread traffic = new Thread(() -> producer.live(s.rate(), lateDelay), "soak-traffic");
                    java.util.concurrent.atomic.AtomicReference<Throwable> trafficFailure = new java.util.concurrent.atomic.AtomicReference<>();
                    traffic.setUncaughtExceptionHandler((t, e) -> trafficFailure.set(e));
                    traffic.start();
                    sampler = new Thread(() -> sample(tally), "soak-sampler");
                    sampler.setDaemon(true);
                    sampler.start();
                    for (int k = 1; k <= s.actions(); k++) {
                        long at = t0Millis + s.duration().toMillis() * k / (s.actions() + 1);
                        long wait = at - System.currentTimeMillis();
                        if (wait > 0) {
                            Thread.sleep(wait);
                        }
                        Action a = act(k, config, (at - t0Millis) / 1000.0);
                        schedule.add(a);
                        log.printf(Locale.ROOT, "soak: %5.0f s  #%d %s %s (%.1f s)%s%n", a.startedS(), k, a.kind(),
                                a.instance(), a.doneS() - a.startedS(), a.ok() ? "" : "  FAILED: " + a.note());
                    }
                    traffic.join();
                    if (trafficFailure.get() != null) {
                        throw new IllegalStateException("the traffic failed: " + trafficFailure.get(), trafficFailure.get());
                    }
                }
                double trafficSeconds = (System.currentTimeMillis() - t0Millis) / 1000.0;
                log.printf(Locale.ROOT, "soak: traffic done after %.0f s; waiting for the last answers%n", trafficSeconds);
                awaitQuiet(tally, workload.events());
            } finally {
                if (sampler != null) {
                    sampler.interrupt();
                    sampler.join(30_000);
                }
                for (Slot slot : slots) {
                    stop(slot);
                }
                tally.stop();
                reader.join(10_000);
            }
            tally.rethrow();
            double trafficSeconds = s.duration().toMillis() / 1000.0;
            Result r = judge(command, started, trafficSeconds, schedule, workload, tally, inputs, dlq);
            write(r, out);
            return r;
        }
    }

    private PipelineConfigBuilder pipeline(List<String> inputs, String output, String dlq) {
        PipelineConfigBuilder b = PipelineConfig.builder()
                .applicationId(base)
                .bootstrapServers(s.bootstrapServers())
                .schemaRegistryUrl(s.registryUrl())
                .classes(List.of("directed", "undirected"))
                .strategy(s.strategy())
                .outputTopic(output)
                .deadLetterTopic(dlq)
                .maxWait(s.maxWait())
                .punctuationInterval(Duration.ofMillis(25))
                .set("deadline.clock", "input")
                .set("late.retention", Durations.format(s.lateRetention()))
                .latePolicy(PipelineConfig.LatePolicy.REVISE)
                .storeType(PipelineConfig.StoreType.ROCKSDB)
                .processingGuarantee(Variant.EXACTLY_ONCE)
                .streamThreads(1)
                // An added instance has no state: Kafka Streams gives it warm-up tasks, and their active tasks only at
                // the next probing rebalance, every 10 minutes by default. At Kafka's minimum, 1 minute, the added
                // instance takes over tasks within the soak's spacing, and its removal then has partitions to hand back.
                .kafka(Map.of("probing.rebalance.interval.ms", "60000"));
        for (int m = 0; m < inputs.size(); m++) {
            b.modality(s.modalities().get(m), inputs.get(m));
        }
        return b;
    }

    // ---- the instances and the schedule ----

    /** Starts the slot's instance: its id and state directory come from the environment, as on Kubernetes. */
    private void start(Slot slot, Path config) throws IOException {
        slot.runs++;
        slot.process = ChildJvm.start(s.heap(), logOf(slot),
                Map.of("LATEFUSE_INSTANCE_ID", slot.id, "LATEFUSE_KAFKA_STATE_DIR", slot.stateDir.toString()),
                "run", "--config", config.toString(), "--metrics-port", String.valueOf(slot.port));
    }

    private Path logOf(Slot slot) {
        return s.work().resolve(base + "-" + slot.id + "-run-" + slot.runs + ".log");
    }

    private void awaitRunning(Slot slot) throws IOException, InterruptedException {
        ChildJvm.awaitRunning(slot.process, logOf(slot), slot.id);
    }

    /** SIGTERM, and SIGKILL if it has not exited within a minute; returns what happened, or "" if it exited. */
    private String stop(Slot slot) throws InterruptedException {
        Process p = slot.process;
        if (p == null || !p.isAlive()) {
            return "";
        }
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            return "did not exit within 60 s of SIGTERM; killed";
        }
        return "";
    }

    /** The k-th action (from 1): the four kinds in turn, a kill and a restart alternating between soak-0 and soak-1. */
    private Action act(int k, Path config, double scheduledS) {
        int kind = (k - 1) % KINDS.length;
        int cycle = (k - 1) / KINDS.length;
        Slot slot = switch (kind) {
            case 0 -> slots[cycle % 2];
            case 1 -> slots[(cycle + 1) % 2];
            default -> slots[2];
        };
        long startMillis = System.currentTimeMillis();
        String note = "";
        boolean ok = true;
        try {
            switch (kind) {
                case 0 -> {
                    slot.process.destroyForcibly(); // SIGKILL: no commit, no close
                    slot.process.waitFor(30, TimeUnit.SECONDS);
                    Thread.sleep(s.down().toMillis());
                    start(slot, config);
                    awaitRunning(slot);
                    note = "down " + Durations.format(s.down());
                }
                case 1 -> {
                    note = stop(slot);
                    start(slot, config);
                    awaitRunning(slot);
                }
                case 2 -> {
                    start(slot, config);
                    awaitRunning(slot);
                }
                default -> note = stop(slot);
            }
            ok = note.isEmpty() || note.startsWith("down");
        } catch (Exception e) {
            ok = false;
            note = e.getMessage();
        }
        long done = System.currentTimeMillis();
        return new Action(k, KINDS[kind], slot.id, scheduledS, (startMillis - t0Millis) / 1000.0,
                (done - t0Millis) / 1000.0, Instant.ofEpochMilli(startMillis).toString(), ok, note);
    }

    /**
     * Waits until every event has its revision 0 and nothing more has come for a while, or until nothing has come
     * for long enough to call the rest lost: longer than a removed static member's session (30 s), during which
     * nobody processes its partitions.
     */
    private void awaitQuiet(SoakTally tally, int events) throws InterruptedException {
        long quiet = TimeUnit.SECONDS.toNanos(3) + s.maxWait().toNanos() * 3;
        long stalled = TimeUnit.MILLISECONDS.toNanos(StreamsProperties.STATIC_MEMBER_SESSION_TIMEOUT_MS) + TimeUnit.SECONDS.toNanos(60);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (System.nanoTime() < deadline) {
            tally.rethrow();
            if ((tally.answered.get() >= events && tally.idleNanos() > quiet) || tally.idleNanos() > stalled) {
                return;
            }
            Thread.sleep(200);
        }
        log.println("soak: gave up waiting for the last answers after 10 minutes");
    }

    // ---- sampling ----

    private void sample(SoakTally tally) {
        long every = s.sampleEvery().toMillis();
        long lastOutputs = 0;
        double lastT = 0;
        try {
            while (!Thread.currentThread().isInterrupted()) {
                long next = System.currentTimeMillis() + every;
                for (Slot slot : slots) {
                    if (slot.alive()) {
                        sampleInstance(slot);
                    }
                }
                double t = (System.currentTimeMillis() - t0Millis) / 1000.0;
                long outputs = tally.outputs.get();
                if (t > lastT) {
                    samples.add(new Sample(t, "output", -1, -1, -1, -1, -1, (outputs - lastOutputs) / (t - lastT)));
                }
                lastOutputs = outputs;
                lastT = t;
                Thread.sleep(Math.max(0, next - System.currentTimeMillis()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sampleInstance(Slot slot) throws InterruptedException {
        Process p = slot.process;
        try {
            String metrics = scrape(slot.port);
            double t = (System.currentTimeMillis() - t0Millis) / 1000.0;
            long heapUsed = (long) sum(metrics, "jvm_memory_used_bytes", l -> l.contains("area=\"heap\""));
            long live = -1;
            long now = System.currentTimeMillis();
            if (now - slot.lastGcMillis >= s.liveHeapEvery().toMillis() && slot.lastPid == p.pid()) {
                // Heap in use right after a full collection: what is alive, without the garbage the app's own
                // collections have not reached yet.
                Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        String.valueOf(p.pid()), "GC.run").redirectErrorStream(true).start();
                gc.getInputStream().readAllBytes();
                if (gc.waitFor(60, TimeUnit.SECONDS) && gc.exitValue() == 0) {
                    live = (long) sum(scrape(slot.port), "jvm_memory_used_bytes", l -> l.contains("area=\"heap\""));
                }
                slot.lastGcMillis = now;
            }
            if (slot.lastPid != p.pid()) {
                // A fresh JVM: its first full GC comes a sampling interval or more after its start.
                slot.lastGcMillis = now - s.liveHeapEvery().toMillis() + Math.max(s.sampleEvery().toMillis(), 15_000);
            }
            double predictions = sum(metrics, "latefuse_predictions_total", l -> true);
            double rate = -1;
            if (slot.lastPid == p.pid() && slot.lastPredictions >= 0 && predictions >= slot.lastPredictions && t > slot.lastT) {
                rate = (predictions - slot.lastPredictions) / (t - slot.lastT);
            }
            slot.lastPid = p.pid();
            slot.lastPredictions = predictions;
            slot.lastT = t;
            long pending = (long) sum(metrics, "latefuse_pending_events", l -> true);
            samples.add(new Sample(t, slot.id, heapUsed, live, MemoryFootprint.rss(p.pid()), directorySize(slot.stateDir),
                    pending, rate));
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            // Down, starting, or stopping between the check and the scrape: no sample this time.
        }
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("/metrics answered " + r.statusCode());
        }
        return r.body();
    }

    /** Sums the series of metric {@code name} whose labels pass {@code labels}; fails if there is none. */
    static double sum(String metrics, String name, Predicate<String> labels) throws IOException {
        double total = 0;
        boolean found = false;
        for (String line : metrics.split("\n")) {
            boolean bare = line.startsWith(name + " ");
            if (bare || line.startsWith(name + "{")) {
                String labelPart = bare ? "" : line.substring(name.length(), line.lastIndexOf('}') + 1);
                if (labels.test(labelPart)) {
                    total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    found = true;
                }
            }
        }
        if (!found) {
            throw new IOException("no " + name);
        }
        return total;
    }

    /** The files under {@code dir}; RocksDB deletes files as it goes, so a vanished one counts as 0. */
    static long directorySize(Path dir) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                return MemoryFootprint.directorySize(dir);
            } catch (UncheckedIOException | IOException e) {
                if (attempt >= 3) {
                    throw e instanceof IOException io ? io : ((UncheckedIOException) e).getCause();
                }
            }
        }
    }

    // ---- judging ----

    static int eventIndex(String key, int events) {
        if (key == null || !key.startsWith("ev-")) {
            return -1;
        }
        try {
            int e = Integer.parseInt(key, 3, key.length(), 10);
            return e < events ? e : -1;
        } catch (NumberFormatException ex) {
            return -1;
        }
    }

    /** The broker's append time of each event's score of each modality ({@code [e * M + m]}), -1 if none was sent. */
    private long[] appendTimes(List<String> inputs, int events, int[] partitionOf) {
        int mCount = inputs.size();
        long[] appends = new long[events * mCount];
        Arrays.fill(appends, -1);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers(),
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : inputs) {
                parts.addAll(OutputTally.partitionsOf(c, t));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (parts.stream().anyMatch(p -> c.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    int e = eventIndex(r.key(), events);
                    if (e < 0) {
                        continue;
                    }
                    int i = e * mCount + inputs.indexOf(r.topic());
                    appends[i] = appends[i] < 0 ? r.timestamp() : Math.min(appends[i], r.timestamp());
                    partitionOf[e] = r.partition();
                }
            }
        }
        return appends;
    }

    private Result judge(String command, String started, double trafficSeconds, List<Action> schedule,
                         BenchWorkload w, SoakTally t, List<String> inputs, String dlq) {
        int events = w.events();
        int mCount = inputs.size();
        int[] partitionOf = new int[events];
        long[] appends = appendTimes(inputs, events, partitionOf);
        long maxWait = s.maxWait().toMillis();
        int answered = 0;
        int complete = 0;
        int degraded = 0;
        int falseDegraded = 0;
        int lost = 0;
        int duplicated = 0;
        long revisions = 0;
        int unjustified = 0;
        int lateScores = 0;
        int unrevised = 0;
        List<String> findings = new ArrayList<>();
        for (int e = 0; e < events; e++) {
            long first = Long.MAX_VALUE;
            for (int m = 0; m < mCount; m++) {
                long a = appends[e * mCount + m];
                if (a >= 0) {
                    first = Math.min(first, a);
                }
            }
            long trulyLate = 0;
            for (int m = 0; m < mCount; m++) {
                long a = appends[e * mCount + m];
                if (a >= 0 && a - first > maxWait) {
                    trulyLate |= 1L << m;
                }
            }
            int n = t.revisionZero[e];
            revisions += t.revisions[e];
            if (n == 0) {
                lost++;
                if (lost <= 10) {
                    findings.add(String.format(Locale.ROOT, "lost: ev-%d (partition %d, first score appended at +%.1f s)",
                            e, partitionOf[e], (first - t0Millis) / 1000.0));
                }
                continue;
            }
            answered++;
            if (n > 1) {
                duplicated++;
                if (duplicated <= 10) {
                    findings.add(String.format(Locale.ROOT, "duplicated: ev-%d has %d revision-0 predictions (partition %d, "
                            + "first score at +%.1f s)", e, n, partitionOf[e], (first - t0Millis) / 1000.0));
                }
            }
            if (t.degraded[e]) {
                degraded++;
                // False: every modality it names missing was appended, within max.wait of the event's first score.
                boolean justified = false;
                StringBuilder why = new StringBuilder();
                for (int m = 0; m < mCount; m++) {
                    if ((t.missing[e] & (1L << m)) == 0) {
                        continue;
                    }
                    long a = appends[e * mCount + m];
                    justified |= a < 0 || a - first > maxWait;
                    why.append(s.modalities().get(m)).append(a < 0 ? " never sent; " : " appended " + (a - first) + " ms after the first; ");
                }
                if (!justified) {
                    falseDegraded++;
                    if (falseDegraded <= 10) {
                        findings.add(String.format(Locale.ROOT, "false DEGRADED: ev-%d (partition %d, first score at +%.1f s): %s",
                                e, partitionOf[e], (first - t0Millis) / 1000.0, why));
                    }
                }
            } else {
                complete++;
            }
            // Revisions: only for truly late scores not in revision 0, at most one for each.
            long lateNotInZero = trulyLate & ~t.present[e];
            lateScores += Long.bitCount(trulyLate);
            long revisedNew = t.revisedPresent[e] & ~t.present[e];
            if (t.revisions[e] > Long.bitCount(lateNotInZero) || (revisedNew & ~trulyLate) != 0) {
                unjustified++;
                if (unjustified <= 10) {
                    findings.add(String.format(Locale.ROOT, "unjustified revision: ev-%d has %d revision(s) for %d truly "
                            + "late score(s) not in revision 0 (partition %d, first score at +%.1f s)", e, t.revisions[e],
                            Long.bitCount(lateNotInZero), partitionOf[e], (first - t0Millis) / 1000.0));
                }
            }
            unrevised += Long.bitCount(lateNotInZero & ~t.revisedPresent[e]);
        }
        Map<String, Long> deadLetters = DeadLetterTally.count(s.bootstrapServers(), dlq);
        Counts counts = new Counts(events, answered, complete, degraded, falseDegraded, lost, duplicated, revisions,
                unjustified, lateScores, unrevised, t.outputs.get(), t.foreign.get(), deadLetters);

        List<SeriesVerdict> bounded = List.of(
                bounded("live heap (after a full GC)", "MiB", 1 << 20, 16, trafficSeconds, Sample::liveHeap),
                bounded("RSS", "MiB", 1 << 20, 32, trafficSeconds, Sample::rss),
                bounded("state directory", "MiB", 1 << 20, 16, trafficSeconds, Sample::stateDir),
                bounded("pending events", "events", 1, s.rate(), trafficSeconds, Sample::pending));
        SeriesVerdict rate = keepsUp(trafficSeconds);
        Map<String, Boolean> verdicts = new LinkedHashMap<>();
        verdicts.put("every action of the schedule done", schedule.stream().allMatch(Action::ok)
                && schedule.size() == s.actions());
        verdicts.put("exactly one revision 0 per event", lost == 0 && duplicated == 0);
        verdicts.put("no false DEGRADED", falseDegraded == 0);
        verdicts.put("nothing lost", lost == 0);
        verdicts.put("nothing duplicated (no second revision 0, revisions only for truly late scores)",
                duplicated == 0 && unjustified == 0);
        for (SeriesVerdict v : bounded) {
            verdicts.put("bounded: " + v.series(), v.pass());
        }
        verdicts.put("output keeps up with the input", rate.pass());
        return new Result(command, settings(), started, trafficSeconds, schedule, counts, verdicts, bounded, rate, findings);
    }

    private static final String BOUNDED = "the max over the last quarter of the run is at most 1.2 x the max over the "
            + "second quarter, plus %s";

    private SeriesVerdict bounded(String name, String unit, double scale, double slack, double seconds,
                                  ToDoubleFunction<Sample> value) {
        double q2 = -1;
        double q4 = -1;
        int n = 0;
        for (Sample x : samples) {
            double v = value.applyAsDouble(x);
            if (x.instance().equals("output") || v < 0) {
                continue;
            }
            n++;
            if (x.t() >= seconds / 4 && x.t() < seconds / 2) {
                q2 = Math.max(q2, v / scale);
            } else if (x.t() >= 3 * seconds / 4 && x.t() <= seconds) {
                q4 = Math.max(q4, v / scale);
            }
        }
        boolean pass = q2 >= 0 && q4 >= 0 && q4 <= 1.2 * q2 + slack;
        return new SeriesVerdict(name, unit, n, q2, q4, pass, String.format(Locale.ROOT, BOUNDED,
                String.format(Locale.ROOT, "%,.0f %s", slack, unit)));
    }

    /** Outputs (revision 0 and revisions) over the second half of the traffic, per second, against the input rate. */
    private SeriesVerdict keepsUp(double seconds) {
        double firstHalf = 0;
        double secondHalf = 0;
        double prevT = 0;
        int n = 0;
        for (Sample x : samples) {
            if (!x.instance().equals("output")) {
                continue;
            }
            n++;
            double dt = x.t() - prevT;
            if (x.t() > seconds / 2 && x.t() <= seconds) {
                secondHalf += x.outputsPerSecond() * dt;
            } else if (x.t() <= seconds / 2) {
                firstHalf += x.outputsPerSecond() * dt;
            }
            prevT = x.t();
        }
        double mean = secondHalf / (seconds / 2);
        return new SeriesVerdict("outputs per second", "outputs/s", n, firstHalf / (seconds / 2), mean,
                mean >= 0.9 * s.rate(), String.format(Locale.ROOT, "the mean over the second half is at least 90%% of "
                + "the input rate, %.0f events/s (first half's mean shown as the first value)", s.rate()));
    }

    private Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rate", String.format(Locale.ROOT, "%.0f events/s", s.rate()));
        m.put("duration", Durations.format(s.duration()));
        m.put("events", s.events());
        m.put("modalities", s.modalities());
        m.put("missing", String.format(Locale.ROOT, "%.0f%% of events lack one modality", 100 * s.missing()));
        m.put("late", String.format(Locale.ROOT, "%.0f%% of events send one modality %d ms late", 100 * s.late(),
                2 * s.maxWait().toMillis()));
        m.put("max.wait", Durations.format(s.maxWait()));
        m.put("late.retention", Durations.format(s.lateRetention()));
        m.put("deadline.clock", "input");
        m.put("app", "latefuse run, each instance its own JVM (-Xmx" + s.heap() + "), exactly_once_v2, RocksDB, "
                + "1 stream thread, static membership (LATEFUSE_INSTANCE_ID soak-0, soak-1, soak-2; session timeout "
                + StreamsProperties.STATIC_MEMBER_SESSION_TIMEOUT_MS / 1000 + " s)");
        m.put("partitions", s.partitions());
        m.put("kafka", "probing.rebalance.interval.ms 60000 (an added instance gets active tasks within a minute)");
        m.put("schedule", String.format(Locale.ROOT, "%d actions, one every %s: %s, in turn; a killed instance is down %s",
                s.actions(), Durations.format(s.duration().dividedBy(s.actions() + 1)), String.join(", ", KINDS),
                Durations.format(s.down())));
        m.put("sampling", "every " + Durations.format(s.sampleEvery()) + " per instance; live heap (jcmd GC.run, then "
                + "jvm_memory_used_bytes) every " + Durations.format(s.liveHeapEvery()));
        m.put("seed", s.seed());
        return m;
    }

    // ---- writing ----

    private void write(Result r, Path out) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("results.json").toFile(), r);
        Files.writeString(out.resolve("results.md"), markdown(r));
        StringBuilder csv = new StringBuilder("t_s,instance,heap_used_bytes,live_heap_bytes,rss_bytes,state_dir_bytes,"
                + "pending_events,outputs_per_s\n");
        for (Sample x : samples) {
            csv.append(String.format(Locale.ROOT, "%.1f,%s,%s,%s,%s,%s,%s,%s%n", x.t(), x.instance(), cell(x.heapUsed()),
                    cell(x.liveHeap()), cell(x.rss()), cell(x.stateDir()), cell(x.pending()),
                    x.outputsPerSecond() < 0 ? "" : String.format(Locale.ROOT, "%.1f", x.outputsPerSecond())));
        }
        Files.writeString(out.resolve("series.csv"), csv);
        List<SoakPlot.Mark> marks = r.schedule().stream().map(a -> new SoakPlot.Mark(a.startedS(),
                shortKind(a.kind()) + " " + a.instance().substring("soak-".length()))).toList();
        double end = samples.isEmpty() ? r.trafficSeconds() : Math.max(r.trafficSeconds(),
                samples.get(samples.size() - 1).t());
        plot(out, "live-heap", "Live heap after a full GC", "MiB", 1 << 20, Sample::liveHeap, marks, end, false);
        plot(out, "heap-used", "Heap used", "MiB", 1 << 20, Sample::heapUsed, marks, end, false);
        plot(out, "rss", "Resident set size", "MiB", 1 << 20, Sample::rss, marks, end, false);
        plot(out, "state-dir", "State directory", "MiB", 1 << 20, Sample::stateDir, marks, end, false);
        plot(out, "pending", "Pending events", "events", 1, Sample::pending, marks, end, false);
        plot(out, "output-rate", "Output rate (all: read_committed; instance: predictions)",
                "per second", 1, Sample::outputsPerSecond, marks, end, true);
    }

    static final List<String> PLOTS = List.of("live-heap", "heap-used", "rss", "state-dir", "pending", "output-rate");

    private static String shortKind(String kind) {
        return switch (kind) {
            case "kill -9 + restart" -> "K";
            case "SIGTERM + restart" -> "T";
            case "add" -> "A";
            default -> "R";
        };
    }

    private void plot(Path out, String file, String title, String unit, double scale, ToDoubleFunction<Sample> value,
                      List<SoakPlot.Mark> marks, double seconds, boolean withOutput) throws IOException {
        Map<String, List<SoakPlot.Point>> lines = new LinkedHashMap<>();
        for (Sample x : samples) {
            double v = value.applyAsDouble(x);
            if (v < 0 || (!withOutput && x.instance().equals("output"))) {
                continue;
            }
            lines.computeIfAbsent(x.instance().equals("output") ? "all" : x.instance(), k -> new ArrayList<>())
                    .add(new SoakPlot.Point(x.t(), v));
        }
        Files.writeString(out.resolve(file + ".svg"), SoakPlot.svg(title,
                "K kill -9 + restart, T SIGTERM + restart, A add, R remove; then the instance", unit, scale, lines, marks, seconds));
    }

    private static String cell(long v) {
        return v < 0 ? "" : Long.toString(v);
    }

    static String markdown(Result r) {
        StringBuilder md = new StringBuilder();
        md.append("Command: `").append(r.command()).append("`, started ").append(r.started()).append("\n\n");
        md.append("| setting | value |\n|---|---|\n");
        r.settings().forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append("\n#### Verdicts: ").append(r.passed() ? "all pass" : "FAILED").append("\n\n");
        r.verdicts().forEach((k, v) -> md.append("- ").append(v ? "pass" : "**FAIL**").append(": ").append(k).append('\n'));
        Counts c = r.counts();
        md.append("\n#### Every event\n\n");
        md.append("| events | answered | COMPLETE | DEGRADED | false DEGRADED | lost | duplicated | revisions | "
                + "unjustified revisions | truly late scores | late scores without a revision | outputs | dead letters |\n");
        md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        md.append(String.format(Locale.ROOT, "| %,d | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %s |%n",
                c.events(), c.answered(), c.complete(), c.degraded(), c.falseDegraded(), c.lost(), c.duplicated(),
                c.revisions(), c.unjustifiedRevisions(), c.lateScores(), c.lateScoresUnrevised(), c.outputs(),
                c.deadLetters().isEmpty() ? "none" : c.deadLetters().toString()));
        md.append("\nA DEGRADED is false when every modality it names missing was appended (broker time) within max.wait "
                + "of its event's first score. A revision is unjustified when its event has more revisions than truly late "
                + "scores (appended more than max.wait after the first) that revision 0 did not hold, or it holds a "
                + "modality that was not truly late. A truly late score that revision 0 did not hold and no revision "
                + "holds is counted as without a revision (reported, not judged).\n");
        if (!r.findings().isEmpty()) {
            md.append("\nFindings (the first of each kind):\n\n");
            r.findings().forEach(f -> md.append("- ").append(f).append('\n'));
        }
        md.append("\n#### Schedule (seconds since the traffic started)\n\n");
        md.append("| # | at | wall clock (UTC) | action | instance | until RUNNING or exited | note |\n|---:|---:|---|---|---|---:|---|\n");
        for (Action a : r.schedule()) {
            md.append(String.format(Locale.ROOT, "| %d | %.0f s | %s | %s | %s | %.1f s | %s |%n", a.n(), a.startedS(),
                    a.startedAt(), a.kind(), a.instance(), a.doneS() - a.startedS(),
                    (a.ok() ? "" : "FAILED: ") + a.note()));
        }
        md.append("\n#### Over time\n\n");
        md.append("| series | samples | max, 2nd quarter | max, last quarter | verdict |\n|---|---:|---:|---:|---|\n");
        for (SeriesVerdict v : r.bounded()) {
            md.append(String.format(Locale.ROOT, "| %s (%s) | %d | %,.1f | %,.1f | %s |%n", v.series(), v.unit(), v.samples(),
                    v.secondQuarterMax(), v.lastQuarterMax(), v.pass() ? "bounded" : "**GROWING**"));
        }
        SeriesVerdict o = r.outputRate();
        md.append(String.format(Locale.ROOT, "| %s (mean, first half / second half) | %d | %,.1f | %,.1f | %s |%n",
                o.series(), o.samples(), o.secondQuarterMax(), o.lastQuarterMax(), o.pass() ? "keeps up" : "**FALLS BEHIND**"));
        md.append("\nBounded: the max over the last quarter of the run is at most 1.2 x the max over the second "
                + "quarter, plus a slack").append(" (16 MiB for heap and state, 32 MiB for RSS, one second of input for pending events), over "
                        + "every instance's samples. Output: ").append(o.criterion()).append(".\n\n");
        for (String p : PLOTS) {
            md.append("![").append(p).append("](").append(p).append(".svg)\n\n");
        }
        return md.toString();
    }

    private void createTopics(List<String> names) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers()))) {
            admin.createTopics(names.stream().map(n -> new NewTopic(n, s.partitions(), (short) 1)
                    .configs(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"))).toList())
                    .all().get(60, TimeUnit.SECONDS);
            WritableTopics.await(admin, names, Duration.ofSeconds(60)); // the producer writes at once: KAFKA-15591
        }
    }
}
