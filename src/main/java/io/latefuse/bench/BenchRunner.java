package io.latefuse.bench;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigBuilder;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.streams.WritableTopics;
import io.latefuse.topology.FusionApp;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Runs each variant on the same workload, one at a time, on one broker and registry, and judges its output. All
 * variants run with the same Kafka Streams properties (latefuse's, from {@link StreamsProperties}), one stream
 * thread, and a fresh application id, state directory and output topic.
 */
public final class BenchRunner implements AutoCloseable {

    /**
     * @param maxWait     latefuse's deadline, and the DSL's join window (the same promise: scores of one event
     *                    within this much of each other are fused together)
     * @param grace       the DSL's grace period
     * @param lateDelayMs how long after its event a late modality is sent
     * @param warmup      run an unmeasured backlog pass of each kind first
     * @param kafka       Kafka and Streams properties for every variant (the config's {@code kafka} pass-through)
     * @param threads     stream threads per instance
     * @param instances   instances of each app (same application id, own state directory), in this JVM
     */
    public record Settings(String bootstrapServers, String registryUrl, Path stateDir, int partitions,
                           Duration maxWait, Duration punctuation, Duration grace, long lateDelayMs, String strategy,
                           boolean warmup, Map<String, String> kafka, int threads, int instances) {
        public Settings {
            kafka = Map.copyOf(kafka);
        }

        /** One instance with one stream thread. */
        public Settings(String bootstrapServers, String registryUrl, Path stateDir, int partitions, Duration maxWait,
                        Duration punctuation, Duration grace, long lateDelayMs, String strategy, boolean warmup,
                        Map<String, String> kafka) {
            this(bootstrapServers, registryUrl, stateDir, partitions, maxWait, punctuation, grace, lateDelayMs, strategy,
                    warmup, kafka, 1, 1);
        }
    }

    /** What io.latefuse.flink.FlinkFusionJob prints once Flink reports the job RUNNING (that package is not here). */
    static final String FLINK_RUNNING = "latefuse-flink: job -> RUNNING";

    private final Settings settings;
    private final PrintStream log;
    /** The {@code modality.health} mode latefuse's variants run under. */
    private String health = "off";

    /** latefuse's variants run under {@code modality.health: mode} from now on. */
    public BenchRunner health(String mode) {
        this.health = mode;
        return this;
    }

    /** How a result under {@code modality.health: mode} is named: nothing for off, else e.g. " +quarantine". */
    public static String healthTag(String mode) {
        return mode.equals("off") ? "" : " +" + mode;
    }
    private final SchemaRegistry registry;
    private final RegistryConfig registryConfig;
    private final String runId = UUID.randomUUID().toString().substring(0, 6);

    public BenchRunner(Settings settings, PrintStream log) {
        this.settings = settings;
        this.log = log;
        this.registryConfig = RegistryConfig.of(settings.registryUrl());
        this.registry = SchemaRegistry.connect(registryConfig);
    }

    /**
     * Pre-produces the workload once, then lets each variant work through it from the beginning, {@code repeat}
     * times, interleaved (A B C, A B C, ...): a slow spell of the machine then hits every variant of a repetition
     * alike, and ratios taken within a repetition cancel it.
     */
    public List<VariantResult> backlog(List<Variant> variants, BenchWorkload workload, int repeat) throws Exception {
        return backlog(variants, java.util.Map.of("", workload), repeat);
    }

    /**
     * As {@link #backlog(List, BenchWorkload, int)} for several workloads, each under its tag (its results are named
     * variant + tag): each is produced once, and the runs interleave, every workload's variants in each repetition.
     */
    public List<VariantResult> backlog(List<Variant> variants, java.util.Map<String, BenchWorkload> workloads, int repeat)
            throws Exception {
        return backlog(variants, workloads, repeat, List.of("off"));
    }

    /**
     * As {@link #backlog(List, java.util.Map, int)}, with latefuse's variants run under each {@code modality.health}
     * mode in {@code healthModes} in turn (named variant + {@link #healthTag}); the others once, under off.
     */
    public List<VariantResult> backlog(List<Variant> variants, java.util.Map<String, BenchWorkload> workloads, int repeat,
                                       List<String> healthModes) throws Exception {
        java.util.Map<String, List<String>> inputsByTag = new java.util.LinkedHashMap<>();
        for (java.util.Map.Entry<String, BenchWorkload> tagged : workloads.entrySet()) {
            BenchWorkload workload = tagged.getValue();
            List<String> inputs = createScoreTopics("backlog" + tagged.getKey().replaceAll("[^A-Za-z0-9]", ""), workload);
            inputsByTag.put(tagged.getKey(), inputs);
            long t = System.nanoTime();
            try (BenchProducer p = producer(workload, inputs)) {
                p.backlog();
            }
            log.printf(Locale.ROOT, "backlog%s: produced %,d events (%,d records) in %.1f s%n", tagged.getKey(),
                    workload.events(), records(workload), (System.nanoTime() - t) / 1e9);
        }
        BenchWorkload workload = workloads.values().iterator().next();
        List<String> inputs = inputsByTag.values().iterator().next();
        // One unmeasured pass of each kind first: the first app in a cold JVM runs interpreted code, loads
        // RocksDB and registers schemas, and would make whichever variant comes first look slow.
        for (Variant.Kind kind : settings.warmup() ? Variant.Kind.values() : new Variant.Kind[0]) {
            if (kind == Variant.Kind.FLINK) {
                continue; // its own JVM each run: a pass here would warm nothing it runs on
            }
            Variant warm = new Variant(kind, PipelineConfig.StoreType.MEMORY, Variant.AT_LEAST_ONCE);
            log.println("backlog: warm-up pass of " + warm.name() + " (not measured)");
            run(warm, workload, inputs, null, 0, true, "input", "", 0);
        }
        List<VariantResult> results = new ArrayList<>();
        for (int rep = 1; rep <= repeat; rep++) {
            for (java.util.Map.Entry<String, BenchWorkload> tagged : workloads.entrySet()) {
                for (Variant v : variants) {
                    for (String mode : healthModes) {
                        if (!mode.equals("off") && v.kind() != Variant.Kind.LATEFUSE) {
                            continue;
                        }
                        health(mode);
                        try {
                            results.add(run(v, tagged.getValue(), inputsByTag.get(tagged.getKey()), null, 0, false,
                                    "input", tagged.getKey() + healthTag(mode), rep));
                        } finally {
                            health("off");
                        }
                    }
                }
            }
        }
        return results;
    }

    /**
     * For each variant, produces the workload afresh at {@code rate} events per second while it runs, with latefuse
     * on deadline clock {@code clock}. The first {@code warmupEvents} are sent like the others but not judged: a
     * freshly started app runs cold code and builds a backlog it then works off. {@code tag} names the clock in the
     * results; {@code rep} is the repetition. The serde passthrough, which answers only events that send every
     * modality, is left out.
     */
    public List<VariantResult> live(List<Variant> variants, BenchWorkload workload, double rate, int warmupEvents,
                                    String clock, String tag, int rep) throws Exception {
        List<VariantResult> results = new ArrayList<>();
        for (Variant v : variants) {
            if (v.kind() == Variant.Kind.SERDE_PASSTHROUGH) {
                continue;
            }
            String run = v.name() + tag.replaceAll("[^A-Za-z0-9]", "") + (rep > 1 ? "r" + rep : "");
            List<String> inputs = createScoreTopics("live-" + run, workload);
            results.add(run(v, workload, inputs, rate, warmupEvents, false, clock, tag, rep));
        }
        return results;
    }

    private VariantResult run(Variant v, BenchWorkload workload, List<String> inputs, Double liveRate,
                              int warmupEvents, boolean warmup, String liveClock, String tag, int rep) throws Exception {
        String mode = liveRate == null ? "backlog" : "live";
        String base = "bench-" + runId + "." + mode + "." + v.name() + tag.replaceAll("[^A-Za-z0-9]", "")
                + (warmup ? "-warmup" : rep > 1 ? "-r" + rep : "");
        String output = base + ".out";
        createTopics(List.of(output, base + ".dlq"), true);
        // A backlog is a replay: its deadlines run on event time, as the config reference advises (and as the earlier
        // runs in docs/BENCHMARKS.md did). Live traffic runs on the default input clock.
        PipelineConfig cfg = config(v, base, workload.modalities(), inputs, output, base + ".dlq",
                liveRate == null ? "event" : liveClock);
        // Instances of one app share its application id and split its partitions; each has its own state directory.
        List<FusionApp> apps = new ArrayList<>();
        List<KafkaStreams> streams = new ArrayList<>();
        List<FusionStrategy> strategies = new ArrayList<>();
        Process flink = null;
        Path flinkLog = null;
        for (int i = 0; i < (v.kind() == Variant.Kind.FLINK ? 0 : settings.instances()); i++) {
            Properties props = StreamsProperties.of(cfg);
            String stateDir = settings.stateDir().resolve(base).resolve("instance-" + i).toString();
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
            switch (v.kind()) {
                case LATEFUSE -> {
                    FusionApp app = new FusionApp(cfg, Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir));
                    apps.add(app);
                    streams.add(app.streams());
                }
                case PASSTHROUGH -> streams.add(new KafkaStreams(PassthroughTopology.build(inputs, output), props));
                case SERDE_PASSTHROUGH -> streams.add(new KafkaStreams(SerdePassthroughTopology.build(inputs,
                        workload.modalities(), output, AvroSerdes.specific(ModalityScore.class, registry, registryConfig),
                        AvroSerdes.specific(FusedPrediction.class, registry, registryConfig)), props));
                case DSL -> {
                    FusionStrategy strategy = FusionStrategies.create(cfg);
                    strategies.add(strategy);
                    streams.add(dslStreams(cfg, props, strategy, settings.grace(), registry, registryConfig));
                }
                default -> throw new IllegalStateException(v.kind().toString());
            }
        }

        OutputTally tally = new OutputTally(settings.bootstrapServers(), output, workload, v.kind(),
                AvroDeserializer.specific(FusedPrediction.class, registry));
        Thread reader = new Thread(tally, "bench-tally-" + v.name());
        reader.setDaemon(true);
        reader.start();
        long[] lastOnTime = null;
        long runningAt = 0;
        double seconds;
        try {
            if (v.kind() == Variant.Kind.FLINK) {
                // latefuse's deadline clock for the mode: event time in a replay, the wall clock live
                flinkLog = settings.stateDir().resolve(base + ".log");
                flink = startFlink(cfg, pipeline(v, base, workload.modalities(), inputs, output, base + ".dlq",
                        liveRate == null ? "event" : liveClock, settings.kafka()).toYaml(), base,
                        liveRate == null ? "event_time" : "processing_time", flinkLog);
                runningAt = awaitFlinkRunning(flink, flinkLog, v);
            } else if (!apps.isEmpty()) {
                apps.forEach(FusionApp::start);
            } else {
                streams.forEach(KafkaStreams::start);
            }
            for (KafkaStreams s : streams) {
                runningAt = Math.max(runningAt, awaitRunning(s, v));
            }
            if (liveRate != null) {
                long t = System.nanoTime();
                try (BenchProducer p = producer(workload, inputs)) {
                    p.live(liveRate, settings.lateDelayMs());
                    lastOnTime = new long[workload.events()];
                    for (int e = 0; e < lastOnTime.length; e++) {
                        lastOnTime[e] = p.lastOnTimeAppend.get(e);
                    }
                }
                seconds = (System.nanoTime() - t) / 1e9;
            } else {
                seconds = 0;
            }
            awaitQuiet(tally, workload, v);
            if (flink != null && !flink.isAlive()) {
                throw new IllegalStateException(v.name() + " exited with " + flink.exitValue() + "; see " + flinkLog);
            }
        } finally {
            if (flink != null) {
                flink.destroy();
                if (!flink.waitFor(30, TimeUnit.SECONDS)) {
                    flink.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            if (!apps.isEmpty()) {
                apps.forEach(FusionApp::close);
            } else {
                streams.forEach(s -> StreamsLifecycle.close(s, true));
            }
            streams.forEach(KafkaStreams::cleanUp);
            strategies.forEach(FusionStrategy::close);
            tally.stop();
            reader.join(10_000);
        }
        tally.rethrow();
        VariantResult r = judge(v, mode, workload, tally, runningAt, seconds, lastOnTime, warmupEvents)
                .named(v.name() + tag, rep).withDeadLetters(DeadLetterTally.count(settings.bootstrapServers(), base + ".dlq"));
        if (warmup) {
            return r;
        }
        log.printf(Locale.ROOT, "%s #%d %-40s answered %,d/%,d, correct %,d, outputs %,d%s%n", mode, rep, r.variant(), r.answered(),
                r.events(), r.correct(), r.outputs(), liveRate == null
                        ? String.format(Locale.ROOT, ", %,.0f events/s, %,.0f in steady state", r.eventsPerSecond(),
                        r.steadyEventsPerSecond())
                        : String.format(Locale.ROOT, ", wait p50/p99 %d/%d ms complete, %d/%d ms partial",
                        r.completeWait().p50(), r.completeWait().p99(), r.partialWait().p50(), r.partialWait().p99()));
        return r;
    }

    /**
     * The DSL outer-join chain for {@code cfg}, its join window {@code cfg.maxWait()}: here, and as the child JVM of
     * restart mode ({@code latefuse bench-dsl-app}).
     */
    public static KafkaStreams dslStreams(PipelineConfig cfg, Properties props, FusionStrategy strategy, Duration grace,
                                          SchemaRegistry registry, RegistryConfig registryConfig) {
        if (cfg.storeType() == PipelineConfig.StoreType.MEMORY) {
            props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
        }
        Serde<ModalityScore> scores = AvroSerdes.specific(ModalityScore.class, registry, registryConfig);
        Serde<FusedPrediction> predictions = AvroSerdes.specific(FusedPrediction.class, registry, registryConfig);
        Topology t = OuterJoinChainTopology.build(cfg, strategy, scores, predictions, cfg.maxWait(), grace, props);
        return new KafkaStreams(t, props);
    }

    /**
     * Restart mode: each variant runs as its own JVM under live traffic, is killed with SIGKILL after
     * {@code killAfter}, stays down for {@code down}, and is started again while the traffic goes on. Every answer
     * that lacks a modality sent on time (a false DEGRADED, or the DSL's unmatched output) shows as incomplete.
     */
    public List<VariantResult> restart(List<Variant> variants, BenchWorkload workload, double rate, int warmupEvents,
                                       Duration killAfter, Duration down, Path work, String clock) throws Exception {
        List<VariantResult> results = new ArrayList<>();
        String tag = clock.equals("input") ? "" : " @" + clock;
        for (Variant v : variants) {
            if (!v.stateful() || (v.kind() == Variant.Kind.DSL && !tag.isEmpty())) {
                continue; // the clock is latefuse's; the DSL runs once
            }
            if (v.kind() == Variant.Kind.FLINK) {
                log.printf(Locale.ROOT, "restart %-40s left out: restart mode kills Kafka Streams apps; the Flink job "
                        + "runs in backlog and live modes%n", v.name());
                continue;
            }
            String name = v.name() + tag;
            List<String> inputs = createScoreTopics("restart-" + v.name() + tag.replaceAll("[^A-Za-z0-9]", ""), workload);
            String base = "bench-" + runId + ".restart." + v.name() + tag.replaceAll("[^A-Za-z0-9]", "");
            String output = base + ".out";
            createTopics(List.of(output, base + ".dlq"), true);
            Map<String, String> kafka = new java.util.LinkedHashMap<>(settings.kafka());
            kafka.put(StreamsConfig.STATE_DIR_CONFIG, settings.stateDir().resolve(base).toString());
            // The killed instance's partitions go to its successor only after the session timeout: a short one, as
            // a fast-failover deployment would set, so that it expires while the app is down.
            kafka.put("consumer.session.timeout.ms", "6000");
            kafka.put("consumer.heartbeat.interval.ms", "1000");
            Path file = work.resolve(base + ".yaml");
            java.nio.file.Files.writeString(file, pipeline(v, base, workload.modalities(), inputs, output, base + ".dlq",
                    clock, kafka).toYaml());
            OutputTally tally = new OutputTally(settings.bootstrapServers(), output, workload, v.kind(),
                    AvroDeserializer.specific(FusedPrediction.class, registry));
            Thread reader = new Thread(tally, "bench-tally-" + v.name());
            reader.setDaemon(true);
            reader.start();
            Process app = childApp(v, file, work.resolve(base + "-1.log"));
            long[] lastOnTime = new long[workload.events()];
            double seconds;
            long runningAt;
            try {
                ChildJvm.awaitRunning(app, work.resolve(base + "-1.log"), v.name());
                runningAt = System.currentTimeMillis();
                long t = System.nanoTime();
                try (BenchProducer p = producer(workload, inputs)) {
                    Thread traffic = new Thread(() -> p.live(rate, settings.lateDelayMs()), "bench-restart-traffic");
                    traffic.start();
                    Thread.sleep(killAfter.toMillis());
                    app.destroyForcibly(); // SIGKILL: no commit, no leave-group
                    app.waitFor(30, TimeUnit.SECONDS);
                    log.printf(Locale.ROOT, "restart %-40s killed after %d s; down for %d s%n", name,
                            killAfter.toSeconds(), down.toSeconds());
                    Thread.sleep(down.toMillis());
                    app = childApp(v, file, work.resolve(base + "-2.log"));
                    ChildJvm.awaitRunning(app, work.resolve(base + "-2.log"), v.name());
                    traffic.join();
                    for (int e = 0; e < lastOnTime.length; e++) {
                        lastOnTime[e] = p.lastOnTimeAppend.get(e);
                    }
                }
                seconds = (System.nanoTime() - t) / 1e9;
                awaitQuiet(tally, workload, v);
            } finally {
                app.destroy();
                app.waitFor(30, TimeUnit.SECONDS);
                tally.stop();
                reader.join(10_000);
            }
            tally.rethrow();
            reportUnrevisedLateScores(name, workload, tally, runningAt);
            VariantResult r = judge(v, "restart", workload, tally, runningAt, seconds, lastOnTime, warmupEvents)
                    .named(name, 1).withDeadLetters(DeadLetterTally.count(settings.bootstrapServers(), base + ".dlq"));
            log.printf(Locale.ROOT, "restart %-40s answered %,d/%,d, correct %,d, false DEGRADED %,d, other incomplete %,d, "
                    + "revisions %,d, lost %,d, duplicated %,d, dead letters %s%n", name, r.answered(), r.events(), r.correct(),
                    r.lacking(), r.incomplete() - r.lacking(), r.revisions(), r.lost(), r.duplicated(), r.deadLetters());
            results.add(r);
        }
        return results;
    }

    /**
     * Late scores that left no trace: their event got no revision, and its answer does not hold them either. Each
     * should make a revision; the restart runs showed a few that did not, so they are named here.
     */
    private void reportUnrevisedLateScores(String name, BenchWorkload w, OutputTally tally, long runningAt) {
        List<String> unrevised = new ArrayList<>();
        int late = 0;
        int revised = 0;
        int takenIn = 0;
        for (int e = 0; e < w.events(); e++) {
            BenchWorkload.EventPlan plan = w.plan(e);
            if (plan.late() < 0) {
                continue;
            }
            late++;
            boolean inAnswer = (tally.answerPresent[e] & (1L << plan.late())) != 0;
            revised += tally.revisionsOf[e] > 0 ? 1 : 0;
            takenIn += inAnswer ? 1 : 0;
            if (tally.revisionsOf[e] == 0 && !inAnswer) {
                unrevised.add(plan.id() + " (answered at +" + (tally.answerAppend[e] - runningAt) + " ms)");
            }
        }
        log.printf(Locale.ROOT, "restart %-40s late scores, warm-up included: %d sent, %d made a revision, %d were taken "
                + "into revision 0%n", name, late, revised, takenIn);
        if (!unrevised.isEmpty()) {
            log.printf(Locale.ROOT, "restart %-40s %d late score(s) made no revision: %s%n", name, unrevised.size(),
                    String.join(", ", unrevised.subList(0, Math.min(10, unrevised.size()))));
        }
    }

    /** The variant as its own JVM: {@code latefuse run} for latefuse, {@code latefuse bench-dsl-app} for the DSL. */
    private Process childApp(Variant v, Path config, Path log) throws java.io.IOException {
        if (v.kind() != Variant.Kind.LATEFUSE && v.kind() != Variant.Kind.DSL) {
            throw new IllegalArgumentException(v.name() + " has no child app in restart mode");
        }
        return v.kind() == Variant.Kind.LATEFUSE
                ? ChildJvm.start("512m", log, "run", "--config", config.toString())
                : ChildJvm.start("512m", log, "bench-dsl-app", "--config", config.toString(), "--grace",
                settings.grace().toMillis() + "ms");
    }

    /**
     * The Flink variant: {@code cfg} as the job's config, run from target/latefuse-flink.jar in its own JVM, with
     * checkpoints at latefuse's commit interval for the guarantee (Kafka Streams' {@code commit.interval.ms} as
     * latefuse sets it: 100 ms under exactly-once, 1 s at least once). With the system property
     * {@code latefuse.flink.jfr} set to a directory, the job's JVM records a JFR profile there.
     */
    private Process startFlink(PipelineConfig cfg, String yamlText, String base, String clock, Path log)
            throws java.io.IOException {
        Path dir = settings.stateDir().resolve(base);
        java.nio.file.Files.createDirectories(dir);
        Path yaml = dir.resolve("pipeline.yaml");
        java.nio.file.Files.writeString(yaml, yamlText);
        long commitMs = new StreamsConfig(StreamsProperties.of(cfg)).getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-Dlogback.configurationFile=logback.xml"));
        String jfr = System.getProperty("latefuse.flink.jfr");
        if (jfr != null) {
            // a JFR profile of the Flink JVM, for comparing with --profile's of latefuse's stream thread
            cmd.add("-XX:StartFlightRecording=filename=" + Path.of(jfr).resolve(base + ".jfr") + ",settings=profile,dumponexit=true");
        }
        cmd.addAll(List.of("-jar", flinkJar().toString(),
                "--config", yaml.toString(), "--clock", clock, "--checkpoint-interval-ms", Long.toString(commitMs),
                "--work-dir", dir.resolve("flink").toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * target/latefuse-flink.jar: the system property {@code latefuse.flink.jar}, or the file of that name next to the
     * jar this class came from (latefuse-tools.jar), or under target/.
     */
    static Path flinkJar() {
        String property = System.getProperty("latefuse.flink.jar");
        List<Path> candidates = new ArrayList<>();
        if (property != null) {
            candidates.add(Path.of(property));
        }
        try {
            Path here = Path.of(BenchRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            candidates.add(here.resolveSibling("latefuse-flink.jar"));
        } catch (java.net.URISyntaxException | RuntimeException e) {
            // not from a file: the other candidates
        }
        candidates.add(Path.of("target", "latefuse-flink.jar"));
        return candidates.stream().filter(java.nio.file.Files::isRegularFile).findFirst().orElseThrow(() ->
                new IllegalStateException("the Flink variants run target/latefuse-flink.jar, which `mvn package` builds; "
                        + "not found at " + candidates));
    }

    private long awaitFlinkRunning(Process job, Path log, Variant v) throws java.io.IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!java.nio.file.Files.exists(log)
                || !java.nio.file.Files.readString(log).contains(FLINK_RUNNING)) {
            if (!job.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(v.name() + " did not reach RUNNING; see " + log);
            }
            Thread.sleep(20);
        }
        return System.currentTimeMillis();
    }

    private long awaitRunning(KafkaStreams streams, Variant v) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                throw new IllegalStateException(v.name() + " did not reach RUNNING: " + streams.state());
            }
            Thread.sleep(5);
        }
        return System.currentTimeMillis();
    }

    /**
     * Waits until every event has its answer and nothing more has come for a while (the DSL's spurious outputs come
     * late), or until nothing at all has come for long enough to call the rest lost.
     */
    private void awaitQuiet(OutputTally tally, BenchWorkload workload, Variant v) throws InterruptedException {
        long windowNanos = settings.maxWait().plus(settings.grace()).toNanos() + settings.lateDelayMs() * 1_000_000L;
        long quiet = TimeUnit.SECONDS.toNanos(2) + windowNanos;
        long stalled = TimeUnit.SECONDS.toNanos(15) + windowNanos;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (System.nanoTime() < deadline) {
            tally.rethrow();
            boolean all = tally.answered.get() >= workload.events();
            if ((all && tally.idleNanos() > quiet) || tally.idleNanos() > stalled) {
                return;
            }
            Thread.sleep(100);
        }
        log.println(v.name() + ": gave up waiting after 30 minutes");
    }

    private VariantResult judge(Variant v, String mode, BenchWorkload w, OutputTally tally, long runningAt,
                                double liveSeconds, long[] lastOnTime, int warmupEvents) {
        int correct = 0;
        int lost = 0;
        int duplicated = 0;
        int incomplete = 0;
        int lacking = 0;
        long lastAnswer = runningAt;
        Histogram complete = new Histogram(3_600_000L, 3);
        Histogram partial = new Histogram(3_600_000L, 3);
        int answered = 0;
        long inputs = 0;
        for (int e = warmupEvents; e < w.events(); e++) {
            BenchWorkload.EventPlan plan = w.plan(e);
            inputs += w.onTimeCount(plan) + (plan.late() >= 0 ? 1 : 0);
            int n = tally.answerOutputs[e];
            boolean ok;
            if (v.kind() == Variant.Kind.PASSTHROUGH) {
                int sent = w.onTimeCount(plan) + (plan.late() >= 0 ? 1 : 0);
                lost += n < w.onTimeCount(plan) ? 1 : 0;
                duplicated += n > sent ? 1 : 0;
                ok = n == sent;
            } else {
                long expected = 0;
                for (int m = 0; m < w.modalities().size(); m++) {
                    expected |= plan.sendsOnTime(m) ? 1L << m : 0;
                }
                boolean exact = n > 0 && tally.answerPresent[e] == expected;
                lost += n == 0 ? 1 : 0;
                duplicated += n > 1 ? 1 : 0;
                incomplete += n > 0 && !exact ? 1 : 0;
                lacking += n > 0 && (expected & ~tally.answerPresent[e]) != 0 ? 1 : 0;
                ok = n == 1 && exact;
            }
            correct += ok ? 1 : 0;
            if (v.kind() == Variant.Kind.PASSTHROUGH ? n >= w.onTimeCount(plan) : n > 0) {
                answered++;
                lastAnswer = Math.max(lastAnswer, tally.answerAppend[e]);
                if (lastOnTime != null) {
                    long wait = Math.max(0, tally.answerAppend[e] - lastOnTime[e]);
                    (plan.complete() ? complete : partial).recordValue(Math.min(wait, 3_600_000L));
                }
            }
        }
        double seconds = lastOnTime == null ? Math.max(1, lastAnswer - runningAt) / 1000.0 : liveSeconds;
        double steady = lastOnTime == null ? steadyRate(tally, w, warmupEvents, v) : w.events() / liveSeconds;
        // Outputs and revisions are counted over the whole run, warm-up included: the output topic does not say
        // which event an unreadable or spurious record was for.
        return new VariantResult(v.name(), 1, mode, w.events() - warmupEvents, inputs, tally.outputs.get(), tally.revisions.get(),
                answered, correct, lost, duplicated, incomplete, lacking, seconds,
                lastOnTime == null ? answered / seconds : w.events() / liveSeconds, steady,
                VariantResult.Latency.of(complete), VariantResult.Latency.of(partial), Map.of());
    }

    /**
     * Events answered per second in steady state: between the append of the answer that made 10% of the events
     * answered and the one that made 90%. Every task is running before the first answer is written, and the first
     * 10% leave the start of the run (assignment, restoration, cold code) out; the last 10% leave out the tail.
     */
    static double steadyRate(long[] answerAppends) {
        long[] t = answerAppends.clone();
        java.util.Arrays.sort(t);
        if (t.length < 10) {
            return Double.NaN;
        }
        int from = t.length / 10;
        int to = t.length - 1 - t.length / 10;
        return (to - from) * 1000.0 / Math.max(1, t[to] - t[from]);
    }

    private static double steadyRate(OutputTally tally, BenchWorkload w, int warmupEvents, Variant v) {
        long[] appends = new long[w.events() - warmupEvents];
        int n = 0;
        for (int e = warmupEvents; e < w.events(); e++) {
            if (v.kind() == Variant.Kind.PASSTHROUGH ? tally.answerOutputs[e] >= w.onTimeCount(w.plan(e)) : tally.answerOutputs[e] > 0) {
                appends[n++] = tally.answerAppend[e];
            }
        }
        return steadyRate(java.util.Arrays.copyOf(appends, n));
    }

    private PipelineConfig config(Variant v, String base, List<String> names, List<String> inputs, String output,
                                  String dlq, String clock) {
        return pipeline(v, base, names, inputs, output, dlq, clock, settings.kafka()).build();
    }

    private PipelineConfigBuilder pipeline(Variant v, String base, List<String> names, List<String> inputs, String output,
                                           String dlq, String clock, Map<String, String> kafka) {
        PipelineConfigBuilder b = PipelineConfig.builder()
                .applicationId(base.replace('.', '-'))
                .bootstrapServers(settings.bootstrapServers())
                .schemaRegistryUrl(settings.registryUrl())
                .classes(List.of("directed", "undirected"))
                .strategy(settings.strategy())
                .outputTopic(output)
                .deadLetterTopic(dlq)
                .maxWait(settings.maxWait())
                .punctuationInterval(settings.punctuation())
                .set("deadline.clock", clock)
                .set("modality.health", health)
                .latePolicy(PipelineConfig.LatePolicy.REVISE)
                .storeType(v.store())
                .processingGuarantee(v.guarantee())
                .streamThreads(settings.threads())
                .kafka(kafka);
        for (int m = 0; m < inputs.size(); m++) {
            b.modality(names.get(m), inputs.get(m));
        }
        return b;
    }

    /** The first four are DDSD's; any further ones are numbered. */
    public static List<String> modalityNames(int n) {
        List<String> ddsd = List.of("acoustic", "lexical", "prosody", "visual");
        List<String> names = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            names.add(m < ddsd.size() ? ddsd.get(m) : "m" + (m + 1));
        }
        return names;
    }

    private List<String> createScoreTopics(String name, BenchWorkload w) throws Exception {
        List<String> topics = new ArrayList<>();
        for (String m : w.modalities()) {
            topics.add("bench-" + runId + "." + name + ".scores." + m);
        }
        createTopics(topics, true);
        return topics;
    }

    /** Broker-stamped append times on every topic: the waits are measured on one clock. */
    private void createTopics(List<String> names, boolean logAppendTime) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers()))) {
            admin.createTopics(names.stream().map(n -> new NewTopic(n, settings.partitions(), (short) 1)
                            .configs(logAppendTime ? Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime") : Map.of()))
                    .toList()).all().get(60, TimeUnit.SECONDS);
            WritableTopics.await(admin, names, Duration.ofSeconds(60)); // the producer writes at once: KAFKA-15591
        }
    }

    private BenchProducer producer(BenchWorkload w, List<String> topics) {
        return new BenchProducer(settings.bootstrapServers(), new AvroSerializer<>(registry, registryConfig, false), w, topics);
    }

    @Override
    public void close() {
        registry.close();
    }

    static long records(BenchWorkload w) {
        long n = 0;
        for (int e = 0; e < w.events(); e++) {
            BenchWorkload.EventPlan p = w.plan(e);
            n += w.onTimeCount(p) + (p.late() >= 0 ? 1 : 0);
        }
        return n;
    }
}
