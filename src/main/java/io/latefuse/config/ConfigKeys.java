package io.latefuse.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every key of a pipeline config, defined once, as Kafka's {@code ConfigDef} does: its name, its default and its
 * documentation. {@link PipelineConfigLoader} takes the known keys, the defaults and the {@code LATEFUSE_*}
 * overrides from here, and docs/reference.md's config reference is generated from it ({@link #markdownTable()}; a
 * test fails when the doc differs).
 */
public final class ConfigKeys {
    private ConfigKeys() {}

    /**
     * One key.
     *
     * @param defaultValue the value when the key is absent, as it would be written; null when the key is required
     *                     or has no value of its own (structured keys)
     * @param shownDefault the default as the reference shows it
     * @param scalar       whether it takes a single value (and so a {@code LATEFUSE_*} override)
     */
    public record Key(String name, String defaultValue, String shownDefault, String doc, boolean scalar) {
        public boolean required() {
            return "required".equals(shownDefault);
        }
    }

    /** The most modalities a pipeline may have: an event's modalities are a 64-bit mask, one bit each. */
    public static final int MAX_MODALITIES = 64;

    /** Kafka properties latefuse sets from its own keys (property to key): the pass-through must not fight them. */
    public static final Map<String, String> OWNED_KAFKA_KEYS = orderedMap(
            "application.id", "application.id",
            "bootstrap.servers", "bootstrap.servers",
            "processing.guarantee", "processing.guarantee",
            "num.standby.replicas", "standby.replicas",
            "num.stream.threads", "stream.threads",
            "group.instance.id", "instance.id",
            "errors.dead.letter.queue.topic.name", "dead.letter.topic",
            "application.server", "http.advertised.host");

    /** Kafka properties latefuse sets with no key of its own: its dead-letter routing depends on them. */
    public static final List<String> FIXED_KAFKA_KEYS = List.of(
            "deserialization.exception.handler",
            "default.deserialization.exception.handler",
            "processing.exception.handler",
            "processing.exception.handler.global.enabled");

    /**
     * The {@code LATEFUSE_*} variables that the commands read, and are not config keys: the config loader lets them
     * be, and refuses any other {@code LATEFUSE_*} variable that is not a key's.
     */
    public static final Map<String, String> COMMAND_VARIABLES = orderedMap(
            "LATEFUSE_CONFIG", "the config file, for every command's --config",
            "LATEFUSE_CREATE_TOPICS", "run --create-topics",
            "LATEFUSE_PARTITIONS", "run --partitions",
            "LATEFUSE_REPLICATION_FACTOR", "run --replication-factor",
            "LATEFUSE_METRICS_PORT", "run --metrics-port, and explain's default --url",
            "LATEFUSE_LOG_LEVEL", "latefuse's own log level (logback)");

    /** The keys of one entry of {@code modalities}. */
    public static final List<Key> MODALITY = List.of(
            required("name", "Letters, digits, `_`, `-`. Must match `ModalityScore.modality`.", false),
            structured("topic", "`<prefix>scores.<name>`", "The modality's scores topic. Not under `fusion.level: early`, "
                    + "which reads `features.topic` instead."),
            structured("features.topic", "`<prefix>features.<name>`", "Where the modality's scorer (`latefuse score`) reads "
                    + "features; under `fusion.level: early`, what the fusion app reads."),
            structured("features.size", "none", "Under `fusion.level: early` (and only there): the modality's feature count "
                    + "F. A `ModalityFeatures` record of another length goes to the dead-letter topic as `wrong_length`."),
            structured("weight", "`1.0`", "Fusion weight, ≥ 0; renormalized over the modalities present. 0 means ignored. "
                    + "At least one must be above 0, and their sum finite."),
            structured("calibration", "none", "`{method: temperature, temperature: T}` (T ≥ 1e-6) or `{method: platt, a: A, b: B}` (2 "
                    + "classes; on the log-odds of the first class). Works on PROBABILITY and LOGIT scores."),
            structured("required", "`true`", "An optional modality is awaited only while a required one is missing, then for at "
                    + "most `optional.wait`."),
            structured("embedding.output", "none", "The scorer model's output that holds an embedding (a hidden layer, say): "
                    + "`latefuse score` then writes it as `ModalityScore.embedding`. Needs `embedding.size`."),
            structured("embedding.size", "none", "The embedding's length E; the model's `embedding.output` is checked against "
                    + "it when the scorer starts."));

