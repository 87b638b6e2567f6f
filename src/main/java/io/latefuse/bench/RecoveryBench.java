package io.latefuse.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
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
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code bench --mode recovery}: how fast latefuse serves again after an instance is killed with SIGKILL while it
 * holds N pending events, under several settings (membership, guarantee, standbys, transactional state stores).
 * <p>
 * Each row is a fresh app ({@code latefuse run} as child JVMs, fresh application id and topics) on the bench's broker
 * and registry. It gets the first of two modalities of N events, all with the same Kafka timestamp T, so that every
 * deadline is T + {@code max.wait}; {@code max.wait} is chosen so that the deadlines fall {@code deadlinesAfterKill}
 * after the kill. From shortly before the kill, fresh complete events (both modalities) are sent continuously, keyed
 * over every partition. Then:
 * <ul>
 *   <li>{@code restart}: the instance is killed and started again at once, with the same instance id and state
 *   directory; times are counted from that restart (the new process's start);</li>
 *   <li>{@code failover}: two instances run from the start; one is killed for good and the survivor takes over; times
 *   are counted from the kill.</li>
 * </ul>
 * Measured: the recovering instance's RUNNING (its log line's time), the first answer of a fresh event on each
 * partition the killed instance held (the worst partition: output append time, the topic is LogAppendTime), the
 * last of the N DEGRADED answers (read_committed), the records the recovering instance restored (its
 * {@code latefuse_restored_records_total}) and the bytes its restore consumer fetched meanwhile (Kafka's
 * {@code bytes-consumed-total} of the {@code restore-consumer}, on its /metrics), and, for scale, the changelog topics'
 * size on the broker at the kill (Admin.describeLogDirs). Every pending event must be answered exactly once as a
 * revision-0 DEGRADED prediction, and every fresh event exactly once as a revision-0 COMPLETE one.
 */
public final class RecoveryBench {

    public enum Scenario {
        RESTART, FAILOVER;

        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Scenario parse(String s) {
            for (Scenario v : values()) {
                if (v.code().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return v;
                }
            }
            throw new IllegalArgumentException("'" + s + "' is not restart or failover");
        }
    }

    /**
     * A setting: {@code dynamic} or {@code static} membership (an {@code instance.id} per instance), then any of
     * {@code +alos} (at_least_once; default exactly_once_v2), {@code +standby} ({@code standby.replicas: 1}),
     * {@code +txstores} ({@code kafka: {enable.transactional.statestores: true}}), {@code +memory} (in-memory stores;
     * default RocksDB), {@code +threads<N>} ({@code stream.threads: N}; default 1).
     */
    public record Setting(String name, boolean staticMembership, String guarantee, int standbys, String store,
                          int threads, Map<String, String> kafka) {
        public static final String TRANSACTIONAL_STATE_STORES = "enable.transactional.statestores";

        public static Setting parse(String name) {
            String[] parts = name.trim().split("\\+");
            boolean isStatic = switch (parts[0]) {
                case "dynamic" -> false;
                case "static" -> true;
                default -> throw new IllegalArgumentException("setting '" + name + "': starts with dynamic or static");
            };
            String guarantee = StreamsConfig.EXACTLY_ONCE_V2;
            int standbys = 0;
            int threads = 1;
            String store = "rocksdb";
            Map<String, String> kafka = new LinkedHashMap<>();
            for (int i = 1; i < parts.length; i++) {
                switch (parts[i]) {
                    case "alos" -> guarantee = StreamsConfig.AT_LEAST_ONCE;
                    case "eos" -> guarantee = StreamsConfig.EXACTLY_ONCE_V2;
                    case "standby" -> standbys = 1;
                    case "memory" -> store = "memory";
                    case "txstores" -> kafka.put(TRANSACTIONAL_STATE_STORES, "true");
                    default -> {
                        if (parts[i].matches("threads[1-9][0-9]?")) {
                            threads = Integer.parseInt(parts[i].substring("threads".length()));
                        } else {
                            throw new IllegalArgumentException("setting '" + name + "': unknown '+" + parts[i]
                                    + "' (known: +alos, +eos, +standby, +memory, +txstores, +threads<N>)");
                        }
                    }
                }
            }
            // Transactional stores are latefuse's default under exactly-once; a row without +txstores runs without
            // them, so that each row says what it measures.
            kafka.putIfAbsent(TRANSACTIONAL_STATE_STORES, "false");
            return new Setting(name.trim(), isStatic, guarantee, standbys, store, threads, Map.copyOf(kafka));
        }

        /** Two instances for failover, and wherever a standby needs somewhere to live. */
        public int instances(Scenario scenario) {
            return scenario == Scenario.FAILOVER || standbys > 0 ? 2 : 1;
        }
    }

    /**
     * @param dueAtKill          how many of the pending events have their deadline {@code deadlinesAfterKill} after
     *                           the kill (null: all of them); the others' deadlines are an hour away, and they must
     *                           still be pending, unanswered, at the end
     * @param fillMargin         from the start of the due events' fill to the kill; null: 8 s + 60 µs per due event
     *                           (a row whose fill would outrun it is run again once, with room for the fill seen)
     * @param deadlinesAfterKill how long after the kill the due events' deadlines fall
     * @param freshRate          fresh complete events per second, from {@link #FRESH_LEAD} before the kill on
     * @param heap               each app's -Xmx
     * @param kafka              Kafka properties for every setting (after the setting's own)
     */
    public record Plan(List<Integer> pending, Integer dueAtKill, List<Setting> settings, List<Scenario> scenarios,
                       int partitions, Duration fillMargin, Duration deadlinesAfterKill, double freshRate, String heap,
                       Map<String, String> kafka, long seed) {
        public Plan {
            pending = List.copyOf(pending);
            settings = List.copyOf(settings);
            scenarios = List.copyOf(scenarios);
            kafka = Map.copyOf(kafka);
        }

        int dueFor(int n) {
            return dueAtKill == null ? n : Math.min(n, dueAtKill);
        }

        Duration marginFor(int due) {
            return fillMargin != null ? fillMargin : Duration.ofMillis(8_000 + due * 60L / 1_000);
        }
    }

