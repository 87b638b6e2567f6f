package io.latefuse.tools;

import io.latefuse.bench.BenchReport;
import io.latefuse.bench.BenchRunner;
import io.latefuse.bench.BenchWorkload;
import io.latefuse.bench.HotPathProfile;
import io.latefuse.bench.MemoryFootprint;
import io.latefuse.bench.SoakBench;
import io.latefuse.bench.Variant;
import io.latefuse.bench.VariantResult;
import io.latefuse.cli.DurationFlag;
import io.latefuse.config.Durations;
import io.latefuse.config.InvalidConfigException;
import io.latefuse.embedded.ApicurioRegistryProcess;
import io.latefuse.embedded.EmbeddedKafka;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Side-by-side benchmark on the embedded broker and registry: the passthrough ceiling, latefuse (RocksDB and
 * in-memory stores, at-least-once and exactly-once) and the DSL outer-join chain, in backlog and live modes.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark latefuse against a stateless passthrough and the Kafka Streams DSL outer-join chain, "
                + "on an embedded broker and registry.", "Writes results.json and results.md to --out. See docs/BENCHMARKS.md."})
public final class BenchCommand implements Callable<Integer> {

    enum Mode { BACKLOG, LIVE, BOTH, MEMORY, RESTART, SOAK, RECOVERY }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--mode", defaultValue = "both", description = "backlog, live, both; memory: the footprint of --memory-events pending events; restart: live traffic with the app as its own JVM, killed with SIGKILL and restarted; soak: --duration of live traffic against 2-3 instances killed, restarted, added and removed on a schedule; recovery: how fast a killed instance's partitions serve again with --pending events held (default ${DEFAULT-VALUE}).")
    Mode mode;

    @Option(names = "--variants", split = ",", description = "Only these variants (default: all): passthrough-{alos,eos}, serde-passthrough-{alos,eos}, {latefuse,flink,dsl}-{rocksdb,memory}-{alos,eos}. The Flink ones run target/latefuse-flink.jar (built beside latefuse-tools.jar) as a child JVM.")
    List<String> variants;

    @Option(names = "--events", defaultValue = "50000", description = "Backlog: events pre-produced (default ${DEFAULT-VALUE}).")
    int events;

    @Option(names = "--rate", defaultValue = "500", description = "Live: events per second (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--live-seconds", defaultValue = "20", description = "Live: how long each variant is fed (default ${DEFAULT-VALUE}).")
    int liveSeconds;

    @Option(names = "--warmup-seconds", defaultValue = "10", description = "Live: traffic sent before the measured --live-seconds, not judged (default ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--clocks", split = ",", defaultValue = "input", description = "Live and restart: latefuse's deadline clocks to run, for an A/B: input, processing_time (default ${DEFAULT-VALUE}).")
    List<String> clocks;

    @Option(names = "--health", split = ",", defaultValue = "off", description = "Backlog and live: the modality.health "
            + "modes latefuse's variants run under, for an A/B: off, observe, quarantine (default ${DEFAULT-VALUE}); the "
            + "other variants run once.")
    List<String> health;

    @Option(names = "--repeat", defaultValue = "3", description = "Backlog and live: run the variants (and clocks) this many times, interleaved A B C, A B C, ...; the report gives medians and ranges, and ratios taken within each repetition (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--kill-after", defaultValue = "15s", converter = DurationFlag.class, description = "Restart: SIGKILL the app this long into the traffic; after the warm-up, so that the events it held are judged (default ${DEFAULT-VALUE}).")
    Duration killAfter;

    @Option(names = "--down", defaultValue = "8s", converter = DurationFlag.class, description = "Restart: how long the app stays down (default ${DEFAULT-VALUE}).")
    Duration down;

    @Option(names = "--duration", defaultValue = "30m", converter = DurationFlag.class, description = "Soak: how long the traffic runs (default ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--actions", defaultValue = "11", description = "Soak: actions in the schedule, one every --duration / (actions + 1), in turn: kill -9 + restart, SIGTERM + restart, add an instance, remove it (default ${DEFAULT-VALUE}).")
    int actions;

    @Option(names = "--profile", description = "Backlog: record a JFR profile (--out/profile.jfr) and add the stream threads' hot path of each variant to the report.")
    boolean profile;