    /** The keys of a modality's {@code calibration}. */
    public static final List<String> CALIBRATION = List.of("method", "temperature", "a", "b");

    /** The top-level keys, in the reference's order. */
    public static final List<Key> TOP_LEVEL = List.of(
            required("application.id", "Kafka Streams application id: consumer group, state and changelog names. "
                    + "Instances with the same id share the work. ASCII letters, digits, `.`, `_` and `-` only, as the "
                    + "topics named after it (`<application.id>-deadline-index-changelog`, a scorer's "
                    + "`<application.id>-score-<modality>-score-buffer-changelog`) must be, within Kafka's 249 "
                    + "characters.", true),
            required("bootstrap.servers", "Kafka bootstrap servers.", true),
            required("schema.registry.url", "Registry base URL(s), comma-separated. Apicurio: `.../apis/ccompat/v7`.", true),
            scalar("schema.registry.basic.auth.user.info", "", "none", "`user:password` for the registry. Give it through "
                    + "`LATEFUSE_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO`, not the file; no message prints it."),
            scalar("schema.registry.ssl.truststore.location", "", "the JVM's default", "The certificates an `https://` "
                    + "registry is checked against."),
            scalar("schema.registry.ssl.truststore.password", "", "none", "The truststore's password (from the environment: "
                    + "`LATEFUSE_SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD`)."),
            scalar("schema.registry.ssl.truststore.type", "PKCS12", null, "`PKCS12` or `JKS`."),
            scalar("topic.prefix", "", "`\"\"`", "Prefix of the default topic names."),
            required("classes", "The class names, in the order every model writes its scores. At least two.", false),
            structured("class.priors", "uniform", "One prior per class, summing to 1; `log_odds` corrects for it."),
            scalar("strategy", "weighted_mean", null, PipelineConfig.STRATEGIES.stream().map(s -> "`" + s + "`")
                    .collect(Collectors.joining(", ")).replaceFirst(", (`[^`]+`)$", " or $1") + " (see \"Fusion strategies\")."),
            scalar("fusion.level", "late", null, "What the pipeline fuses: `late` (scores; any strategy), `intermediate` "
                    + "(embeddings and mask), `hybrid` (scores, embeddings and mask) or `early` (features and mask, read "
                    + "from the features topics); the last three need `strategy: onnx` (see \"Fusion levels\")."),
            required("modalities", "Ordered list; the order is the order of `present`, `missing` and a learned head's "
                    + "inputs. At most " + MAX_MODALITIES + ".", false),
            scalar("output.topic", "{prefix}fused", "`<prefix>fused`", "Where predictions go."),
            scalar("dead.letter.topic", "{prefix}dead-letters", "`<prefix>dead-letters`",
                    "Where bad records go (Kafka Streams' `errors.dead.letter.queue.topic.name`)."),
            scalar("max.wait", "500ms", null, "Deadline after the first score was written (see `deadline.clock`). "
                    + "Durations: `250ms`, `5s`, `2m`, `1h`, `1d`, ISO `PT0.25S`, or plain ms; never negative, at most "
                    + "`365d`."),
            scalar("optional.wait", "0ms", null, "Once every required modality is in, how long to wait for optional ones "
                    + "(never past `max.wait`)."),
            scalar("deadline.clock", "input", null, "`input` (the first score's write time; fires only once the input is "
                    + "read past the deadline; serving), `event` (event_time; replay and backfill) or `processing_time` "
                    + "(the first read's wall-clock time, whatever is unread). See \"Deadlines and latency\"."),
            scalar("punctuation.interval", "50ms", null, "How often due deadlines are checked. A DEGRADED prediction is "
                    + "emitted within 2 intervals of its deadline once the input is read, and seen by read_committed "
                    + "consumers after the next commit (see \"Deadlines and latency\")."),
            scalar("max.holdback", "30s", null, "On the input clock: how long deadlines wait for an input partition whose "
                    + "progress cannot be confirmed (its leader is down, the brokers do not answer its end offset, the "
                    + "consumer has no position on it). Once its read mark has not moved for this long, deadlines up to "
                    + "this long ago fire anyway, with a `degraded_reason` naming the partition and why, counted in "
                    + "`latefuse_deadlines_unconfirmed_total`. A partition being read, however far behind, is never cut "
                    + "short. At least 1s."),
            scalar("input.partitioner", "murmur2", null, "How producers place an event's scores: `murmur2` (as Java "
                    + "producers and Kafka Streams do; librdkafka clients need `partitioner: murmur2_random`), and a score "
                    + "on another partition than its key maps to is dead-lettered as `wrong_partition`; or `custom` (your "
                    + "own partitioner, which must still put every score of an event on the same partition number of "
                    + "every input topic; not checked)."),
            scalar("late.policy", "revise", null, "`revise` (emit revision+1 over everything present) or `drop` (dead "
                    + "letter, reason `late`)."),
            scalar("revision.policy", "always", null, "Under `late.policy: revise`: `always` (every late score "
                    + "emits a revision) or `on_change` (only one that flips the label, or moves a class probability by "
                    + "more than `revision.min.delta`; the others are counted in `latefuse_revisions_suppressed_total`, "
                    + "and still fused into later revisions)."),
            scalar("revision.min.delta", "0.05", null, "Under `revision.policy: on_change`: how far a class probability "
                    + "must move, from the last prediction emitted, for a revision; in [0, 1)."),
            scalar("late.retention", "10m", null, "How long emitted events are remembered to recognise late arrivals and "
                    + "duplicates: at least this, at most one eighth longer (they expire a segment at a time). After it, a "
                    + "score for the event starts a new one. An event answered with every modality keeps no scores; a "
                    + "later score for it is a duplicate, or, of a modality added to the config since, dead-lettered as "
                    + "`late`."),
            scalar("event.time.max.future", "5m", null, "A score whose `event_time` is further ahead of the app's clock goes "
                    + "to the dead-letter topic as `out_of_range`. Keep it well under the brokers' "
                    + "`log.message.timestamp.after.max.ms` (1 h by default), or the changelog and output writes of such "
                    + "an event would be refused."),
            scalar("store.type", "rocksdb", null, "`rocksdb` or `memory`. Both are changelogged."),
            scalar("processing.guarantee", "exactly_once_v2", null, "Or `at_least_once`."),
            scalar("standby.replicas", "0", null, "Warm standby copies of the state, for fast failover."),
            scalar("stream.threads", "1", null, "Stream threads per instance."),
            scalar("instance.id", "", "none", "This instance's stable id, unique in the app (on Kubernetes, the pod's "
                    + "name, through `LATEFUSE_INSTANCE_ID`): static membership (Kafka's `group.instance.id`, plus `-` "
                    + "and the stream thread's number). A restarted instance takes back its partitions without a "
                    + "rebalance, and a clean stop does not leave the group, so a restart costs its partitions only the "
                    + "time it is away. An instance that never comes back (a crash for good, a scale-in) holds its "
                    + "partitions until its session times out: latefuse then sets `session.timeout.ms` to 30 s "
                    + "(Kafka's 45 s without it; the `kafka` map may override either). A static member whose stream "
                    + "thread fails exits (code 1) for its orchestrator to restart it under the same id, rather than "
                    + "replace the thread, which would join under a new member id. Letters, digits, `.`, `_`, `-`. "
                    + "See \"Recovery\" in docs/DESIGN.md."),
            scalar("commit.interval", "", "100 ms under exactly-once (Kafka's); 1 s under at-least-once (latefuse's: "
                    + "Kafka's 30 s stalls deadlines, see \"Deadlines and latency\")", "How often state and output are "
                    + "committed; read_committed consumers see outputs after the commit."),
            scalar("broker.connect.timeout", "30s", null, "How long `run`, `score`, `produce` and `tail` try to reach a "
                    + "broker before they stop with one line naming `bootstrap.servers` and exit code 3."),
            scalar("operating.points", "", "none", "A file from `latefuse calibrate`: per subset of modalities present, "
                    + "the threshold on the positive class that holds a target false-reject or false-accept rate. Each "
                    + "prediction then carries `decision`, `threshold` and `operating_point` (two classes only; see "
                    + "\"Operating points\")."),
            scalar("modality.health", "off", null, "Whether each modality's scores are judged online: `off`, `observe` "
                    + "(judged, reported in metrics and logs) or `quarantine` (a modality judged broken is also not "
                    + "fused and not awaited, and each prediction lists it in `quarantined`). A modality is broken when "
                    + "it is stuck, its scores drifted from the reference, or it stopped agreeing with the others; see "
                    + "\"Modality health\". Not under `fusion.level: early`."),
            scalar("modality.health.profile", "", "each modality's first `modality.health.window` scores",
                    "The reference to judge against: a file from `latefuse profile`, learned on validation data."),
            scalar("modality.health.window", "500", null, "How many of a modality's latest scores its drift and "
                    + "agreement are judged over; also the warm-up a modality without a profile is profiled from. At "
                    + "least 300: over fewer scores, chance alone moves the stability index past 0.25 (see \"Modality "
                    + "health\")."),
            scalar("modality.health.stuck.scores", "50", null, "How many scores in a row, every class probability within "
                    + "1e-4 of the first's, make a modality stuck. At least 2."),
            scalar("modality.health.max.psi", "0.25", null, "The population stability index of a modality's scores over "
                    + "the window, against the reference, above which it has drifted (0.25 is the usual \"significant "
                    + "shift\")."),
            scalar("modality.health.max.agreement.drop", "0.25", null, "How far the share of a modality's scores whose "
                    + "class agrees with the mean of the other modalities present may fall below the reference's; in "
                    + "(0, 1)."),
            scalar("modality.health.release.scores", "500", null, "How many healthy judgements in a row release a "
                    + "quarantined modality. At least 1."),
            structured("modality.health.quarantined", "`[]`", "Modalities quarantined by hand under `modality.health: "
                    + "quarantine`, whatever their judgement."),
            structured("modality.health.trusted", "`[]`", "Modalities never quarantined, whatever their judgement "
                    + "(still judged and reported): the operator's release."),
            scalar("http.bind.address", "0.0.0.0", null, "The address `run`'s HTTP server (`--metrics-port`: "
                    + "`/metrics`, `/health`, `/events/{id}`) listens on; `127.0.0.1` keeps it to this host."),
            scalar("http.advertised.host", "", "this host's name", "How other instances reach this one's HTTP server, "
                    + "to route an event lookup to the instance that owns the event (Kafka Streams' "
                    + "`application.server`, with the `--metrics-port`). In a container, the address other pods see."),
            scalar("http.token", "", "none", "A bearer token that `/events/{id}` requires (`Authorization: Bearer ...`), "
                    + "as it shows scores; give it through `LATEFUSE_HTTP_TOKEN`. Without it the endpoint is open. "
                    + "`/metrics` and `/health` never ask for it."),
            scalar("onnx.model", "", "none", "The fusion head's `.onnx` file, for `strategy: onnx`. Its inputs and outputs "
                    + "are checked at startup."),
            scalar("onnx.input.scores", "scores", null, "The head's scores input, for heads exported under another name."),
            scalar("onnx.input.mask", "mask", null, "The head's mask input, for heads exported under another name."),
            scalar("onnx.input.embeddings", "", "`embeddings` under `fusion.level` intermediate or hybrid",
                    "The head's embeddings input, float[B, N*E]; scores must then carry embeddings of length E."),
            scalar("onnx.input.features", "features", null, "Under `fusion.level: early`: the head's features input, "
                    + "float[B, sum F_i]."),
            scalar("onnx.output", "", "the only output", "The head's output to read."),
            scalar("onnx.output.logits", "false", null, "The head outputs logits; softmax is applied."),
            scalar("labels.topic", "", "none", "Where ground truth arrives (`GroundTruth` records keyed by event id), "
                    + "for `latefuse quality`. Unset: no quality app. Must have the output topic's partition count."),
            scalar("labels.retention", "7d", null, "How long `latefuse quality` keeps an event waiting: a prediction for "
                    + "its label, and a label for its prediction. Measured from the first of them it reads; after it the "
                    + "event is forgotten (counted as a prediction expired unlabelled, or a label unmatched)."),
            scalar("quality.topic", "{prefix}quality", "`<prefix>quality`", "Where `latefuse quality` publishes "
                    + "`FusionQuality` records, keyed by subset of modalities present."),
            scalar("quality.window", "1h", null, "The sliding window quality is computed over: the events judged in "
                    + "the last `quality.window`. At least `quality.interval`."),
            scalar("quality.interval", "1m", null, "How often `latefuse quality` publishes its records and gauges, and "
                    + "forgets expired events."),
            scalar("labelled.topic", "", "none", "Optional: where `latefuse quality` writes each judged event's scores "
                    + "as `LabelledModalityScore` records (label = the true class), for retraining (`latefuse export` "
                    + "writes them to the data file `train` reads). It then also reads the scores topics."),
            structured("kafka", "`{}`", "Any Kafka client or Streams property (SASL, SSL, `producer.*`, `consumer.*`...), "
                    + "applied to every client. Keys latefuse sets itself are refused (exit code 2): those with a "
                    + "latefuse key of their own (" + codes(OWNED_KAFKA_KEYS.keySet()) + "), and the handlers its "
                    + "dead-letter routing depends on (" + codes(FIXED_KAFKA_KEYS) + "). latefuse's own defaults, which "
                    + "this map can override: `commit.interval.ms` 1000 under at-least-once, `producer.linger.ms` 5 "
                    + "(Streams would use 100, holding every prediction up to 100 ms), `producer.retry.backoff.ms` 10 and "
                    + "`producer.retry.backoff.max.ms` 100; under exactly-once `enable.transactional.statestores` true "
                    + "(a crash no longer wipes the stores) and then `default.interactive.query.isolation.level` "
                    + "READ_COMMITTED (lookups show committed state)."));