    /**
     * One setting and scenario at one pending count. Times are milliseconds from {@code clock} (the restart, or the
     * kill), -1 when not reached.
     *
     * @param runningMs            the recovering instance's "-> RUNNING" log line
     * @param freshFirstAnswerMs   the first answer (append time) of a fresh event after the kill, on the worst of the
     *                             partitions the killed instance held; per partition in {@code freshFirstByPartition}
     * @param due                  the pending events whose deadlines fell after the kill (the others: {@code pending}
     *                             - {@code due}, an hour away)
     * @param deadlinesFirstMs     the first of the due events' DEGRADED answers after the kill
     * @param deadlinesServedMs    the last of them
     * @param restoredRecords      the recovering instance's {@code latefuse_restored_records_total} (failover: its
     *                             growth from just before the kill)
     * @param restoredBytes        the changelog ranges its restores covered (its log's "Restore of store ... started:
     *                             offsets A to B" lines), at each changelog partition's bytes per offset on the broker
     *                             (Admin.describeLogDirs and the partition's offsets, at the end of the row)
     * @param restoredBytesFetched its restore consumer's {@code bytes-consumed-total} as its /metrics shows it at the
     *                             end (failover: the growth from just before the kill); -1 if not shown. Micrometer
     *                             binds Kafka's per-topic series on a one-minute refresh, so a short row may miss it
     * @param changelogBytes       the app's changelog topics on the broker at the kill
     * @param unconfirmed          DEGRADED answers the recovering instance gave after {@code max.holdback} without its
     *                             input confirmed read past the deadline ({@code latefuse_deadlines_unconfirmed_total}):
     *                             a partition it was not reading meanwhile
     * @param pendingBeforeKill    due events answered before the kill: their deadlines fired early (should be 0)
     * @param farAnswered          events with a deadline an hour away that were answered (should be 0)
     * @param farPendingAtEnd      the instances' pending-events gauge at the end: the far events (-1: not read)
     * @param timeline             log events of the recovering instance, ms from {@code clock}
     */
    public record Row(int pending, int due, String setting, String scenario, int instances, String clock,
                      long maxWaitMs, long fillMarginMs, double fillSeconds, long killToRestartMs, long runningMs, long freshFirstAnswerMs,
                      Map<Integer, Long> freshFirstByPartition, long deadlinesFirstMs, long deadlinesServedMs,
                      long restoredRecords, long restoredBytes, long restoredBytesFetched, long changelogBytes,
                      long unconfirmed,
                      List<Integer> partitionsTaken,
                      int pendingAnswered, int pendingCorrect, int pendingDuplicated, int pendingBeforeKill,
                      int farAnswered, long farPendingAtEnd, int freshSent, int freshAnswered, int freshCorrect, int freshDegraded, int freshDuplicated,
                      long revisions, Map<String, Long> deadLetters, Map<String, Long> timeline, String loadBefore,
                      String loadAfter, String error) {

        /**
         * Every pending and every fresh event answered as expected (DEGRADED and COMPLETE), once under exactly-once
         * and at least once under at-least-once, and nothing failed.
         */
        public boolean allCorrect() {
            return error == null && pendingCorrect == due && freshCorrect == freshSent && pendingBeforeKill == 0
                    && farAnswered == 0 && farPendingAtEnd == pending - due;
        }
    }

    public record Report(String command, Map<String, Object> machine, Map<String, Object> settings, List<Row> rows) {
        public void write(Path dir) throws IOException {
            Files.createDirectories(dir);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("results.json").toFile(), this);
            Files.writeString(dir.resolve("results.md"), markdown());
        }

