package io.latefuse.config;

import io.latefuse.fusion.Calibrator;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.scoring.ScoringTopology;
import io.latefuse.topology.FusionTopology;
import org.apache.kafka.common.internals.Topic;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Values the loader used to accept that the app cannot use (issue 27, item 11), and YAML that was read otherwise than
 * the file says (item 12). Each is refused at load, naming its key, or read as written.
 */
class ConfigEdgesTest {
    private static final String BASE = """
            application.id: app
            bootstrap.servers: k:9092
            schema.registry.url: http://r:8081
            classes: [directed, undirected]
            modalities:
              - {name: audio}
              - {name: text}
            """;

    private static PipelineConfig parse(String yaml) {
        return PipelineConfigLoader.parse(yaml, "test.yaml", Map.of());
    }

    private static String problemsOf(String yaml) {
        return problemsOf(yaml, Map.of());
    }

    private static String problemsOf(String yaml, Map<String, String> env) {
        try {
            PipelineConfigLoader.parse(yaml, "test.yaml", env);
        } catch (InvalidConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected the config to be refused:\n" + yaml);
    }

    private static String withModalities(String audio, String text) {
        return BASE.replace("{name: audio}", audio).replace("{name: text}", text);
    }

    // ---- item 11: weights and calibration numbers ----

    @Test
    void weightsWhoseSumOverflowsAreRefused() {
        String overflowing = withModalities("{name: audio, weight: 1e308}", "{name: text, weight: 1e308}");
        assertThat(problemsOf(overflowing)).contains("modalities[].weight").contains("sum");
        // Each weight alone is finite: only the sum overflows, and with it every renormalized weight became 0.
        PipelineConfig fine = parse(withModalities("{name: audio, weight: 1e308}", "{name: text, weight: 1}"));
        try (FusionStrategy s = FusionStrategies.create(fine)) {
            double[] p = s.fuse(new FusionInput(new double[][] {{0.9, 0.1}, {0.2, 0.8}})).probabilities();
            assertThat(p[0] + p[1]).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-9));
        }
    }

    @Test
    void weightsThatAreAllZeroAreRefused() {
        assertThat(problemsOf(withModalities("{name: audio, weight: 0}", "{name: text, weight: 0.0}")))
                .contains("modalities[].weight").contains("at least one");
        assertThat(parse(withModalities("{name: audio, weight: 0}", "{name: text}")).modalities().get(0).weight()).isZero();
    }

    @Test
    void aTemperatureSoSmallThatScoresOverflowIsRefused() {
        String tiny = withModalities("{name: audio, calibration: {method: temperature, temperature: 1e-320}}", "{name: text}");
        assertThat(problemsOf(tiny)).contains("modalities[0] (audio).calibration.temperature").contains("at least");
        // What it did: every score divided into -infinity, and softmax of those is NaN.
        double[] p = new Calibrator(new PipelineConfig.Calibration(PipelineConfig.Calibration.Method.TEMPERATURE, 1e-320, 1, 0))
                .probabilities(new float[] {0.7f, 0.3f}, io.latefuse.avro.ScoreType.PROBABILITY);
        assertThat(p[0]).isNaN();
        assertThat(parse(withModalities("{name: audio, calibration: {method: temperature, temperature: 0.001}}",
                "{name: text}")).modalities().get(0).calibration().temperature()).isEqualTo(0.001);
    }

    // ---- item 11: durations ----

    /** Every Duration of the config, by its key: maxWait is max.wait. */
    private static List<String> durationKeys() {
        List<String> keys = new ArrayList<>();
        for (RecordComponent c : PipelineConfig.class.getRecordComponents()) {
            if (c.getType() == Duration.class) {
                keys.add(c.getName().replaceAll("([A-Z])", ".$1").toLowerCase(java.util.Locale.ROOT));
            }
        }
        assertThat(keys).allSatisfy(k -> assertThat(ConfigKeys.topLevel(k)).as(k).isPresent())
                .containsExactlyInAnyOrder("max.wait", "optional.wait", "punctuation.interval", "max.holdback",
                        "late.retention", "event.time.max.future", "commit.interval", "broker.connect.timeout");
        return keys;
    }

    @Test
    void everyDurationIsBoundedWellBelowMillisecondOverflow() {
        for (String key : durationKeys()) {
            // Kafka Streams and the deadline arithmetic count in long milliseconds: each of these overflows them (the
            // first two were accepted, and failed the topology's build or dead-lettered every score), or is past the bound.
            for (String v : List.of("PT2562047788015215H", "9223372036854775807", "106751991167d", "366d",
                    "PT2562047788015216H", "99999999999999999999")) {
                assertThat(problemsOf(BASE + key + ": " + v + "\n")).as(key + ": " + v)
                        .contains(key + " = '" + v + "'").contains("at most 365d");
            }
            assertThat(problemsOf(BASE, Map.of(PipelineConfigLoader.envName(key), "P400D"))).as(key)
                    .contains(key + " = 'P400D' (from " + PipelineConfigLoader.envName(key) + ")").contains("at most 365d");
        }
        // Less than a millisecond is none, in milliseconds: a punctuation every 0 ms fails when the app starts.
        assertThat(problemsOf(BASE + "punctuation.interval: PT0.0005S\n")).contains("punctuation.interval = 'PT0.0005S'")
                .contains("at least 1ms");
        // ... and a retention of 0 ms, which keeps nothing.
        assertThat(problemsOf(BASE + "late.retention: PT0.0005S\n")).contains("late.retention = 'PT0.0005S'")
                .contains("at least 1ms, or 0");
        assertThat(parse(BASE + "late.retention: 0\n").lateRetention()).isZero();
        StringBuilder atTheBound = new StringBuilder(BASE);
        durationKeys().forEach(k -> atTheBound.append(k).append(": 365d\n"));
        PipelineConfig c = parse(atTheBound.toString());
        assertThat(c.lateRetention()).isEqualTo(Duration.ofDays(365));
        // All of them together, from the latest event time a score may carry, stay far from a long's range.
        long sum = Duration.ofDays(365).toMillis() * durationKeys().size();
        assertThat(Math.addExact(Long.MAX_VALUE / 2, sum)).isPositive();
    }

    // ---- item 11: names that become Kafka topics ----

    /**
     * The changelog topics Kafka Streams names after {@code applicationId}: the fusion app's, one per store, and each
     * scorer's (latefuse score, one app per modality of {@link #BASE}).
     */
    private static List<String> changelogs(String applicationId) throws IllegalAccessException {
        List<String> out = new ArrayList<>();
        for (Field f : FusionTopology.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().endsWith("_STORE") && f.getType() == String.class) {
                out.add(applicationId + "-" + f.get(null) + "-changelog");
            }
        }
        assertThat(out).hasSizeGreaterThanOrEqualTo(4);
        PipelineConfig base = parse(BASE);
        for (String m : base.modalityNames()) {
            String scorer = applicationId + ScoringTopology.applicationId(base, m).substring(base.applicationId().length());
            out.add(scorer + "-" + ScoringTopology.BUFFER_STORE + "-changelog");
        }
        return out;
    }

    @Test
    void anApplicationIdThatMakesNoTopicNameIsRefused() {
        Map<String, String> bad = Map.of("ddsd fusion", "' '", "team/ddsd", "'/'", "ddsd:v2", "':'", "ddsd\u00e9", "'\u00e9'");
        bad.forEach((id, ch) -> assertThat(problemsOf(BASE.replace("application.id: app", "application.id: '" + id + "'")))
                .as(id).contains("application.id = '" + id + "'").contains(ch));
        assertThat(problemsOf(BASE.replace("application.id: app", "application.id: '..'"))).contains("application.id = '..'");
        assertThat(problemsOf(BASE, Map.of("LATEFUSE_APPLICATION_ID", "a b")))
                .contains("application.id = 'a b' (from LATEFUSE_APPLICATION_ID)");
        assertThat(parse(BASE.replace("application.id: app", "application.id: team.ddsd_fusion-v2")).applicationId())
                .isEqualTo("team.ddsd_fusion-v2");
    }

    @Test
    void theLongestApplicationIdStillNamesValidChangelogTopics() throws Exception {
        int longest = 0;
        String refused = null;
        while (refused == null && longest < 249) {
            try {
                parse(BASE.replace("application.id: app", "application.id: " + "a".repeat(longest + 1)));
                longest++;
            } catch (InvalidConfigException e) {
                refused = e.getMessage();
            }
        }
        assertThat(refused).as("an application.id of 249 characters leaves no room for a changelog's name").isNotNull()
                .contains("application.id").contains("249");
        String id = "a".repeat(longest);
        // Every changelog of the longest id accepted is a topic Kafka takes; one more character, and one is not.
        assertThat(changelogs(id)).allSatisfy(t -> assertThat(Topic.isValid(t)).as(t).isTrue());
        assertThat(changelogs(id + "a")).anySatisfy(t -> assertThat(Topic.isValid(t)).as(t).isFalse());
    }

    @Test
    void aScorersChangelogMustFitTooWithItsModalityName() {
        // A scorer runs as application.id-score-<modality>, and its buffer store is changelogged under that.
        PipelineConfig probe = parse(BASE);
        int room = 249 - (ScoringTopology.applicationId(probe, "") + "-" + ScoringTopology.BUFFER_STORE + "-changelog").length();
        String fits = "m".repeat(room);
        PipelineConfig c = parse(withModalities("{name: " + fits + "}", "{name: text}"));
        assertThat(Topic.isValid(ScoringTopology.applicationId(c, fits) + "-" + ScoringTopology.BUFFER_STORE + "-changelog")).isTrue();
        assertThat(problemsOf(withModalities("{name: " + fits + "m}", "{name: text}")))
                .contains("modalities[0].name = '" + fits + "m'").contains("249");
    }

    @Test
    void aTopicNameNamesItsBadCharacter() {
        assertThat(problemsOf(BASE + "output.topic: 'bad topic'\n")).contains("output.topic = 'bad topic'").contains("' '");
        assertThat(problemsOf(BASE + "dead.letter.topic: 'dl/q'\n")).contains("dead.letter.topic = 'dl/q'").contains("'/'");
        assertThat(problemsOf(BASE + "topic.prefix: 'ddsd:'\n")).contains("topic.prefix = 'ddsd:'").contains("':'");
        assertThat(problemsOf(withModalities("{name: audio, topic: 'a,b'}", "{name: text}")))
                .contains("modalities[0] (audio).topic = 'a,b'").contains("','");
    }

    // ---- item 12: YAML read as the file says ----

    @Test
    void anAliasIsRefusedNamingItsKeyAndLine() {
        String aliased = BASE.replace("application.id: app", "application.id: &app ddsd") + "kafka:\n  client.id: *app\n";
        String problems = problemsOf(aliased);
        assertThat(problems).contains("kafka.client.id").contains("line 9").contains("*app").contains("alias");
        assertThat(problemsOf(BASE.replace("classes: [directed, undirected]", "classes: [directed, *app]")))
                .contains("classes[1]").contains("line 4");
        assertThat(problemsOf(BASE + "defaults: &d {max.wait: 1s}\nx:\n  <<: *d\n")).contains("x.<<").contains("alias");
        assertThat(problemsOf(BASE, Map.of("LATEFUSE_CLASSES", "[a, *b]")))
                .contains("classes = '[a, *b]' (from LATEFUSE_CLASSES)").contains("alias");
        // An anchor that nothing refers to reads as written.
        assertThat(parse(BASE.replace("application.id: app", "application.id: &app ddsd")).applicationId()).isEqualTo("ddsd");
    }

    @Test
    void aNumberWithALeadingZeroIsReadAsWritten() {
        // YAML 1.1 reads 0500 as octal: 320.
        assertThat(parse(BASE + "max.wait: 0500\n").maxWait()).isEqualTo(Duration.ofMillis(500));
        assertThat(parse(BASE + "max.wait: 0500\n"))
                .isEqualTo(PipelineConfigLoader.parse(BASE, "test.yaml", Map.of("LATEFUSE_MAX_WAIT", "0500")));
        assertThat(parse(BASE.replace("application.id: app", "application.id: 0500")).applicationId()).isEqualTo("0500");
        assertThat(parse(BASE + "kafka: {ssl.key.password: 01234}\n").kafka()).containsEntry("ssl.key.password", "01234");
        assertThat(parse(BASE + "stream.threads: 010\n").streamThreads()).isEqualTo(10);
        assertThat(problemsOf(withModalities("{name: audio, weight: 010}", "{name: text}")))
                .contains("modalities[0] (audio).weight = '010'").contains("leading zero");
        assertThat(parse(BASE + "max.wait: 500\n").maxWait()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void wordsThatYaml11TookForBooleansAreWords() {
        assertThat(parse(BASE.replace("[directed, undirected]", "[yes, no]")).classes()).containsExactly("yes", "no");
        assertThat(parse(BASE.replace("application.id: app", "application.id: on")).applicationId()).isEqualTo("on");
        assertThat(problemsOf(withModalities("{name: audio, required: no}", "{name: text}")))
                .contains("modalities[0] (audio).required = 'no'").contains("true or false");
        assertThat(parse(withModalities("{name: audio, required: false}", "{name: text}")).modalities().get(0).required())
                .isFalse();
    }

    @Test
    void aSecondDocumentIsRefusedRatherThanIgnored() {
        assertThat(problemsOf(BASE + "---\nmax.wait: 1s\n")).contains("line 9").contains("one YAML document");
        assertThat(parse("---\n" + BASE).applicationId()).isEqualTo("app");
        assertThat(parse(BASE + "...\n").applicationId()).isEqualTo("app");
    }


    // ---- issue 28: the instance id (static membership) ----

    @Test
    void anInstanceIdKafkaWouldRefuseIsRefusedHereNamingTheKey() {
        assertThat(problemsOf(BASE + "instance.id: pod 0\n")).contains("instance.id").contains("' ' (a space)");
        assertThat(problemsOf(BASE + "instance.id: " + "p".repeat(248) + "\n")).contains("instance.id")
                .contains("too long").contains("247 at most");
        assertThat(parse(BASE + "instance.id: " + "p".repeat(247) + "\n").instanceId()).hasSize(247);
    }

    @Test
    void groupInstanceIdInThePassThroughPointsToTheKey() {
        assertThat(problemsOf(BASE + "kafka: {group.instance.id: pod-0}\n")).contains("kafka.group.instance.id")
                .contains("instance.id");
    }
}