    private static final Map<String, Key> BY_NAME = TOP_LEVEL.stream()
            .collect(Collectors.toMap(Key::name, k -> k, (a, b) -> a, LinkedHashMap::new));

    /** The top-level key {@code name}, if there is one. */
    public static Optional<Key> topLevel(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    public static List<String> topLevelNames() {
        return List.copyOf(BY_NAME.keySet());
    }

    public static List<String> modalityKeyNames() {
        return MODALITY.stream().map(Key::name).toList();
    }

    /** The config reference as a Markdown table: docs/reference.md's "Config" holds exactly this. */
    public static String markdownTable() {
        List<String> rows = new ArrayList<>(List.of("| key | default | meaning |", "|---|---|---|"));
        for (Key k : TOP_LEVEL) {
            rows.add(row(k.name(), k));
            if (k.name().equals("modalities")) {
                MODALITY.forEach(m -> rows.add(row("modalities[]." + m.name(), m)));
            }
        }
        return String.join("\n", rows) + "\n";
    }

    private static String row(String name, Key k) {
        return "| `" + name + "` | " + k.shownDefault() + " | " + k.doc() + " |";
    }

    private static Key required(String name, String doc, boolean scalar) {
        return new Key(name, null, "required", doc, scalar);
    }

    private static Key scalar(String name, String dflt, String shown, String doc) {
        return new Key(name, dflt, shown != null ? shown : "`" + dflt + "`", doc, true);
    }

    /** A key with no single default value of its own: a list, a mapping, or a modality key. */
    private static Key structured(String name, String shown, String doc) {
        return new Key(name, null, shown, doc, false);
    }

    private static String codes(Iterable<String> names) {
        List<String> out = new ArrayList<>();
        names.forEach(n -> out.add("`" + n + "`"));
        return String.join(", ", out);
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