        public String markdown() {
            StringBuilder md = new StringBuilder();
            md.append("Command: `").append(command).append("`\n\n");
            md.append("Machine: ").append(joined(machine)).append("\n\n");
            md.append("Settings: ").append(joined(settings)).append("\n\n");
            Map<Integer, List<Row>> byPending = rows.stream().collect(Collectors.groupingBy(Row::pending, TreeMap::new,
                    Collectors.toList()));
            byPending.forEach((n, rs) -> {
                int due = rs.get(0).due();
                md.append(String.format(Locale.ROOT, "### Recovery with %,d pending events, %s due at the kill%n%n", n,
                        due == n ? "all" : String.format(Locale.ROOT, "%,d", due)));
                md.append("Seconds from the restart (restart: the new process's start, right after the kill) or from "
                        + "the kill (failover). Fresh: the first answer of a fresh event on the worst partition the "
                        + "killed instance held. Deadlines: the first and last DEGRADED answers of the due events "
                        + "(their deadlines fell shortly after the kill: see Settings). Far: the other pending events, deadlines an hour "
                        + "away: unanswered, and still pending at the end. Restored MiB: the changelog ranges the recovering instance's restores covered (its log), at each partition's bytes per offset on the broker (Admin.describeLogDirs). "
                        + "Unconfirmed: DEGRADED answers given after max.holdback (30 s) without the input confirmed "
                        + "read past the deadline, because the instance was not reading that partition meanwhile. Answered once: "
                        + "at least once under at-least-once (alos), whose repeated answers after the kill are counted as dup.\n\n");
                md.append("| setting | scenario | RUNNING | fresh answer, worst partition | deadlines: first / all served "
                        + "| restored records | restored MiB | changelogs MiB | due answered once, DEGRADED | far still "
                        + "pending | fresh answered once, COMPLETE | load before / after |\n");
                md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
                for (Row r : rs) {
                    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s / %s | %,d | %s | %.0f | %s | %s | %s | %s / %s |%n",
                            r.setting(), r.scenario() + (r.instances() > 1 ? " (2 inst.)" : ""), sec(r.runningMs()),
                            sec(r.freshFirstAnswerMs()), sec(r.deadlinesFirstMs()), sec(r.deadlinesServedMs()),
                            r.restoredRecords(), r.restoredBytes() < 0 ? "–" : String.format(Locale.ROOT, "%.1f",
                                    r.restoredBytes() / 1048576.0), r.changelogBytes() / 1048576.0,
                            correct(r.pendingCorrect(), r.due(), r.pendingDuplicated(), r.pendingBeforeKill())
                                    + (r.unconfirmed() > 0 ? String.format(Locale.ROOT, " (%,d unconfirmed)", r.unconfirmed()) : ""),
                            r.due() == r.pending() ? "–" : String.format(Locale.ROOT, "%,d / %,d%s", r.farPendingAtEnd(),
                                    r.pending() - r.due(), r.farAnswered() > 0 ? ", " + r.farAnswered() + " answered" : ""),
                            correct(r.freshCorrect(), r.freshSent(), r.freshDuplicated(), 0)
                                    + (r.freshDegraded() > 0 ? ", " + r.freshDegraded() + " DEGRADED" : ""),
                            r.loadBefore(), r.loadAfter()));
                }
                md.append('\n');
                md.append("Timeline of the recovering instance (s, same clock; from its log): ");
                md.append("JVM = its first log line; joined / synced = its consumer's JoinGroup / SyncGroup; restore = "
                        + "the first store restore started, the last ended; index = the last task's deadline index "
                        + "rebuilt (and the sum of all tasks' rebuild times).\n\n");
                md.append("| setting | scenario | JVM | joined | synced | restore start | restore end | index (sum) "
                        + "| RUNNING | fresh | deadlines |\n");
                md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
                for (Row r : rs) {
                    Map<String, Long> t = r.timeline();
                    md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s | %s | %s |%n",
                            r.setting(), r.scenario(), sec(t.getOrDefault("jvm", -1L)),
                            sec(t.getOrDefault("joined", -1L)), sec(t.getOrDefault("synced", -1L)),
                            sec(t.getOrDefault("restore start", -1L)), sec(t.getOrDefault("restore end", -1L)),
                            sec(t.getOrDefault("index rebuilt", -1L)), sec(t.getOrDefault("index rebuild ms", -1L)),
                            sec(r.runningMs()), sec(r.freshFirstAnswerMs()), sec(r.deadlinesServedMs())));
                }
                md.append('\n');
                for (Row r : rs) {
                    if (r.error() != null) {
                        md.append("- ").append(r.setting()).append(' ').append(r.scenario()).append(": ")
                                .append(r.error()).append('\n');
                    }
                }
                md.append('\n');
            });
            return md.toString();
        }

        private static String correct(int ok, int of, int duplicated, int early) {
            String s = String.format(Locale.ROOT, "%,d / %,d", ok, of);
            if (duplicated > 0) {
                s += ", " + duplicated + " dup.";
            }
            if (early > 0) {
                s += ", " + early + " before the kill";
            }
            return s;
        }

        private static String sec(long ms) {
            return ms < 0 ? "–" : String.format(Locale.ROOT, "%.1f", ms / 1000.0);
        }

        private static String joined(Map<String, Object> m) {
            return m.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("; "));
        }
    }

    /** Fresh traffic starts this long before the kill. */
    static final Duration FRESH_LEAD = Duration.ofSeconds(2);
    private static final List<String> MODALITIES = List.of("acoustic", "lexical");
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern LOG_TIME = Pattern.compile("^(\\d{2}):(\\d{2}):(\\d{2})\\.(\\d{3}) ");
    private static final Pattern INDEX_MS = Pattern.compile("rebuilt the deadline index of \\d+ pending event\\(s\\) in (\\d+) ms");

    private final String bootstrapServers;
    private final String registryUrl;
    private final Path work;
    private final PrintStream log;
    private final String runId = UUID.randomUUID().toString().substring(0, 6);

    public RecoveryBench(String bootstrapServers, String registryUrl, Path work, PrintStream log) {
        this.bootstrapServers = bootstrapServers;
        this.registryUrl = registryUrl;
        this.work = work;
        this.log = log;
    }

    /** Every pending count, setting and scenario, in that order; a row that fails is reported with its error. */
    public Report run(Plan plan, String command) throws Exception {
        return run(plan, command, null);
    }

    /** As {@link #run(Plan, String)}, writing the report so far to {@code out} (if not null) after every row. */
    public Report run(Plan plan, String command, Path out) throws Exception {
        Files.createDirectories(work);
        Path logback = work.resolve("recovery-logback.xml");
        Files.writeString(logback, LOGBACK);
        Map<String, Object> machine = new LinkedHashMap<>(BenchReport.describeMachine());
        machine.put("load average at start", loadAverage());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("pending", plan.pending());
        settings.put("partitions", plan.partitions());
        settings.put("modalities", "2 (pending events: the first only)");
        settings.put("max.wait", Durations.format(FAR_WAIT));
        settings.put("due at the kill", (plan.dueAtKill() == null ? "every pending event" : String.format(Locale.ROOT,
                "%,d of the pending events (the others' deadlines are an hour away)", plan.dueAtKill()))
                + ": Kafka timestamps set so that their deadlines fall " + Durations.format(plan.deadlinesAfterKill())
                + " after the kill, which comes " + (plan.fillMargin() == null ? "8 s + 60 µs per due event"
                : Durations.format(plan.fillMargin())) + " after their fill starts (more where a fill outran it: "
                + "fillMarginMs per row)");
        settings.put("fresh events", String.format(Locale.ROOT, "%.0f/s, both modalities, from %s before the kill",
                plan.freshRate(), Durations.format(FRESH_LEAD)));
        settings.put("app", "latefuse run, own JVM, -Xmx" + plan.heap() + ", deadline.clock input, 1 stream thread (+threadsN: N)");
        settings.put("session timeout", "Kafka's default (45 s) for dynamic members, latefuse's "
                + StreamsProperties.STATIC_MEMBER_SESSION_TIMEOUT_MS / 1000 + " s for static ones");
        if (!plan.kafka().isEmpty()) {
            settings.put("kafka", plan.kafka());
        }
        List<Row> rows = new ArrayList<>();
        for (int n : plan.pending()) {
            for (Setting s : plan.settings()) {
                for (Scenario sc : plan.scenarios()) {
                    Row r;
                    try {
                        r = row(plan, n, s, sc, logback, plan.marginFor(plan.dueFor(n)));
                    } catch (FillTooSlow slow) {
                        Duration roomier = Duration.ofSeconds((slow.fillMs * 3 / 2 + FRESH_LEAD.toMillis() + 5_000)
                                / 1_000);
                        log.printf(Locale.ROOT, "recovery %,d %s %s: the fill would outrun its margin %s (it would take "
                                + "about %.0f s); again with %s%n", n, s.name(), sc.code(),
                                Durations.format(slow.maxWait), slow.fillMs / 1000.0, Durations.format(roomier));
                        r = row(plan, n, s, sc, logback, roomier);
                    }
                    rows.add(r);
                    if (out != null) { // so far: a long run stopped midway keeps what it measured
                        new Report(command, machine, settings, rows).write(out);
                    }
                    log.printf(Locale.ROOT, "recovery %,d %s %s: RUNNING %s s, fresh %s s, deadlines %s s, restored %,d "
                                    + "records; pending %,d/%,d, fresh %,d/%,d correct%s%n", n, s.name(), sc.code(),
                            Report.sec(r.runningMs()), Report.sec(r.freshFirstAnswerMs()),
                            Report.sec(r.deadlinesServedMs()), r.restoredRecords(), r.pendingCorrect(), r.pending(),
                            r.freshCorrect(), r.freshSent(), r.error() == null ? "" : "; " + r.error());
                }
            }
        }
        machine.put("load average at end", loadAverage());
        return new Report(command, machine, settings, rows);
    }

    /** One app instance: its config, state directory, metrics port and (current) process. */
    private static final class Instance {
        final String name;
        final Path config;
        final Path stateDir;
        final int port;
        Process process;
        Path log;
        int starts;

        Instance(String name, Path config, Path stateDir, int port) {
            this.name = name;
            this.config = config;
            this.stateDir = stateDir;
            this.port = port;
        }
    }

    /** The fill would not be done before the fresh traffic is due: the row needs a longer max.wait. */
    static final class FillTooSlow extends Exception {
        final long fillMs;
        final Duration maxWait;

        FillTooSlow(long fillMs, Duration maxWait) {
            super(String.format(Locale.ROOT, "the fill would take about %.0f s, past its margin %s", fillMs / 1000.0,
                    Durations.format(maxWait)));
            this.fillMs = fillMs;
            this.maxWait = maxWait;
        }
    }

    /** The app's max.wait: the far events' deadlines are this far away; the due ones get older timestamps. */
    static final Duration FAR_WAIT = Duration.ofHours(1);

    Row row(Plan plan, int n, Setting s, Scenario sc, Path logback, Duration margin) throws Exception {
        Duration maxWait = FAR_WAIT;
        int due = plan.dueFor(n);
        String loadBefore = loadAverage();
        String slug = s.name().replaceAll("[^A-Za-z0-9]", "-");
        String base = "rec-" + runId + "-" + n + "-" + slug + "-" + sc.code();
        String acoustic = base + ".scores.acoustic";
        String lexical = base + ".scores.lexical";
        String output = base + ".fused";
        String dlq = base + ".dlq";
        createTopics(plan.partitions(), List.of(acoustic, lexical, dlq), List.of(output));
        int instances = s.instances(sc);
        List<Instance> apps = new ArrayList<>();
        for (int i = 0; i < instances; i++) {
            String name = "inst-" + (char) ('a' + i);
            Path stateDir = work.resolve(base + "-" + name + "-state");
            Map<String, String> kafka = new LinkedHashMap<>(s.kafka());
            kafka.putAll(plan.kafka());
            kafka.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            kafka.put(StreamsConfig.CLIENT_ID_CONFIG, name); // its consumer's client id names it in the group
            PipelineConfigBuilder b = PipelineConfig.builder()
                    .applicationId(base)
                    .bootstrapServers(bootstrapServers)
                    .schemaRegistryUrl(registryUrl)
                    .classes(List.of("directed", "undirected"))
                    .strategy("log_odds")
                    .modality(MODALITIES.get(0), acoustic)
                    .modality(MODALITIES.get(1), lexical)
                    .outputTopic(output)
                    .deadLetterTopic(dlq)
                    .maxWait(maxWait)
                    .processingGuarantee(s.guarantee())
                    .set("store.type", s.store())
                    .set("standby.replicas", String.valueOf(s.standbys()))
                    .streamThreads(s.threads())
                    .kafka(kafka);
            if (s.staticMembership()) {
                b.set("instance.id", name);
            }
            Path config = work.resolve(base + "-" + name + ".yaml");
            Files.writeString(config, b.toYaml());
            apps.add(new Instance(name, config, stateDir, io.latefuse.embedded.ApicurioRegistryProcess.freePort()));
        }
        int total = n + (int) Math.ceil(plan.freshRate() * 1_800);
        BenchWorkload w = new BenchWorkload(total, MODALITIES, 0, 0, plan.seed());
        Tally tally;
        try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.of(registryUrl))) {
            tally = new Tally(bootstrapServers, output, n, due, total, plan.partitions(),
                    AvroDeserializer.specific(FusedPrediction.class, registry));
        }
        Thread reader = new Thread(tally, "recovery-tally");
        reader.setDaemon(true);
        Fresh fresh = new Fresh(w, n, plan.freshRate(), List.of(acoustic, lexical));
        Thread freshThread = new Thread(fresh, "recovery-fresh");
        freshThread.setDaemon(true);
        String clock = sc == Scenario.RESTART ? "restart" : "kill";
        double fillSeconds = -1;
        long killToRestart = -1;
        long origin = -1;
        long killAt = -1;
        long changelogBytes = -1;
        long restoredBefore = 0;
        long restoreBytesBefore = 0;
        long restoredRecords = -1;
        long restoredBytes = -1;
        long restoredBytesFetched = -1;
        long unconfirmedBefore = 0;
        long farPendingAtEnd = -1;
        long unconfirmed = -1;
        List<Integer> taken = List.of();
        Instance victim = apps.get(0);
        Instance recovering = sc == Scenario.RESTART ? victim : apps.get(1);
        long recoveringLogFrom = 0;
        String error = null;
        FillTooSlow slow = null;
        // Should the bench itself be stopped, its apps go with it rather than outlive it.
        Thread reaper = new Thread(() -> apps.forEach(a -> {
            if (a.process != null) {
                a.process.destroyForcibly();
            }
        }), "recovery-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        try {
            for (Instance a : apps) {
                start(a, plan.heap(), logback);
            }
            for (Instance a : apps) {
                ChildJvm.awaitRunning(a.process, a.log, base + " " + a.name);
            }
            taken = awaitAssignment(base, acoustic, apps, plan.partitions(), victim.name);
            reader.start();
            long ts = System.currentTimeMillis();
            log.printf(Locale.ROOT, "recovery %,d %s %s: %d instance(s) RUNNING; %s holds partitions %s; sending %,d "
                    + "events' first modality, %,d of them due at the kill%n", n, s.name(), sc.code(), instances,
                    victim.name, taken, n, due);
            if (due < n) {
                // The far events (due to n-1): deadlines an hour from now.
                produceFirstModality(w, due, n, acoustic, ts);
                awaitPending(apps, n - due, System.currentTimeMillis() + TimeUnit.MINUTES.toMillis(30));
            }
            // The due events (0 to due-1): Kafka timestamps an hour, less the margin, in the past, so that their
            // deadlines fall deadlinesAfterKill after the kill.
            long dueStart = System.currentTimeMillis();
            long plannedKill = dueStart + margin.toMillis();
            produceFirstModality(w, 0, due, acoustic, plannedKill + plan.deadlinesAfterKill().toMillis() - maxWait.toMillis());
            double held;
            java.util.ArrayDeque<double[]> samples = new java.util.ArrayDeque<>(); // (time, pending), the last 5 s
            while ((held = pendingSum(apps)) < n) {
                for (Instance a : apps) {
                    if (!a.process.isAlive()) {
                        throw new IllegalStateException(a.name + " exited; see " + a.log);
                    }
                }
                long now = System.currentTimeMillis();
                samples.addLast(new double[] {now, held});
                while (now - samples.peekFirst()[0] > 5_000) {
                    samples.removeFirst();
                }
                if (now > plannedKill - FRESH_LEAD.toMillis()) {
                    // Out of time: how long the due events' fill would take, at the rate of the last seconds.
                    double[] first = samples.peekFirst();
                    double rate = (held - first[1]) / Math.max(1, now - first[0]);
                    long fillMs = now - dueStart + (long) (rate > 0 ? (n - held) / rate : now - dueStart);
                    throw new FillTooSlow(fillMs, margin);
                }
                Thread.sleep(200);
            }
            fillSeconds = (System.currentTimeMillis() - ts) / 1000.0;
            sleepUntil(plannedKill - FRESH_LEAD.toMillis());
            changelogBytes = changelogBytes(base);
            if (sc == Scenario.FAILOVER) {
                restoredBefore = (long) metricSum(recovering.port, "latefuse_restored_records_total", null);
                restoreBytesBefore = (long) Math.max(0, restoreConsumerBytes(recovering.port));
                unconfirmedBefore = (long) Math.max(0, metricSum(recovering.port, UNCONFIRMED, null));
                recoveringLogFrom = Files.size(recovering.log);
            }
            freshThread.start();
            sleepUntil(plannedKill);
            killAt = System.currentTimeMillis();
            victim.process.destroyForcibly(); // SIGKILL: no commit, no leave-group, no checkpoint
            victim.process.waitFor(30, TimeUnit.SECONDS);
            if (sc == Scenario.RESTART) {
                origin = System.currentTimeMillis();
                killToRestart = origin - killAt;
                start(victim, plan.heap(), logback);
            } else {
                origin = killAt;
            }
            log.printf(Locale.ROOT, "recovery %,d %s %s: filled in %.1f s; killed %s at +%.1f s%n", n, s.name(),
                    sc.code(), fillSeconds, victim.name, (killAt - ts) / 1000.0);
            awaitRecovery(tally, recovering, recoveringLogFrom, taken, killAt, due);
            fresh.stop();
            freshThread.join(10_000);
            awaitFreshAnswered(tally, fresh.sent.get(), n);
            Thread.sleep(3_000); // a duplicate would come now
            Files.writeString(work.resolve(base + "-" + recovering.name + "-metrics.txt"), scrape(recovering.port));
            restoredRecords = (long) metricSum(recovering.port, "latefuse_restored_records_total", null) - restoredBefore;
            double bytes = restoreConsumerBytes(recovering.port);
            restoredBytesFetched = bytes < 0 ? -1 : (long) bytes - restoreBytesBefore;
            restoredBytes = restoredBytesEstimate(recovering.log, sc == Scenario.RESTART ? 0 : recoveringLogFrom);
            unconfirmed = (long) Math.max(0, metricSum(recovering.port, UNCONFIRMED, null)) - unconfirmedBefore;
            farPendingAtEnd = 0;
            for (Instance a : apps) {
                if (a.process.isAlive()) {
                    farPendingAtEnd += (long) Math.max(0, metricSum(a.port, "latefuse_pending_events", null));
                }
            }
        } catch (FillTooSlow e) {
            slow = e;
            error = e.getMessage();
        } catch (Exception | AssertionError e) {
            error = e.getClass().getSimpleName() + ": " + e.getMessage();
            log.println("recovery " + base + ": " + error);
        } finally {
            fresh.stop();
            for (Instance a : apps) {
                stop(a);
            }
            tally.stop();
            reader.join(10_000);
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs
            }
        }
        if (slow != null) {
            cleanUp(base, apps, List.of(acoustic, lexical, output, dlq));
            throw slow;
        }
        // Judge.
        int pendingAnswered = 0, pendingCorrect = 0, pendingDuplicated = 0, pendingBeforeKill = 0;
        long deadlinesFirst = Long.MAX_VALUE, deadlinesLast = -1;
        int farAnswered = 0;
        for (int e = due; e < n; e++) {
            farAnswered += tally.answers[e] > 0 ? 1 : 0;
        }
        for (int e = 0; e < due; e++) {
            int c = tally.answers[e];
            pendingAnswered += c > 0 ? 1 : 0;
            pendingDuplicated += c > 1 ? 1 : 0;
            pendingCorrect += answeredAsPromised(c, s) && tally.ok[e] ? 1 : 0;
            if (c > 0) {
                if (killAt > 0 && tally.append[e] < killAt) {
                    pendingBeforeKill++;
                } else {
                    deadlinesFirst = Math.min(deadlinesFirst, tally.append[e]);
                }
                deadlinesLast = Math.max(deadlinesLast, tally.append[e]);
            }
        }
        int sent = fresh.sent.get();
        int freshAnswered = 0, freshCorrect = 0, freshDegraded = 0, freshDuplicated = 0;
        Map<Integer, Long> firstByPartition = new TreeMap<>();
        for (int p : taken) {
            firstByPartition.put(p, -1L);
        }
        for (int e = n; e < n + sent; e++) {
            int c = tally.answers[e];
            freshAnswered += c > 0 ? 1 : 0;
            freshDuplicated += c > 1 ? 1 : 0;
            freshCorrect += answeredAsPromised(c, s) && tally.ok[e] ? 1 : 0;
            freshDegraded += c > 0 && !tally.ok[e] ? 1 : 0;
            if (c > 0 && killAt > 0 && tally.append[e] >= killAt && firstByPartition.containsKey((int) tally.partition[e])) {
                long t = tally.append[e] - origin;
                firstByPartition.merge((int) tally.partition[e], t, (a, b) -> a < 0 ? b : Math.min(a, b));
            }
        }
        long worst = firstByPartition.isEmpty() || firstByPartition.containsValue(-1L) ? -1
                : firstByPartition.values().stream().mapToLong(Long::longValue).max().orElse(-1);
        Map<String, Long> timeline = origin < 0 || recovering.log == null ? Map.of()
                : timeline(recovering.log, sc == Scenario.RESTART ? 0 : recoveringLogFrom, origin);
        long running = timeline.getOrDefault("RUNNING", -1L);
        Map<String, Long> deadLetters = Map.of();
        try {
            deadLetters = DeadLetterTally.count(bootstrapServers, dlq);
        } catch (RuntimeException e) {
            error = error == null ? "counting dead letters: " + e : error;
        }
        Row row = new Row(n, due, s.name(), sc.code(), instances, clock, maxWait.toMillis(), margin.toMillis(),
                fillSeconds, killToRestart,
                running, worst, firstByPartition, deadlinesFirst == Long.MAX_VALUE ? -1 : deadlinesFirst - origin,
                deadlinesLast < 0 || origin < 0 ? -1 : deadlinesLast - origin, restoredRecords, restoredBytes, restoredBytesFetched,
                changelogBytes, unconfirmed, taken, pendingAnswered, pendingCorrect, pendingDuplicated, pendingBeforeKill,
                farAnswered, farPendingAtEnd, sent,
                freshAnswered, freshCorrect, freshDegraded, freshDuplicated, tally.revisions.get(), deadLetters,
                timeline, loadBefore, loadAverage(), error);
        cleanUp(base, apps, List.of(acoustic, lexical, output, dlq));
        return row;
    }

    /**
     * Exactly-once answers each event once. At-least-once may answer an event again after a crash (the killed
     * instance's output is out, its input offsets not yet committed): a duplicate is counted, not held against it.
     */
    static boolean answeredAsPromised(int answers, Setting s) {
        return StreamsConfig.AT_LEAST_ONCE.equals(s.guarantee()) ? answers >= 1 : answers == 1;
    }

    private void start(Instance a, String heap, Path logback) throws IOException {
        a.starts++;
        a.log = work.resolve(a.config.getFileName().toString().replace(".yaml", "-" + a.starts + ".log"));
        a.process = ChildJvm.start(List.of("-Dlogback.configurationFile=" + logback), heap, a.log, "run", "--config",
                a.config.toString(), "--metrics-port", String.valueOf(a.port));
    }

    private static void stop(Instance a) {
        if (a.process == null || !a.process.isAlive()) {
            return;
        }
        a.process.destroy(); // SIGTERM: a clean close
        try {
            if (!a.process.waitFor(60, TimeUnit.SECONDS)) {
                a.process.destroyForcibly();
                a.process.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            a.process.destroyForcibly();
        }
    }

    /**
     * Waits until every input partition is assigned to a RUNNING instance, and the assignment held for 5 s (a second instance brings follow-up rebalances); returns
     * the partitions {@code victim} holds.
     */
    private List<Integer> awaitAssignment(String groupId, String topic, List<Instance> apps, int partitions,
                                          String victim) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Map<String, List<Integer>> last = null;
        long stableSince = 0;
        try (Admin admin = admin()) {
            while (System.nanoTime() < deadline) {
                Map<String, List<Integer>> now = assignment(admin, groupId, topic);
                boolean complete = now.values().stream().mapToInt(List::size).sum() == partitions
                        && now.size() == apps.size();
                boolean healthy = true;
                for (Instance a : apps) {
                    healthy &= health(a.port);
                }
                if (complete && healthy && now.equals(last)) {
                    if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(5)) {
                        return now.getOrDefault(victim, List.of());
                    }
                } else {
                    stableSince = System.nanoTime();
                }
                last = now;
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException("the group's assignment did not settle: " + last);
    }

    /** Instance name (its client id's prefix) to the partitions of {@code topic} its consumer holds. */
    private static Map<String, List<Integer>> assignment(Admin admin, String groupId, String topic) throws Exception {
        ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(groupId)).all().get(30, TimeUnit.SECONDS)
                .get(groupId);
        Map<String, List<Integer>> out = new TreeMap<>();
        for (MemberDescription m : d.members()) {
            String name = m.clientId().replaceFirst("-StreamThread-.*$", "");
            List<Integer> ps = m.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(topic))
                    .map(TopicPartition::partition).sorted().toList();
            out.merge(name, ps, (x, y) -> Stream.concat(x.stream(), y.stream()).sorted().toList());
        }
        return out;
    }

    /**
     * Waits until the recovering instance logs RUNNING, every pending event is answered and each partition the
     * killed instance held has answered a fresh event since the kill; at most 20 minutes.
     */
    private void awaitRecovery(Tally tally, Instance recovering, long logFrom, List<Integer> taken, long killAt, int n)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
        boolean running = false;
        while (System.nanoTime() < deadline) {
            tally.rethrow();
            if (!recovering.process.isAlive()) {
                throw new IllegalStateException(recovering.name + " exited; see " + recovering.log);
            }
            if (!running) {
                running = runningAfter(recovering.log, logFrom);
            }
            boolean partitionsServe = taken.stream().allMatch(p -> tally.lastFreshAppend.get(p) >= killAt);
            if (running && partitionsServe && tally.pendingAnswered.get() >= n) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("not recovered after 20 minutes: RUNNING " + running + ", pending answered "
                + tally.pendingAnswered.get() + " of " + n);
    }

    /** Whether the log, from byte {@code from}, has the app entering RUNNING (after a rebalance, for a survivor). */
    private static boolean runningAfter(Path log, long from) throws IOException {
        String text = readFrom(log, from);
        if (from == 0) {
            return text.contains("-> RUNNING");
        }
        int rebalancing = text.indexOf("-> REBALANCING");
        return rebalancing >= 0 && text.indexOf("-> RUNNING", rebalancing) >= 0;
    }

    private static String readFrom(Path log, long from) throws IOException {
        byte[] all = Files.readAllBytes(log);
        int start = (int) Math.min(all.length, from);
        return new String(all, start, all.length - start, java.nio.charset.StandardCharsets.UTF_8);
    }

    private void awaitFreshAnswered(Tally tally, int sent, int n) throws InterruptedException {
        long lastProgress = System.nanoTime();
        int seen = -1;
        while (System.nanoTime() - lastProgress < TimeUnit.SECONDS.toNanos(20)) {
            int now = tally.freshAnswered.get();
            if (now >= sent) {
                return;
            }
            if (now != seen) {
                seen = now;
                lastProgress = System.nanoTime();
            }
            Thread.sleep(100);
        }
    }

    /**
     * Log events of the recovering instance from byte {@code from} of its log, in ms from {@code origin}: the log's
     * first line (JVM), its consumer's JoinGroup and SyncGroup, the first store restore started and the last ended,
     * the last deadline index rebuilt (and the sum of the rebuilds), RUNNING (the first after a rebalance, for a
     * survivor).
     */
    static Map<String, Long> timeline(Path log, long from, long origin) throws IOException {
        Map<String, Long> t = new LinkedHashMap<>();
        boolean survivor = from > 0;
        boolean rebalanced = !survivor;
        long indexSum = 0;
        for (String line : readFrom(log, from).split("\n")) {
            Matcher m = LOG_TIME.matcher(line);
            if (!m.find()) {
                continue;
            }
            long at = epochMillis(m, origin) - origin;
            if (!survivor) {
                t.putIfAbsent("jvm", at);
            }
            if (line.contains("Successfully joined group")) {
                t.putIfAbsent("joined", at);
            } else if (line.contains("Successfully synced group")) {
                t.putIfAbsent("synced", at);
            } else if (line.contains("Restore of store") && line.contains(" started: ")) {
                t.putIfAbsent("restore start", at);
            } else if (line.contains("Restore of store") && line.contains(" ended: ")) {
                if (!t.containsKey("RUNNING")) {
                    t.put("restore end", at);
                }
            } else if (line.contains("rebuilt the deadline index")) {
                if (!t.containsKey("RUNNING")) {
                    t.put("index rebuilt", at);
                    Matcher ms = INDEX_MS.matcher(line);
                    if (ms.find()) {
                        indexSum += Long.parseLong(ms.group(1));
                    }
                }
            } else if (line.contains("-> REBALANCING")) {
                rebalanced = true;
            } else if (line.contains("-> RUNNING") && rebalanced) {
                t.putIfAbsent("RUNNING", at);
            }
        }
        if (indexSum > 0) {
            t.put("index rebuild ms", indexSum);
        }
        return t;
    }

    /** A log line's HH:mm:ss.SSS as epoch ms, on the day (of the several around {@code near}) closest to it. */
    private static long epochMillis(Matcher m, long near) {
        LocalTime time = LocalTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)) * 1_000_000);
        ZoneId zone = ZoneId.systemDefault();
        LocalDate day = java.time.Instant.ofEpochMilli(near).atZone(zone).toLocalDate();
        long best = Long.MAX_VALUE;
        for (int d = -1; d <= 1; d++) {
            long t = day.plusDays(d).atTime(time).atZone(zone).toInstant().toEpochMilli();
            if (best == Long.MAX_VALUE || Math.abs(t - near) < Math.abs(best - near)) {
                best = t;
            }
        }
        return best;
    }

    /** The first modality of events {@code from} to {@code to}-1, all with Kafka timestamp (and event time) {@code ts}. */
    private void produceFirstModality(BenchWorkload w, int from, int to, String topic, long ts) {
        RegistryConfig rc = RegistryConfig.of(registryUrl);
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (SchemaRegistry registry = SchemaRegistry.connect(rc);
             KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.LINGER_MS_CONFIG, 20,
                     ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024), new StringSerializer(),
                     new AvroSerializer<>(registry, rc, false))) {
            for (int e = from; e < to; e++) {
                BenchWorkload.EventPlan plan = w.plan(e);
                p.send(new ProducerRecord<>(topic, null, ts, plan.id(), w.score(plan, 0, ts)), (md, ex) -> {
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

    /** Fresh complete events n, n+1, ... (both modalities, timestamped now) at a steady rate until stopped. */
    private final class Fresh implements Runnable {
        final AtomicInteger sent = new AtomicInteger();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final BenchWorkload w;
        private final int first;
        private final double rate;
        private final List<String> topics;

        Fresh(BenchWorkload w, int first, double rate, List<String> topics) {
            this.w = w;
            this.first = first;
            this.rate = rate;
            this.topics = topics;
        }

        void stop() {
            stop.set(true);
        }

        @Override
        public void run() {
            RegistryConfig rc = RegistryConfig.of(registryUrl);
            try (SchemaRegistry registry = SchemaRegistry.connect(rc);
                 KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(Map.of(
                         ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.LINGER_MS_CONFIG, 0),
                         new StringSerializer(), new AvroSerializer<>(registry, rc, false))) {
                long start = System.nanoTime();
                for (int k = 0; !stop.get() && first + k < w.events(); k++) {
                    long due = start + (long) (k * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    BenchWorkload.EventPlan plan = w.plan(first + k);
                    long now = System.currentTimeMillis();
                    for (int m = 0; m < topics.size(); m++) {
                        p.send(new ProducerRecord<>(topics.get(m), plan.id(), w.score(plan, m, now)));
                    }
                    sent.incrementAndGet();
                }
                p.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Reads the output topic (read_committed, from the beginning): per event, its revision-0 answers, the first one's
     * append time and partition, and whether it is what the event should get (pending: DEGRADED with the first
     * modality only; fresh: COMPLETE with both).
     */
    private static final class Tally implements Runnable {
        private final String bootstrapServers;
        private final String topic;
        private final int pending;
        private final int due;
        private final Deserializer<FusedPrediction> predictions;
        private final AtomicBoolean stop = new AtomicBoolean();
        final int[] answers;
        final long[] append;
        final byte[] partition;
        final boolean[] ok;
        final AtomicInteger pendingAnswered = new AtomicInteger();
        final AtomicInteger freshAnswered = new AtomicInteger();
        final java.util.concurrent.atomic.AtomicLong revisions = new java.util.concurrent.atomic.AtomicLong();
        /** Per output partition: the latest append time of a fresh event's answer. */
        final AtomicLongArray lastFreshAppend;
        private volatile RuntimeException failure;

        Tally(String bootstrapServers, String topic, int pending, int due, int events, int partitions,
              Deserializer<FusedPrediction> predictions) {
            this.bootstrapServers = bootstrapServers;
            this.topic = topic;
            this.pending = pending;
            this.due = due;
            this.predictions = predictions;
            this.answers = new int[events];
            this.append = new long[events];
            this.partition = new byte[events];
            this.ok = new boolean[events];
            this.lastFreshAppend = new AtomicLongArray(partitions);
        }

        @Override
        public void run() {
            Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                List<TopicPartition> partitions = OutputTally.partitionsOf(consumer, topic);
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                while (!stop.get()) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                        count(r);
                    }
                }
            } catch (RuntimeException e) {
                failure = e;
            }
        }

        private void count(ConsumerRecord<String, byte[]> r) {
            String key = r.key();
            if (key == null || !key.startsWith("ev-")) {
                return;
            }
            int e;
            try {
                e = Integer.parseInt(key, 3, key.length(), 10);
            } catch (NumberFormatException ex) {
                return;
            }
            if (e < 0 || e >= answers.length) {
                return;
            }
            FusedPrediction p = predictions.deserialize(topic, r.headers(), r.value());
            if (p.getRevision() != 0) {
                revisions.incrementAndGet();
                return;
            }
            List<String> present = p.getPresent().stream().map(Object::toString).toList();
            boolean right = e < pending
                    ? p.getStatus() == PredictionStatus.DEGRADED && present.equals(MODALITIES.subList(0, 1))
                    : p.getStatus() == PredictionStatus.COMPLETE && present.size() == MODALITIES.size()
                            && present.containsAll(MODALITIES);
            if (++answers[e] > 1) {
                ok[e] &= right; // a duplicate (at-least-once) must be right too
                return;
            }
            ok[e] = right;
            append[e] = r.timestamp();
            partition[e] = (byte) r.partition();
            if (e < pending) {
                if (e < due) {
                    pendingAnswered.incrementAndGet();
                }
            } else {
                freshAnswered.incrementAndGet();
                lastFreshAppend.accumulateAndGet(r.partition(), r.timestamp(), Math::max);
            }
        }

        void stop() {
            stop.set(true);
        }

        void rethrow() {
            if (failure != null) {
                throw new IllegalStateException("reading " + topic + " failed: " + failure, failure);
            }
        }
    }

    private static void sleepUntil(long epochMillis) throws InterruptedException {
        long wait = epochMillis - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    private static final String BYTES_CONSUMED = "kafka_consumer_fetch_manager_bytes_consumed_total";
    private static final String UNCONFIRMED = "latefuse_deadlines_unconfirmed_total";

    /** Waits until the instances hold {@code n} pending events. */
    private static void awaitPending(List<Instance> apps, long n, long deadlineMillis) throws Exception {
        while (pendingSum(apps) < n) {
            for (Instance a : apps) {
                if (!a.process.isAlive()) {
                    throw new IllegalStateException(a.name + " exited; see " + a.log);
                }
            }
            if (System.currentTimeMillis() > deadlineMillis) {
                throw new IllegalStateException("fewer than " + n + " events pending after 30 minutes");
            }
            Thread.sleep(200);
        }
    }

    private static double pendingSum(List<Instance> apps) throws Exception {
        double sum = 0;
        for (Instance a : apps) {
            sum += Math.max(0, metricSum(a.port, "latefuse_pending_events", null));
        }
        return sum;
    }

    /**
     * Sums the series of a metric on an instance's /metrics (lines starting with {@code name} then a space or a
     * label), those whose labels contain {@code labelPart} if given and no {@code topic} label (a client's total, not
     * its per-topic share); -1 if there is none.
     */
    static double metricSum(int port, String name, String labelPart) throws Exception {
        String body = scrape(port);
        double sum = 0;
        boolean found = false;
        for (String line : body.split("\n")) {
            if (!line.startsWith(name + " ") && !line.startsWith(name + "{")) {
                continue;
            }
            String labels = line.startsWith(name + "{") ? line.substring(name.length(), line.lastIndexOf('}') + 1) : "";
            if (labelPart != null && (!labels.contains(labelPart) || labels.contains("topic=\""))) {
                continue;
            }
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            found = true;
        }
        return found ? sum : -1;
    }

    /**
     * The restore consumer's bytes fetched: the sum of its per-topic series if /metrics shows them (Micrometer then
     * drops the client's total, which has fewer tags), else the total; -1 if neither.
     */
    static double restoreConsumerBytes(int port) throws Exception {
        double perTopic = 0;
        double total = -1;
        boolean anyTopic = false;
        for (String line : scrape(port).split("\n")) {
            if (!line.startsWith(BYTES_CONSUMED + "{") || !line.contains("restore-consumer")) {
                continue;
            }
            double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            if (line.contains("topic=\"")) {
                perTopic += v;
                anyTopic = true;
            } else {
                total = v;
            }
        }
        return anyTopic ? perTopic : total;
    }

    private static final Pattern RESTORE_STARTED = Pattern.compile(
            "Restore of store '[^']+' from (\\S+)-(\\d+) started: offsets (\\d+) to (\\d+)");

    /**
     * The bytes of the changelog ranges the log (from byte {@code from}) says were restored, each at its partition's
     * bytes per offset on the broker now; -1 if they cannot be read.
     */
    private long restoredBytesEstimate(Path appLog, long from) {
        try (Admin admin = admin()) {
            Map<TopicPartition, long[]> ranges = new java.util.HashMap<>(); // offsets restored, summed per partition
            Matcher m = RESTORE_STARTED.matcher(readFrom(appLog, from));
            while (m.find()) {
                TopicPartition tp = new TopicPartition(m.group(1), Integer.parseInt(m.group(2)));
                ranges.computeIfAbsent(tp, k -> new long[1])[0] += Long.parseLong(m.group(4)) - Long.parseLong(m.group(3));
            }
            if (ranges.isEmpty()) {
                return 0;
            }
            Map<TopicPartition, Long> sizes = new java.util.HashMap<>();
            List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
                for (LogDirDescription d : dirs.values()) {
                    d.replicaInfos().forEach((tp, info) -> sizes.merge(tp, info.size(), Long::sum));
                }
            }
            Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
            Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> earliest = new java.util.HashMap<>();
            ranges.keySet().forEach(tp -> {
                latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest());
                earliest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.earliest());
            });
            var ends = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
            var starts = admin.listOffsets(earliest).all().get(30, TimeUnit.SECONDS);
            double bytes = 0;
            for (Map.Entry<TopicPartition, long[]> e : ranges.entrySet()) {
                long span = ends.get(e.getKey()).offset() - starts.get(e.getKey()).offset();
                if (span > 0) {
                    bytes += e.getValue()[0] * (double) sizes.getOrDefault(e.getKey(), 0L) / span;
                }
            }
            return (long) bytes;
        } catch (Exception e) {
            log.println("recovery: could not size the restored changelog ranges: " + e);
            return -1;
        }
    }

    private static String scrape(int port) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
            } catch (IOException e) {
                if (attempt == 3) {
                    throw e;
                }
                Thread.sleep(500); // a busy app (a restore, a GC) may drop a connection: ask again
            }
        }
    }

    private static boolean health(int port) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void createTopics(int partitions, List<String> createTime, List<String> logAppendTime) throws Exception {
        try (Admin admin = admin()) {
            List<NewTopic> topics = new ArrayList<>();
            createTime.forEach(t -> topics.add(new NewTopic(t, partitions, (short) 1)));
            logAppendTime.forEach(t -> topics.add(new NewTopic(t, partitions, (short) 1)
                    .configs(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime"))));
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
            List<String> names = new ArrayList<>(createTime);
            names.addAll(logAppendTime);
            WritableTopics.await(admin, names, Duration.ofSeconds(60)); // the producer writes at once: KAFKA-15591
        }
    }

    private long changelogBytes(String appId) throws Exception {
        try (Admin admin = admin()) {
            List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
            long total = 0;
            for (Map<String, LogDirDescription> dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
                for (LogDirDescription d : dirs.values()) {
                    total += d.replicaInfos().entrySet().stream()
                            .filter(e -> e.getKey().topic().startsWith(appId + "-") && e.getKey().topic().endsWith("-changelog"))
                            .mapToLong(e -> e.getValue().size()).sum();
                }
            }
            return total;
        }
    }

    /** Deletes the row's state directories and topics (its own and the app's internal ones). */
    private void cleanUp(String appId, List<Instance> apps, List<String> topics) {
        for (Instance a : apps) {
            deleteTree(a.stateDir);
        }
        try (Admin admin = admin()) {
            List<String> doomed = new ArrayList<>(topics);
            admin.listTopics().names().get(30, TimeUnit.SECONDS).stream().filter(t -> t.startsWith(appId + "-"))
                    .forEach(doomed::add);
            admin.deleteTopics(doomed).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.println("recovery " + appId + ": could not delete its topics: " + e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: left for the OS
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** The 1, 5 and 15 minute load averages, from /proc/loadavg. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return String.join(" ", Arrays.asList(f).subList(0, 3));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * The app's logging (latefuse's own pattern), with its consumer's group joins at INFO for the timeline, and
     * Kafka Streams' restoration summary.
     */
    private static final String LOGBACK = """
            <configuration>
              <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
                <target>System.err</target>
                <encoder>
                  <pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n</pattern>
                </encoder>
              </appender>
              <logger name="io.latefuse" level="INFO"/>
              <logger name="org.apache.kafka" level="WARN"/>
              <logger name="org.apache.kafka.clients.consumer.internals.AbstractCoordinator" level="INFO"/>
              <logger name="org.apache.kafka.clients.consumer.internals.ConsumerCoordinator" level="INFO"/>
              <root level="WARN">
                <appender-ref ref="STDERR"/>
              </root>
            </configuration>
            """;
}