    @Option(names = "--memory-events", defaultValue = "1000000", description = "Memory: events held pending (default ${DEFAULT-VALUE}).")
    int memoryEvents;

    @Option(names = "--memory-heap", defaultValue = "2g", description = "Memory: the app's -Xmx (default ${DEFAULT-VALUE}).")
    String memoryHeap;

    @Option(names = "--modalities", defaultValue = "3", description = "Modalities per event (default ${DEFAULT-VALUE}).")
    int modalities;

    @Option(names = "--partitions", defaultValue = "3", description = "Partitions per topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--threads", defaultValue = "1", description = "Backlog and live: stream threads per instance of each app (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--instances", defaultValue = "1", description = "Backlog and live: instances of each app in this JVM, sharing its application id and partitions (default ${DEFAULT-VALUE}).")
    int instances;

    @Option(names = "--max-wait", defaultValue = "300ms", converter = DurationFlag.class, description = "latefuse's deadline and the DSL's join window (default ${DEFAULT-VALUE}).")
    Duration maxWait;

    @Option(names = "--grace", defaultValue = "100ms", converter = DurationFlag.class, description = "The DSL's grace period (default ${DEFAULT-VALUE}).")
    Duration grace;

    @Option(names = "--missing", defaultValue = "0.05", description = "Live: share of events with a modality never sent (default ${DEFAULT-VALUE}).")
    double missing;

    @Option(names = "--late", defaultValue = "0.02", description = "Live: share of events with a modality sent after 2 x max-wait (default ${DEFAULT-VALUE}).")
    double late;

    @Option(names = "--strategy", defaultValue = "log_odds", description = "Fusion strategy (default ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--kafka", description = "A Kafka or Streams property for every variant, key=value (repeatable), e.g. producer.linger.ms=100.")
    Map<String, String> kafkaProps = new LinkedHashMap<>();

    @Option(names = "--embedding-sizes", split = ",", defaultValue = "0", description = "Backlog and live: run the "
            + "workload with each of these embedding lengths E per score (0: scores only), interleaved within each "
            + "repetition; results are named variant E=..., and the settings give each one's bytes per event "
            + "(default ${DEFAULT-VALUE}).")
    List<Integer> embeddingSizes;

