package io.latefuse.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latefuse.config.PipelineConfig.Calibration;
import io.latefuse.config.PipelineConfig.DeadlineClock;
import io.latefuse.config.PipelineConfig.LatePolicy;
import io.latefuse.config.PipelineConfig.ModalityConfig;
import io.latefuse.config.PipelineConfig.StoreType;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a pipeline config from YAML, applies {@code LATEFUSE_*} environment overrides, and validates all of it
 * before anything connects. Every problem is reported at once, each naming its key, the bad value and, for a value
 * from the environment, the variable.
 * <p>
 * An environment variable overrides a top-level key: {@code LATEFUSE_} plus the key in upper case with dots and
 * dashes as underscores ({@code bootstrap.servers} is {@code LATEFUSE_BOOTSTRAP_SERVERS}); a list key's value is YAML
 * or JSON. {@code LATEFUSE_KAFKA_*} sets a Kafka client property ({@code LATEFUSE_KAFKA_SASL_MECHANISM} is
 * {@code kafka: {sasl.mechanism: ...}}). Any other {@code LATEFUSE_*} variable, but those the commands read
 * ({@link ConfigKeys#COMMAND_VARIABLES}), is refused.
 */
public final class PipelineConfigLoader {
    public static final String ENV_PREFIX = "LATEFUSE_";
    // Read as the file says (ConfigYaml: no aliases, no octal, no yes/no booleans, one document), and a key given
    // twice is refused rather than the last one silently winning.
    private static final ObjectMapper YAML = ConfigYaml.mapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Kafka's longest topic name (org.apache.kafka.common.internals.Topic's MAX_NAME_LENGTH, which is private). */
    static final int MAX_TOPIC_LENGTH = 249;
    /**
     * The longest name Kafka Streams gives a topic of the fusion app: its changelog of the store with the longest
     * name, {@code <application.id>-deadline-index-changelog} (the stores are named in topology.FusionTopology, which
     * the config may not depend on; ConfigEdgesTest keeps the two in step).
     */
    static final String LONGEST_CHANGELOG_SUFFIX = "-deadline-index-changelog";
    /**
     * A scorer ({@code latefuse score}) runs as {@code <application.id>-score-<modality>}, and changelogs its buffer
     * store: {@code <application.id>-score-<modality>-score-buffer-changelog} (scoring.ScoringTopology).
     */
    static final String SCORER_INFIX = "-score-";
    static final String SCORER_CHANGELOG_SUFFIX = "-score-buffer-changelog";
    /**
     * The quality app ({@code latefuse quality}) runs as {@code <application.id>-quality}; its longest topic is the
     * changelog of its window store (quality.QualityTopology, which the config may not depend on; QualityConfigTest
     * keeps the two in step).
     */
    static final String QUALITY_LONGEST_SUFFIX = "-quality-quality-window-outcomes-changelog";
    /**
     * The smallest temperature: a finite score divided by it stays finite (a float logit is at most 3.4e38), where a
     * smaller one (1e-320 is above 0) turned scores into infinities whose softmax is NaN.
     */
    static final double MIN_TEMPERATURE = 1e-6;

    private PipelineConfigLoader() {}

    /** Loads {@code file} with the process environment. */
    public static PipelineConfig load(Path file) {
        return load(file, System.getenv());
    }

    public static PipelineConfig load(Path file, Map<String, String> env) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new InvalidConfigException(file.toString(), List.of("cannot read the file: " + e));
        }
        return parse(text, file.toString(), env);
    }

    public static PipelineConfig parse(String yaml, String source, Map<String, String> env) {
        JsonNode root;
        try {
            root = ConfigYaml.read(YAML, yaml);
        } catch (ConfigYaml.RefusedYamlException e) {
            throw new InvalidConfigException(source, List.of(e.describe()));
        } catch (IOException e) {
            throw new InvalidConfigException(source, List.of("not valid YAML: " + e.getMessage().lines().findFirst().orElse("")));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            root = JsonNodeFactory.instance.objectNode();
        }
        if (!root.isObject()) {
            throw new InvalidConfigException(source, List.of("the top level must be a mapping of keys to values"));
        }
        ObjectNode tree = ((ObjectNode) root).deepCopy();
        Validator validator = new Validator(source);
        validator.applyEnv(tree, env);
        return validator.validate(tree);
    }

    static PipelineConfig validate(ObjectNode tree, String source) {
        return new Validator(source).validate(tree);
    }

    static String toYaml(ObjectNode tree) {
        try {
            return YAML.writeValueAsString(tree);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Collects every problem, then builds the config or throws one exception listing them all. */
    private static final class Validator {
        private final String source;
        private final List<String> problems = new ArrayList<>();
        /** Keys (top-level, or {@code kafka.<property>}) whose value came from the environment, and the variable. */
        private final Map<String, String> fromEnv = new LinkedHashMap<>();

        Validator(String source) {
            this.source = source;
        }

        /** One problem, naming the key and its value; a secret's value is never shown. */
        private void problem(String key, Object value, String why) {
            String shown = value == null ? "" : PipelineConfig.isSecret(key) ? " = [hidden]" : " = '" + value + "'";
            problems.add(key + shown + origin(key) + ": " + why);
        }

        /** " (from LATEFUSE_X)" when the key, or the top-level key it is part of, was set by the environment. */
        private String origin(String key) {
            String env = fromEnv.get(key);
            if (env == null) {
                int cut = key.indexOf('[');
                env = fromEnv.get(cut < 0 ? key : key.substring(0, cut));
            }
            return env == null ? "" : " (from " + env + ")";
        }

        /**
         * Applies the {@code LATEFUSE_*} variables: a scalar key's as its value; a list key's ({@code classes},
         * {@code class.priors}, {@code modalities}) as YAML or JSON; {@code LATEFUSE_KAFKA_<PROPERTY>} as a Kafka
         * property. Any other {@code LATEFUSE_*} variable that is neither a key's nor a command's is refused, with
         * the nearest valid name.
         */
        void applyEnv(ObjectNode tree, Map<String, String> env) {
            String kafkaPrefix = ENV_PREFIX + "KAFKA_";
            Map<String, ConfigKeys.Key> byEnv = new LinkedHashMap<>();
            for (ConfigKeys.Key key : ConfigKeys.TOP_LEVEL) {
                if (!key.name().equals("kafka")) {
                    byEnv.put(envName(key.name()), key);
                }
            }
            for (Map.Entry<String, String> e : new java.util.TreeMap<>(env).entrySet()) {
                String var = e.getKey();
                if (!var.startsWith(ENV_PREFIX) || ConfigKeys.COMMAND_VARIABLES.containsKey(var)) {
                    continue;
                }
                if (var.startsWith(kafkaPrefix) && var.length() > kafkaPrefix.length()) {
                    String prop = var.substring(kafkaPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                    JsonNode kafka = tree.get("kafka");
                    ObjectNode k = kafka instanceof ObjectNode o ? o : tree.putObject("kafka");
                    k.put(prop, e.getValue());
                    fromEnv.put("kafka." + prop, var);
                    continue;
                }
                ConfigKeys.Key key = byEnv.get(var);
                if (key == null) {
                    problem(var, null, "not a latefuse variable; did you mean " + nearest(var, byEnv) + "?");
                    continue;
                }
                fromEnv.put(key.name(), var);
                if (key.scalar()) {
                    tree.put(key.name(), e.getValue());
                    continue;
                }
                try {
                    tree.set(key.name(), ConfigYaml.read(YAML, e.getValue()));
                } catch (ConfigYaml.RefusedYamlException refused) {
                    problem(key.name(), e.getValue(), refused.reason());
                } catch (IOException bad) {
                    problem(key.name(), e.getValue(), "not valid YAML or JSON ("
                            + bad.getMessage().lines().findFirst().orElse("") + ")");
                }
            }
        }

        /** The valid variable nearest to {@code var}, with the key it sets. */
        private static String nearest(String var, Map<String, ConfigKeys.Key> byEnv) {
            String best = null;
            int bestDistance = Integer.MAX_VALUE;
            List<String> all = new ArrayList<>(byEnv.keySet());
            all.addAll(ConfigKeys.COMMAND_VARIABLES.keySet());
            for (String candidate : all) {
                int d = editDistance(var, candidate);
                if (d < bestDistance) {
                    bestDistance = d;
                    best = candidate;
                }
            }
            ConfigKeys.Key key = byEnv.get(best);
            return best + (key != null ? " (" + key.name() + ")" : " (" + ConfigKeys.COMMAND_VARIABLES.get(best) + ")");
        }

        private static int editDistance(String a, String b) {
            int[] prev = new int[b.length() + 1];
            int[] cur = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                prev[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                cur[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int change = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                    cur[j] = Math.min(change, Math.min(prev[j], cur[j - 1]) + 1);
                }
                int[] t = prev;
                prev = cur;
                cur = t;
            }
            return prev[b.length()];
        }

        PipelineConfig validate(ObjectNode tree) {
            for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (ConfigKeys.topLevel(k).isEmpty()) {
                    problem(k, null, "unknown key (known keys: " + String.join(", ", ConfigKeys.topLevelNames()) + ")");
                }
            }
            String prefix = topicPrefix(tree);
            String appId = applicationId(tree);
            String bootstrap = required(tree, "bootstrap.servers");
            Map<String, Object> registry = new LinkedHashMap<>();
            String registryUrl = required(tree, "schema.registry.url");
            if (registryUrl != null) {
                registry.put("schema.registry.url", registryUrl);
            }
            String userInfo = scalar(tree, "schema.registry.basic.auth.user.info");
            if (!userInfo.isEmpty()) {
                registry.put("basic.auth.credentials.source", "USER_INFO");
                registry.put("basic.auth.user.info", userInfo);
            }
            String truststore = scalar(tree, "schema.registry.ssl.truststore.location");
            if (!truststore.isEmpty()) {
                if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(truststore))) {
                    problem("schema.registry.ssl.truststore.location", truststore, "no readable file there");
                }
                registry.put("schema.registry.ssl.truststore.location", truststore);
            }
            registry.put("schema.registry.ssl.truststore.type", scalar(tree, "schema.registry.ssl.truststore.type"));
            String truststorePassword = scalar(tree, "schema.registry.ssl.truststore.password");
            if (!truststorePassword.isEmpty()) {
                registry.put("schema.registry.ssl.truststore.password", truststorePassword);
            }

            List<String> classes = stringList(tree, "classes");
            if (classes.isEmpty()) {
                problem("classes", null, "no classes: list at least two, in the order models write their scores");
            } else if (classes.size() == 1) {
                problem("classes", classes, "needs at least two classes");
            }
            if (new HashSet<>(classes).size() != classes.size()) {
                problem("classes", classes, "duplicate class name");
            }
            List<Double> priors = priors(tree, classes.size());

            FusionLevel level = enumValue(tree, "fusion.level", FusionLevel.class);
            List<ModalityConfig> modalities = modalities(tree, prefix, classes.size(), level, appId);
            weightSum(modalities);
            String strategy = scalar(tree, "strategy").toLowerCase(Locale.ROOT);
            if (!PipelineConfig.STRATEGIES.contains(strategy)) {
                problem("strategy", strategy, "unknown strategy (available: " + String.join(", ", PipelineConfig.STRATEGIES) + ")");
            } else if (level != FusionLevel.LATE && !strategy.equals("onnx")) {
                problem("strategy", strategy, "fuses scores only, but fusion.level is " + level.code()
                        + origin("fusion.level") + ", which needs a learned head: set strategy: onnx and onnx.model");
            }
            String output = topic(tree, "output.topic", prefix);
            String dlq = topic(tree, "dead.letter.topic", prefix);
            Set<String> inputs = new HashSet<>();
            modalities.forEach(m -> inputs.add(m.topic()));
            if (output != null && inputs.contains(output)) {
                problem("output.topic", output, "is also a modality's input topic");
            }
            if (dlq != null && (inputs.contains(dlq) || dlq.equals(output))) {
                problem("dead.letter.topic", dlq, "must differ from the input and output topics");
            }

            Duration maxWait = duration(tree, "max.wait", true);
            Duration optionalWait = duration(tree, "optional.wait", false);
            Duration punctuation = duration(tree, "punctuation.interval", true);
            Duration maxHoldback = duration(tree, "max.holdback", true);
            if (maxHoldback != null && maxHoldback.compareTo(Duration.ofSeconds(1)) < 0) {
                problem("max.holdback", Durations.format(maxHoldback), "must be at least 1s: it bounds how long deadlines "
                        + "wait for input whose progress cannot be confirmed, not how long they wait for a score");
            }
            Duration retention = duration(tree, "late.retention", false);
            // Brokers refuse record timestamps more than log.message.timestamp.after.max.ms (1 h by default) ahead of
            // their clock; a score's event_time becomes the timestamp of changelog and output records.
            Duration maxFuture = duration(tree, "event.time.max.future", true);
            String commit = scalar(tree, "commit.interval");
            Duration commitInterval = commit.isEmpty() ? null : duration(tree, "commit.interval", true);
            if (modalities.stream().noneMatch(ModalityConfig::required) && !modalities.isEmpty()) {
                problem("modalities", null, "at least one modality must be required");
            }

            DeadlineClock clock;
            if (scalar(tree, "deadline.clock").equalsIgnoreCase("wall")) {
                problem("deadline.clock", "wall", "was renamed: use input (the default; deadlines that wait for unread "
                        + "input) or processing_time (the old wall clock, which ignores unread input)");
                clock = DeadlineClock.INPUT;
            } else {
                clock = enumValue(tree, "deadline.clock", DeadlineClock.class);
            }
            LatePolicy late = enumValue(tree, "late.policy", LatePolicy.class);
            PipelineConfig.InputPartitioner partitioner = enumValue(tree, "input.partitioner",
                    PipelineConfig.InputPartitioner.class);
            PipelineConfig.Revisions revisions = new PipelineConfig.Revisions(
                    enumValue(tree, "revision.policy", PipelineConfig.Revisions.Policy.class),
                    fraction(tree, "revision.min.delta"));
            if (revisions.policy() == PipelineConfig.Revisions.Policy.ON_CHANGE && late == LatePolicy.DROP) {
                problem("revision.policy", "on_change", "chooses among revisions, but late.policy is drop"
                        + origin("late.policy") + ", which makes none");
            }
            StoreType store = enumValue(tree, "store.type", StoreType.class);
            String guarantee = scalar(tree, "processing.guarantee").toLowerCase(Locale.ROOT);
            if (!guarantee.equals("exactly_once_v2") && !guarantee.equals("at_least_once")) {
                problem("processing.guarantee", guarantee, "must be exactly_once_v2 or at_least_once");
            }
            int standby = integer(tree, "standby.replicas", 0);
            int threads = integer(tree, "stream.threads", 1);
            String instanceId = instanceId(tree, threads);
            Duration brokerTimeout = duration(tree, "broker.connect.timeout", true);
            Map<String, String> kafka = kafka(tree);
            if (commitInterval != null && kafka.containsKey("commit.interval.ms")) {
                problem("kafka.commit.interval.ms", kafka.get("commit.interval.ms"), "conflicts with commit.interval = '"
                        + commit + "'" + origin("commit.interval") + "; set one of them");
            }
            if (clock == DeadlineClock.INPUT && "streams".equalsIgnoreCase(kafka.getOrDefault("group.protocol", "").trim())) {
                // The streams rebalance protocol makes Kafka Streams build its main consumer itself, past the client
                // supplier through which the input clock learns what has been read.
                problem("kafka.group.protocol", "streams", "is not supported with deadline.clock input (the default); "
                        + "use the classic protocol, or deadline.clock processing_time or event");
            }
            PipelineConfig.OnnxHead onnx = onnxHead(tree, strategy, level);
            OperatingPoints points = operatingPoints(tree, classes, strategy, modalities);
            PipelineConfig.Http http = new PipelineConfig.Http(scalar(tree, "http.bind.address"),
                    scalar(tree, "http.advertised.host"), scalar(tree, "http.token"));
            if (http.bindAddress().isEmpty()) {
                problem("http.bind.address", "", "is empty: give an address to listen on (0.0.0.0 for all)");
            }
            if (http.advertisedHost().contains(":") || http.advertisedHost().contains("/")) {
                problem("http.advertised.host", http.advertisedHost(), "must be a host name or address only: the port "
                        + "is run's --metrics-port");
            }

            PipelineConfig.Health health = health(tree, classes, level, modalities);
            PipelineConfig.Quality quality = quality(tree, prefix, inputs, output, dlq);

            if (!problems.isEmpty()) {
                throw new InvalidConfigException(source, problems);
            }
            return new PipelineConfig(appId, bootstrap, registry, classes, priors, modalities, strategy, level, output, dlq,
                    maxWait, optionalWait, clock, punctuation, maxHoldback, partitioner, late, revisions, retention, maxFuture, store, guarantee, standby,
                    threads, instanceId, commitInterval, brokerTimeout, onnx, points, http, kafka, health, quality);
        }

        /** The quality keys, or null when {@code labels.topic} is unset (then none of the others may be set). */
        private PipelineConfig.Quality quality(ObjectNode tree, String prefix, Set<String> inputs, String output,
                                               String dlq) {
            List<String> others = List.of("labels.retention", "quality.topic", "quality.window", "quality.interval",
                    "labelled.topic");
            if (scalar(tree, "labels.topic").isEmpty()) {
                for (String k : others) {
                    if (tree.hasNonNull(k)) {
                        problem(k, scalar(tree, k), "is set, but labels.topic is not; set labels.topic to run "
                                + "latefuse quality");
                    }
                }
                return null;
            }
            String appId = scalar(tree, "application.id");
            if (!appId.isEmpty() && (appId + LONGEST_CHANGELOG_SUFFIX).length() <= MAX_TOPIC_LENGTH
                    && (appId + QUALITY_LONGEST_SUFFIX).length() > MAX_TOPIC_LENGTH) {
                problem("application.id", appId, "is " + appId.length() + " characters, too long for latefuse quality "
                        + "(labels.topic is set): its longest topic is '<application.id>" + QUALITY_LONGEST_SUFFIX
                        + "', and Kafka allows at most " + MAX_TOPIC_LENGTH + "; use at most "
                        + (MAX_TOPIC_LENGTH - QUALITY_LONGEST_SUFFIX.length()) + " characters");
            }
            String labels = validTopic("labels.topic", scalar(tree, "labels.topic"));
            String qualityTopic = topic(tree, "quality.topic", prefix);
            String labelled = scalar(tree, "labelled.topic").isEmpty() ? null
                    : validTopic("labelled.topic", scalar(tree, "labelled.topic"));
            Duration retention = duration(tree, "labels.retention", true);
            Duration window = duration(tree, "quality.window", true);
            Duration interval = duration(tree, "quality.interval", true);
            if (window != null && interval != null && !interval.isZero() && window.compareTo(interval) < 0) {
                problem("quality.window", Durations.format(window), "must be at least quality.interval = '"
                        + Durations.format(interval) + "'" + origin("quality.interval"));
            }
            Map<String, String> named = new LinkedHashMap<>();
            named.put("labels.topic", labels);
            named.put("quality.topic", qualityTopic);
            named.put("labelled.topic", labelled);
            Set<String> taken = new HashSet<>(inputs);
            taken.add(output);
            taken.add(dlq);
            Set<String> seen = new HashSet<>();
            named.forEach((k, t) -> {
                if (t != null && (taken.contains(t) || !seen.add(t))) {
                    problem(k, t, "must differ from the input, output and dead-letter topics and from the other "
                            + "quality topics");
                }
            });
            return new PipelineConfig.Quality(labels, retention, qualityTopic, window, interval, labelled);
        }

        private PipelineConfig.OnnxHead onnxHead(ObjectNode tree, String strategy, FusionLevel level) {
            String model = scalar(tree, "onnx.model");
            if (!strategy.equals("onnx")) {
                if (!model.isEmpty()) {
                    problem("onnx.model", model, "is set, but strategy is " + strategy + "; set strategy: onnx to use it");
                }
                return null;
            }
            if (model.isEmpty()) {
                problem("onnx.model", null, "missing: strategy onnx needs the head's .onnx file");
                return null;
            }
            java.nio.file.Path path = java.nio.file.Path.of(model);
            if (!java.nio.file.Files.isReadable(path)) {
                problem("onnx.model", model, "no readable file there");
            }
            String logits = scalar(tree, "onnx.output.logits").toLowerCase(Locale.ROOT);
            if (!logits.equals("true") && !logits.equals("false")) {
                problem("onnx.output.logits", logits, "must be true or false" + yaml11Boolean(logits));
            }
            String embeddings = scalar(tree, "onnx.input.embeddings");
            if (!embeddings.isEmpty() && !level.takesEmbeddings()) {
                problem("onnx.input.embeddings", embeddings, "is set, but fusion.level is " + level.code()
                        + origin("fusion.level") + ", which fuses no embeddings; set fusion.level: intermediate or hybrid");
            } else if (embeddings.isEmpty() && level.takesEmbeddings()) {
                embeddings = "embeddings";
            }
            String features = level.takesFeatures() ? scalar(tree, "onnx.input.features") : "";
            if (!level.takesFeatures() && tree.hasNonNull("onnx.input.features")) {
                problem("onnx.input.features", scalar(tree, "onnx.input.features"), "is set, but fusion.level is "
                        + level.code() + origin("fusion.level") + "; only early fusion reads features");
            }
            String output = scalar(tree, "onnx.output");
            return new PipelineConfig.OnnxHead(path, scalar(tree, "onnx.input.scores"), scalar(tree, "onnx.input.mask"),
                    embeddings.isEmpty() ? null : embeddings, features.isEmpty() ? null : features,
                    output.isEmpty() ? null : output, logits.equals("true"));
        }

        private String scalar(ObjectNode tree, String key) {
            JsonNode n = tree.get(key);
            if (n == null || n.isNull()) {
                String d = ConfigKeys.topLevel(key).orElseThrow().defaultValue();
                return d == null ? "" : d;
            }
            if (!n.isValueNode()) {
                problem(key, n, "must be a single value");
                return "";
            }
            return n.asText().trim();
        }

        private String required(ObjectNode tree, String key) {
            String v = scalar(tree, key);
            if (v.isEmpty()) {
                problem(key, null, "missing (set it in the file or with " + envName(key) + ")");
                return null;
            }
            return v;
        }

        private String topic(ObjectNode tree, String key, String prefix) {
            String v = scalar(tree, key).replace("{prefix}", prefix);
            return validTopic(key, v);
        }

        private String validTopic(String key, String name) {
            if (name == null || name.isEmpty()) {
                problem(key, null, "missing topic name");
                return null;
            }
            String bad = illegalTopicCharacter(name);
            if (bad != null) {
                problem(key, name, "not a valid Kafka topic name: it contains " + bad + "; " + TOPIC_CHARACTERS);
                return null;
            }
            try {
                Topic.validate(name);
            } catch (InvalidTopicException e) {
                problem(key, name, "not a valid Kafka topic name (" + e.getMessage() + ")");
                return null;
            }
            return name;
        }

        private static final String TOPIC_CHARACTERS = "Kafka topic names take ASCII letters, digits, '.', '_' and '-' only";

        /** The first character a Kafka topic name cannot hold, shown with its position; null when there is none. */
        private static String illegalTopicCharacter(String name) {
            for (int i = 0; i < name.length(); ) {
                int c = name.codePointAt(i);
                boolean legal = c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-');
                if (!legal) {
                    String shown = c == ' ' ? "' ' (a space)" : Character.isISOControl(c) || Character.isWhitespace(c)
                            ? String.format("U+%04X", c) : "'" + new String(Character.toChars(c)) + "'";
                    return shown + " at position " + (i + 1);
                }
                i += Character.charCount(c);
            }
            return null;
        }

        /**
         * {@code topic.prefix}, which starts the default topic names; "" when it holds a character no topic name can,
         * so that the defaults made from it are not each refused for the same character.
         */
        private String topicPrefix(ObjectNode tree) {
            String prefix = scalar(tree, "topic.prefix");
            String bad = illegalTopicCharacter(prefix);
            if (bad != null) {
                problem("topic.prefix", prefix, "starts the default topic names, but contains " + bad + "; "
                        + TOPIC_CHARACTERS);
                return "";
            }
            return prefix;
        }

        /**
         * {@code application.id}, which Kafka Streams names its internal topics after: each store's changelog is
         * {@code <application.id>-<store>-changelog}. So it must make valid topic names, the longest of them too.
         */
        private String applicationId(ObjectNode tree) {
            String id = required(tree, "application.id");
            if (id == null) {
                return null;
            }
            String bad = illegalTopicCharacter(id);
            String longest = id + LONGEST_CHANGELOG_SUFFIX;
            if (bad != null) {
                problem("application.id", id, "contains " + bad + ", but Kafka Streams names topics after it (each "
                        + "store's changelog is <application.id>-<store>-changelog), and " + TOPIC_CHARACTERS);
            } else if (id.equals(".") || id.equals("..")) {
                problem("application.id", id, "is not a name: Kafka Streams names its state directory after it");
            } else if (longest.length() > MAX_TOPIC_LENGTH) {
                problem("application.id", id, "is " + id.length() + " characters, too long: Kafka Streams names its "
                        + "changelog topics after it, the longest '<application.id>" + LONGEST_CHANGELOG_SUFFIX + "' ("
                        + longest.length() + " characters here), and Kafka allows at most " + MAX_TOPIC_LENGTH
                        + "; use at most " + (MAX_TOPIC_LENGTH - LONGEST_CHANGELOG_SUFFIX.length()) + " characters");
            }
            return id;
        }

        /**
         * A Kafka Streams consumer property without its client prefix ({@code consumer.}, {@code main.consumer.},
         * {@code restore.consumer.}, {@code global.consumer.}) when it is {@code group.instance.id}: under any of
         * them it still makes every instance that shares the config the same static member.
         */
        private static String unprefixedConsumerKey(String key) {
            for (String prefix : List.of("main.consumer.", "restore.consumer.", "global.consumer.", "consumer.")) {
                if (key.startsWith(prefix) && key.substring(prefix.length()).equals("group.instance.id")) {
                    return "group.instance.id";
                }
            }
            return key;
        }

        /**
         * {@code instance.id}, Kafka's {@code group.instance.id} after Kafka Streams adds {@code -<thread number>}
         * (at most {@code stream.threads + 1}):
         * the broker takes the characters of a topic name, and at most {@value #MAX_TOPIC_LENGTH} of them.
         */
        private String instanceId(ObjectNode tree, int threads) {
            String id = scalar(tree, "instance.id");
            if (id.isEmpty()) {
                return id;
            }
            String bad = illegalTopicCharacter(id);
            // A thread replaced after a failure (a dynamic member's answer) is numbered up to threads + 1.
            int longest = id.length() + 1 + Integer.toString(Math.max(1, threads) + 1).length();
            if (bad != null) {
                problem("instance.id", id, "contains " + bad + "; a Kafka group instance id takes ASCII letters, "
                        + "digits, '.', '_' and '-' only");
            } else if (longest > MAX_TOPIC_LENGTH) {
                problem("instance.id", id, "is " + id.length() + " characters, too long: with the stream thread's "
                        + "number Kafka allows " + (MAX_TOPIC_LENGTH - (longest - id.length())) + " at most");
            }
            return id;
        }

        /**
         * The weights are renormalized over the modalities present, divided by their sum: a sum that overflows made
         * every weight, and so every class probability, 0 (emitted as COMPLETE); a sum of 0 leaves nothing to fuse by.
         */
        private void weightSum(List<ModalityConfig> modalities) {
            if (modalities.isEmpty()) {
                return;
            }
            double sum = 0;
            for (ModalityConfig m : modalities) {
                sum += m.weight();
            }
            if (!Double.isFinite(sum)) {
                problem("modalities[].weight", null, "the weights sum to more than a double holds (" + modalities.stream()
                        .map(m -> m.name() + ": " + m.weight()).collect(java.util.stream.Collectors.joining(", "))
                        + "): divided by their sum, every weight and every class probability would be 0. Scale them "
                        + "down; only their ratios count");
            } else if (sum == 0) {
                problem("modalities[].weight", null, "every modality has weight 0, and weight 0 means ignored: at least "
                        + "one must be above 0");
            }
        }

        /** " (...)" explaining that {@code v} is a word, when YAML 1.1 took it for a boolean; else "". */
        private static String yaml11Boolean(String v) {
            return v.trim().toLowerCase(Locale.ROOT).matches("yes|no|on|off") ? " (YAML 1.1 took " + v.trim()
                    + " for a boolean; latefuse, as YAML 1.2, reads it as the word)" : "";
        }

        /** " (...)" explaining a leading zero, which the config reads as text, when {@code n} has one; else "". */
        private static String leadingZero(JsonNode n) {
            return n.isTextual() && n.asText().trim().matches("[-+]?0[0-9_]+") ? " (it has a leading zero, which YAML 1.1 "
                    + "reads as octal: 010 as 8. latefuse reads it as the text written; write the number without it)" : "";
        }

        private Duration duration(ObjectNode tree, String key, boolean positive) {
            String v = scalar(tree, key);
            String bound = "must be at most " + Durations.MAX.toDays() + "d, latefuse's bound on every duration (it counts "
                    + "time in milliseconds, and deadlines and retention add durations to timestamps)";
            try {
                Duration d = Durations.parse(v);
                if (d.isNegative()) {
                    problem(key, v, "must not be negative");
                } else if (positive && d.isZero()) {
                    problem(key, v, "must be greater than zero");
                } else if (!d.isZero() && d.compareTo(Duration.ofMillis(1)) < 0) {
                    problem(key, v, "must be at least 1ms" + (positive ? "" : ", or 0") + ": latefuse counts time in "
                            + "milliseconds, and this is 0 of them");
                } else if (d.compareTo(Durations.MAX) > 0) {
                    problem(key, v, bound);
                    return Durations.MAX;
                }
                return d;
            } catch (Durations.TooLongException e) {
                problem(key, v, bound);
                return Duration.ZERO;
            } catch (IllegalArgumentException e) {
                problem(key, v, e.getMessage());
                return Duration.ZERO;
            }
        }

        private int integer(ObjectNode tree, String key, int min) {
            String v = scalar(tree, key);
            try {
                int i = Integer.parseInt(v);
                if (i < min) {
                    problem(key, v, "must be at least " + min);
                }
                return i;
            } catch (NumberFormatException e) {
                problem(key, v, "must be a whole number");
                return min;
            }
        }

        /** The operating points file, read and checked against the pipeline; null when none is set. */
        private OperatingPoints operatingPoints(ObjectNode tree, List<String> classes, String strategy,
                                                List<ModalityConfig> modalities) {
            String file = scalar(tree, "operating.points");
            if (file.isEmpty()) {
                return null;
            }
            OperatingPoints points;
            try {
                points = OperatingPoints.read(java.nio.file.Path.of(file));
            } catch (IOException | RuntimeException e) {
                problem("operating.points", file, "cannot be read as latefuse calibrate's output: " + e.getMessage());
                return null;
            }
            for (String p : points.problems(classes, strategy, modalities.stream().map(ModalityConfig::name).toList())) {
                problem("operating.points", file, p);
            }
            return points;
        }

        /** {@code modality.health} and its keys, checked against the pipeline. */
        private PipelineConfig.Health health(ObjectNode tree, List<String> classes, FusionLevel level,
                                             List<ModalityConfig> modalities) {
            JsonNode modeNode = tree.get("modality.health");
            PipelineConfig.Health.Mode mode;
            if (modeNode != null && modeNode.isBoolean() && !modeNode.asBoolean()) {
                mode = PipelineConfig.Health.Mode.OFF; // YAML 1.1 reads an unquoted off as false
            } else {
                int before = problems.size();
                mode = enumValue(tree, "modality.health", PipelineConfig.Health.Mode.class);
                if (problems.size() > before) {
                    mode = null; // named already: no checks against a mode nobody gave
                }
            }
            List<String> names = modalities.stream().map(ModalityConfig::name).toList();
            int window = atMost(tree, "modality.health.window", integer(tree, "modality.health.window", 300), 100_000);
            int stuck = atMost(tree, "modality.health.stuck.scores", integer(tree, "modality.health.stuck.scores", 2),
                    100_000);
            int release = atMost(tree, "modality.health.release.scores",
                    integer(tree, "modality.health.release.scores", 1), 100_000_000);
            double psi = positiveNumber(tree, "modality.health.max.psi");
            double drop = fraction(tree, "modality.health.max.agreement.drop");
            if (drop == 0) {
                problem("modality.health.max.agreement.drop", "0", "must be greater than 0");
            }
            List<String> quarantined = stringList(tree, "modality.health.quarantined");
            List<String> trusted = stringList(tree, "modality.health.trusted");
            for (String key : List.of("modality.health.quarantined", "modality.health.trusted")) {
                for (String m : key.endsWith("quarantined") ? quarantined : trusted) {
                    if (!names.contains(m)) {
                        problem(key, m, "is not a modality of this config (configured: " + String.join(", ", names) + ")");
                    }
                }
            }
            for (String m : quarantined) {
                if (trusted.contains(m)) {
                    problem("modality.health.trusted", m, "is also in modality.health.quarantined; name it in one");
                }
            }
            if (!quarantined.isEmpty() && mode != null && mode != PipelineConfig.Health.Mode.QUARANTINE) {
                problem("modality.health.quarantined", String.join(", ", quarantined), "takes effect only under "
                        + "modality.health: quarantine, but it is " + mode.name().toLowerCase(Locale.ROOT));
            }
            if (mode != null && mode != PipelineConfig.Health.Mode.OFF && level == FusionLevel.EARLY) {
                problem("modality.health", mode.name().toLowerCase(Locale.ROOT), "judges scores, but fusion.level is "
                        + "early, whose records are features; set modality.health: off");
            }
            String file = scalar(tree, "modality.health.profile");
            HealthProfile profile = null;
            if (!file.isEmpty()) {
                try {
                    profile = HealthProfile.read(java.nio.file.Path.of(file));
                    for (String p : profile.problems(classes, names)) {
                        problem("modality.health.profile", file, p);
                    }
                } catch (IOException | RuntimeException e) {
                    problem("modality.health.profile", file, "cannot be read as latefuse profile's output: "
                            + e.getMessage());
                }
            }
            return new PipelineConfig.Health(mode == null ? PipelineConfig.Health.Mode.OFF : mode, profile, window, stuck,
                    psi, drop, release, quarantined, trusted);
        }

        /** {@code value}, named as a problem when above {@code max}: a window's rings are allocated when the app starts. */
        private int atMost(ObjectNode tree, String key, int value, int max) {
            if (value > max) {
                problem(key, scalar(tree, key), "must be at most " + max);
                return max;
            }
            return value;
        }

        /** A finite number above 0. */
        private double positiveNumber(ObjectNode tree, String key) {
            String v = scalar(tree, key);
            try {
                double d = Double.parseDouble(v);
                if (!(d > 0 && Double.isFinite(d))) {
                    problem(key, v, "must be a number greater than 0");
                }
                return d;
            } catch (NumberFormatException e) {
                problem(key, v, "must be a number");
                return 1;
            }
        }

        /** A number in [0, 1). */
        private double fraction(ObjectNode tree, String key) {
            String v = scalar(tree, key);
            try {
                double d = Double.parseDouble(v);
                if (!(d >= 0 && d < 1)) {
                    problem(key, v, "must be at least 0 and less than 1");
                }
                return d;
            } catch (NumberFormatException e) {
                problem(key, v, "must be a number");
                return 0;
            }
        }

        private <E extends Enum<E>> E enumValue(ObjectNode tree, String key, Class<E> type) {
            String v = scalar(tree, key);
            try {
                return Enum.valueOf(type, v.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                List<String> allowed = new ArrayList<>();
                for (E c : type.getEnumConstants()) {
                    allowed.add(c.name().toLowerCase(Locale.ROOT));
                }
                problem(key, v, "must be one of " + String.join(", ", allowed));
                return type.getEnumConstants()[0];
            }
        }

        private List<String> stringList(ObjectNode tree, String key) {
            JsonNode n = tree.get(key);
            List<String> out = new ArrayList<>();
            if (n == null || n.isNull()) {
                return out;
            }
            if (!n.isArray()) {
                problem(key, n, "must be a list");
                return out;
            }
            for (JsonNode e : n) {
                String s = e.asText().trim();
                if (!e.isValueNode() || s.isEmpty()) {
                    problem(key, e, "entries must be non-empty names");
                } else {
                    out.add(s);
                }
            }
            return out;
        }

        private List<Double> priors(ObjectNode tree, int numClasses) {
            JsonNode n = tree.get("class.priors");
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isArray() || n.size() != numClasses) {
                problem("class.priors", n, "must list one prior per class (" + numClasses + ")");
                return null;
            }
            List<Double> out = new ArrayList<>();
            double sum = 0;
            for (JsonNode e : n) {
                if (!e.isNumber() || !(e.asDouble() > 0) || !Double.isFinite(e.asDouble())) {
                    problem("class.priors", n, "each prior must be a number greater than 0");
                    return null;
                }
                out.add(e.asDouble());
                sum += e.asDouble();
            }
            if (Math.abs(sum - 1) > 1e-6) {
                problem("class.priors", n, "must sum to 1 (they sum to " + sum + ")");
            }
            return out;
        }

        private List<ModalityConfig> modalities(ObjectNode tree, String prefix, int numClasses, FusionLevel level,
                                                String appId) {
            JsonNode n = tree.get("modalities");
            List<ModalityConfig> out = new ArrayList<>();
            if (n == null || n.isNull() || (n.isArray() && n.isEmpty())) {
                problem("modalities", null, "no modalities: list at least one");
                return out;
            }
            if (!n.isArray()) {
                problem("modalities", null, "must be a list of {name, topic, weight, calibration, required}");
                return out;
            }
            if (n.size() > ConfigKeys.MAX_MODALITIES) {
                problem("modalities", null, n.size() + " modalities; latefuse supports at most " + ConfigKeys.MAX_MODALITIES
                        + " (an event's modalities are tracked as a 64-bit mask)");
            }
            Set<String> names = new LinkedHashSet<>();
            Set<String> topics = new HashSet<>();
            boolean scorerTooLong = false;
            for (int i = 0; i < n.size(); i++) {
                JsonNode m = n.get(i);
                String at = "modalities[" + i + "]";
                if (!m.isObject()) {
                    problem(at, m, "must be a mapping with at least a name");
                    continue;
                }
                for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (!ConfigKeys.modalityKeyNames().contains(k)) {
                        problem(at + "." + k, null, "unknown key (known: " + String.join(", ", ConfigKeys.modalityKeyNames()) + ")");
                    }
                }
                String name = m.path("name").asText("").trim();
                if (name.isEmpty()) {
                    problem(at + ".name", null, "missing");
                    continue;
                }
                if (!name.matches("[A-Za-z0-9_-]+")) {
                    problem(at + ".name", name, "use letters, digits, '_' and '-' only");
                }
                if (!names.add(name)) {
                    problem(at + ".name", name, "duplicate modality");
                }
                String scorerChangelog = appId + SCORER_INFIX + name + SCORER_CHANGELOG_SUFFIX;
                // (an application.id too long for the fusion app's own changelogs is reported once, as such)
                boolean idLonger = appId != null && appId.length() >= name.length();
                if (appId != null && (appId + LONGEST_CHANGELOG_SUFFIX).length() <= MAX_TOPIC_LENGTH
                        && scorerChangelog.length() > MAX_TOPIC_LENGTH && !(idLonger && scorerTooLong)) {
                    // Named by the longer of the two, which is the one to shorten; an application.id only once.
                    scorerTooLong |= idLonger;
                    problem(idLonger ? "application.id" : at + ".name", idLonger ? appId : name, "with "
                            + (idLonger ? "modality '" + name + "'" : "application.id '" + appId + "'") + ", the "
                            + "changelog topic of its scorer (latefuse score runs as <application.id>" + SCORER_INFIX
                            + "<modality>), '<application.id>" + SCORER_INFIX + "<modality>" + SCORER_CHANGELOG_SUFFIX
                            + "', would be " + scorerChangelog.length() + " characters, and Kafka allows at most "
                            + MAX_TOPIC_LENGTH + ": shorten the application.id or the modality's name");
                }
                at = "modalities[" + i + "] (" + name + ")";
                String features = validTopic(at + ".features.topic", m.has("features.topic")
                        ? m.get("features.topic").asText("").trim() : prefix + "features." + name);
                boolean early = level.takesFeatures();
                if (early) {
                    // Early fusion reads raw features: the keys that shape scores or embeddings have nothing to act on.
                    for (String k : List.of("topic", "weight", "calibration", "embedding.output", "embedding.size")) {
                        if (m.has(k)) {
                            problem(at + "." + k, m.get(k).isValueNode() ? m.get(k).asText() : m.get(k),
                                    "applies to scores and their embeddings, but fusion.level is early" + origin("fusion.level")
                                    + ", which reads features from features.topic");
                        }
                    }
                }
                String topic = early ? features
                        : validTopic(at + ".topic", m.has("topic") ? m.get("topic").asText("").trim() : prefix + "scores." + name);
                if (topic != null && !topics.add(topic)) {
                    problem(at + (early ? ".features.topic" : ".topic"), topic, "two modalities read the same topic");
                }
                int featuresSize = 0;
                if (m.has("features.size") && !early) {
                    problem(at + ".features.size", m.get("features.size").asText(), "is set, but fusion.level is "
                            + level.code() + origin("fusion.level") + "; only early fusion reads features");
                } else if (early && !m.has("features.size")) {
                    problem(at + ".features.size", null, "missing: early fusion needs each modality's feature count");
                } else if (early) {
                    JsonNode f = m.get("features.size");
                    if (!f.canConvertToInt() || !f.isIntegralNumber() || f.asInt() < 1) {
                        problem(at + ".features.size", f.asText(), "must be a whole number of at least 1" + leadingZero(f));
                    } else {
                        featuresSize = f.asInt();
                    }
                }
                double weight = 1.0;
                if (m.has("weight")) {
                    JsonNode w = m.get("weight");
                    if (!w.isNumber() || !Double.isFinite(w.asDouble())) {
                        problem(at + ".weight", w.asText(), "must be a number" + leadingZero(w));
                    } else if (w.asDouble() < 0) {
                        problem(at + ".weight", w.asText(), "must not be negative");
                    } else {
                        weight = w.asDouble();
                    }
                }
                boolean required = true;
                if (m.has("required")) {
                    JsonNode r = m.get("required");
                    if (!r.isBoolean()) {
                        problem(at + ".required", r.asText(), "must be true or false" + yaml11Boolean(r.asText()));
                    } else {
                        required = r.asBoolean();
                    }
                }
                Calibration cal = calibration(m.get("calibration"), at + ".calibration", numClasses);
                String embeddingOutput = m.has("embedding.output") ? m.get("embedding.output").asText("").trim() : "";
                int embeddingSize = 0;
                if (m.has("embedding.size")) {
                    JsonNode e = m.get("embedding.size");
                    if (!e.canConvertToInt() || !e.isIntegralNumber() || e.asInt() < 1) {
                        problem(at + ".embedding.size", e.asText(), "must be a whole number of at least 1" + leadingZero(e));
                    } else {
                        embeddingSize = e.asInt();
                    }
                }
                if (!embeddingOutput.isEmpty() && !m.has("embedding.size")) {
                    problem(at + ".embedding.size", null, "missing: embedding.output needs the embedding's length");
                } else if (embeddingOutput.isEmpty() && m.has("embedding.size")) {
                    problem(at + ".embedding.output", null, "missing: embedding.size needs the model's output to read");
                }
                out.add(new ModalityConfig(name, topic == null ? "" : topic, weight, cal, required, features,
                        embeddingOutput.isEmpty() ? null : embeddingOutput, embeddingOutput.isEmpty() ? 0 : embeddingSize,
                        featuresSize));
            }
            return out;
        }

        private Calibration calibration(JsonNode n, String at, int numClasses) {
            if (n == null || n.isNull()) {
                return Calibration.NONE;
            }
            if (!n.isObject()) {
                problem(at, n, "must be {method: temperature, temperature: T} or {method: platt, a: A, b: B}");
                return Calibration.NONE;
            }
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!ConfigKeys.CALIBRATION.contains(k)) {
                    problem(at + "." + k, null, "unknown key (known: " + String.join(", ", ConfigKeys.CALIBRATION) + ")");
                }
            }
            String method = n.path("method").asText("none").toLowerCase(Locale.ROOT);
            switch (method) {
                case "none":
                    return Calibration.NONE;
                case "temperature": {
                    double t = number(n, "temperature", at, 1.0);
                    if (!(t > 0)) {
                        problem(at + ".temperature", t, "must be greater than 0");
                    } else if (t < MIN_TEMPERATURE) {
                        problem(at + ".temperature", t, "must be at least 1e-6: scores divided by a smaller one can "
                                + "overflow to infinities, whose softmax is NaN");
                    }
                    return new Calibration(Calibration.Method.TEMPERATURE, t, 1, 0);
                }
                case "platt": {
                    if (numClasses != 2) {
                        problem(at + ".method", method, "platt scaling needs exactly 2 classes; use temperature");
                    }
                    return new Calibration(Calibration.Method.PLATT, 1, number(n, "a", at, 1.0), number(n, "b", at, 0.0));
                }
                default:
                    problem(at + ".method", method, "must be none, temperature or platt");
                    return Calibration.NONE;
            }
        }

        private double number(JsonNode n, String key, String at, double dflt) {
            JsonNode v = n.get(key);
            if (v == null) {
                return dflt;
            }
            if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
                problem(at + "." + key, v.asText(), "must be a number" + leadingZero(v));
                return dflt;
            }
            return v.asDouble();
        }

        private Map<String, String> kafka(ObjectNode tree) {
            JsonNode n = tree.get("kafka");
            Map<String, String> out = new LinkedHashMap<>();
            if (n == null || n.isNull()) {
                return out;
            }
            if (!n.isObject()) {
                problem("kafka", n, "must be a mapping of Kafka client properties");
                return out;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (ConfigKeys.FIXED_KAFKA_KEYS.contains(e.getKey())) {
                    problem("kafka." + e.getKey(), null, "set by latefuse, whose dead-letter handlers route bad records "
                            + "to dead.letter.topic; it cannot be overridden");
                    continue;
                }
                String owner = ConfigKeys.OWNED_KAFKA_KEYS.get(unprefixedConsumerKey(e.getKey()));
                if (owner != null) {
                    problem("kafka." + e.getKey(), null, "set by latefuse; use the top-level key " + owner);
                    continue;
                }
                if (!e.getValue().isValueNode()) {
                    problem("kafka." + e.getKey(), e.getValue(), "must be a single value");
                    continue;
                }
                out.put(e.getKey(), e.getValue().asText());
            }
            return out;
        }
    }
}