    @Option(names = "--seed", defaultValue = "1", description = "Workload seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "target/bench", description = "Results directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--apicurio-dir", description = "Unpacked Apicurio Registry; default: apicurio/ next to the jar.")
    Path apicurioDir;

    @CommandLine.Mixin
    RecoveryOptions recovery = new RecoveryOptions();

    private final PrintStream log = System.out;

    private static String embeddingTag(int e) {
        return e == 0 ? "" : " E=" + e;
    }

    @Override
    public Integer call() throws Exception {
        List<String> problems = new ArrayList<>();
        if (events <= 0) problems.add("--events = " + events + ": must be greater than 0");
        if (!(rate > 0) || Double.isInfinite(rate)) problems.add("--rate = " + rate + ": must be greater than 0");
        if (repeat < 1) problems.add("--repeat = " + repeat + ": must be at least 1");
        if (mode == Mode.RESTART && killAfter.toSeconds() <= warmupSeconds) {
            problems.add("--kill-after = " + Durations.format(killAfter) + ": must come after the " + warmupSeconds
                    + " s warm-up, or the events the app held when killed are not judged");
        }
        for (String h : health) {
            if (!List.of("off", "observe", "quarantine").contains(h)) {
                problems.add("--health: '" + h + "' is not off, observe or quarantine");
            }
        }
        for (String c : clocks) {
            if (!c.equals("input") && !c.equals("processing_time")) {
                problems.add("--clocks: '" + c + "' is not input or processing_time");
            }
        }
        if (warmupSeconds < 0) problems.add("--warmup-seconds = " + warmupSeconds + ": must be at least 0");
        if (liveSeconds <= 0) problems.add("--live-seconds = " + liveSeconds + ": must be greater than 0");
        if (modalities < 2 || modalities > 16) problems.add("--modalities = " + modalities + ": must be 2 to 16");
        if (partitions <= 0) problems.add("--partitions = " + partitions + ": must be greater than 0");
        if (threads < 1 || threads > 16) problems.add("--threads = " + threads + ": must be 1 to 16");
        if (instances < 1 || instances > 8) problems.add("--instances = " + instances + ": must be 1 to 8");
        for (int e : embeddingSizes) {
            if (e < 0 || e > 4096) problems.add("--embedding-sizes: " + e + " must be 0 to 4096");
        }
        if (!(missing >= 0 && late >= 0 && missing + late <= 1)) { // NaN too
            problems.add("--missing = " + missing + ", --late = " + late + ": each at least 0, together at most 1");
        }
        List<Variant> selected = List.of();
        try {
            selected = mode == Mode.RESTART && (variants == null || variants.isEmpty())
                    ? Variant.select(List.of("latefuse-rocksdb-eos", "dsl-rocksdb-eos"))
                    : Variant.select(variants);
        } catch (IllegalArgumentException e) {
            problems.add("--variants: " + e.getMessage());
        }
        io.latefuse.bench.RecoveryBench.Plan recoveryPlan = mode == Mode.RECOVERY
                ? recovery.plan(partitions, kafkaProps, seed, problems) : null;
        if (!problems.isEmpty()) {
            throw new InvalidConfigException("bench options", problems);
        }
        if (profile && mode != Mode.BACKLOG && mode != Mode.BOTH) {
            throw new InvalidConfigException("bench options", List.of("--profile: records the backlog mode only; --mode is " + mode.name().toLowerCase(Locale.ROOT)));
        }
        Files.createDirectories(out);
        DemoCommand.quietLogs();
        Path work = Files.createTempDirectory("latefuse-bench");
        log.println("Starting the schema registry and the broker...");
        try (ApicurioRegistryProcess registry = ApicurioRegistryProcess.start(
                apicurioDir != null ? apicurioDir : DemoCommand.defaultApicurioDir(), work.resolve("apicurio.log"));
             EmbeddedKafka kafka = DemoCommand.startQuietly();
             BenchRunner runner = new BenchRunner(new BenchRunner.Settings(kafka.bootstrapServers(), registry.url(),
                    work.resolve("state"), partitions, maxWait, Duration.ofMillis(25), grace, 2 * maxWait.toMillis(), strategy, true, kafkaProps, threads, instances), log)) {
            if (recoveryPlan != null) { // recovery mode: its own rows and report (RecoveryBench)
                io.latefuse.bench.RecoveryBench.Report report = new io.latefuse.bench.RecoveryBench(kafka.bootstrapServers(),
                        registry.url(), work, log).run(recoveryPlan, "latefuse " + String.join(" ", spec.commandLine().getParseResult().originalArgs()), out);
                report.write(out);
                log.println();
                log.println(report.markdown());
                log.println("Results written to " + out.resolve("results.json") + " and " + out.resolve("results.md"));
                return 0;
            }
            List<String> names = BenchRunner.modalityNames(modalities);
            if (mode == Mode.SOAK) {
                return new SoakBench(new SoakBench.Settings(kafka.bootstrapServers(), registry.url(), work.resolve("soak"),
                        partitions, names, rate, duration, actions, maxWait,
                        Duration.ofMinutes(2), missing, late, seed, Duration.ofSeconds(5), Duration.ofMinutes(1),
                        Duration.ofSeconds(5), "512m", strategy), log).cli("latefuse " + String.join(" ",
                        spec.commandLine().getParseResult().originalArgs()), out);
            }
            List<VariantResult> backlog = List.of();
            List<VariantResult> live = List.of();
            List<MemoryFootprint.Result> memory = new ArrayList<>();
            List<VariantResult> restart = List.of();
            List<HotPathProfile.VariantProfile> profiles = List.of();
            if (mode == Mode.RESTART) {
                int warmupEvents = (int) Math.round(rate * warmupSeconds);
                int liveEvents = warmupEvents + (int) Math.max(1, Math.round(rate * liveSeconds));
                restart = new ArrayList<>();
                for (String clock : clocks) {
                    restart.addAll(runner.restart(selected, new BenchWorkload(liveEvents, names, missing, late, seed), rate,
                            warmupEvents, killAfter, down, work, clock));
                }
            }
            if (mode == Mode.MEMORY) {
                MemoryFootprint footprint = new MemoryFootprint(kafka.bootstrapServers(), registry.url(), work, log);
                for (String store : List.of("rocksdb", "memory")) {
                    memory.add(footprint.measure(store, memoryEvents, memoryHeap));
                }
            }
            if (mode == Mode.BACKLOG || mode == Mode.BOTH) {
                Map<String, BenchWorkload> workloads = new LinkedHashMap<>();
                for (int e : embeddingSizes) {
                    workloads.put(embeddingTag(e), new BenchWorkload(events, names, 0, 0, seed, e));
                }
                if (profile) {
                    try (HotPathProfile recording = HotPathProfile.start(out.resolve("profile.jfr"))) {
                        backlog = runner.backlog(selected, workloads, repeat, health);
                        profiles = recording.summarize(selected.stream().map(Variant::name).toList(), "backlog", 12);
                    }
                } else {
                    backlog = runner.backlog(selected, workloads, repeat, health);
                }
            }
            if (mode == Mode.LIVE || mode == Mode.BOTH) {
                int warmupEvents = (int) Math.round(rate * warmupSeconds);
                int liveEvents = warmupEvents + (int) Math.max(1, Math.round(rate * liveSeconds));
                live = new ArrayList<>();
                for (int r = 1; r <= repeat; r++) {
                    for (String clock : clocks) {
                        for (int e : embeddingSizes) {
                            for (String mode : health) {
                                String tag = (clock.equals("input") ? "" : " @" + clock) + embeddingTag(e)
                                        + BenchRunner.healthTag(mode);
                                List<Variant> under = mode.equals("off") ? selected : selected.stream()
                                        .filter(v -> v.kind() == Variant.Kind.LATEFUSE).toList();
                                runner.health(mode);
                                try {
                                    live.addAll(runner.live(under, new BenchWorkload(liveEvents, names, missing, late,
                                            seed, e), rate, warmupEvents, clock, tag, r));
                                } finally {
                                    runner.health("off");
                                }
                            }
                        }
                    }
                }
            }
            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("modalities", modalities);
            settings.put("partitions", partitions);
            settings.put("backlog events", events);
            settings.put("live", String.format(Locale.ROOT, "%.0f events/s for %d s after %d s of warm-up, %.0f%% missing one modality, %.0f%% with one late by %d ms",
                    rate, liveSeconds, warmupSeconds, 100 * missing, 100 * late, 2 * maxWait.toMillis()));
            settings.put("max.wait (latefuse) = join window (DSL)", Durations.format(maxWait));
            settings.put("grace (DSL)", Durations.format(grace));
            settings.put("deadline.clock (latefuse)", "event in backlog (a replay), input in live and restart");
            if (mode == Mode.RESTART) {
                settings.put("restart", "SIGKILL after " + Durations.format(killAfter) + " of traffic, down " + Durations.format(down)
                        + ", session timeout 6 s; each app its own JVM (-Xmx512m)");
            }
            settings.put("strategy", strategy);
            if (!embeddingSizes.equals(List.of(0))) {
                Map<String, String> bytes = new LinkedHashMap<>();
                io.latefuse.registry.RegistryConfig rc = io.latefuse.registry.RegistryConfig.of(registry.url());
                try (io.latefuse.registry.SchemaRegistry sr = io.latefuse.registry.SchemaRegistry.connect(rc)) {
                    io.latefuse.registry.AvroSerializer<io.latefuse.avro.ModalityScore> values =
                            new io.latefuse.registry.AvroSerializer<>(sr, rc, false);
                    for (int e : embeddingSizes) {
                        bytes.put("E=" + e, String.format(Locale.ROOT, "%.0f",
                                new BenchWorkload(1000, names, missing, late, seed, e).wireBytesPerEvent(values,
                                        "bench-bytes", 1000)));
                    }
                }
                settings.put("embedding floats per modality (E); key and value bytes per event on the wire, live workload", bytes);
            }
            settings.put("stream threads per instance", threads);
            settings.put("instances", instances);
            settings.put("repetitions", mode == Mode.RESTART || mode == Mode.MEMORY ? 1 : repeat);
            if (!kafkaProps.isEmpty()) {
                settings.put("kafka", kafkaProps);
            }
            BenchReport report = new BenchReport("latefuse " + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                    BenchReport.describeMachine(), settings, backlog, live, restart, memory, profiles);
            report.write(out);
            log.println();
            log.println(report.markdown());
            log.println("Results written to " + out.resolve("results.json") + " and " + out.resolve("results.md"));
            log.println("Shutting down...");
        }
        return 0;
    }
}
