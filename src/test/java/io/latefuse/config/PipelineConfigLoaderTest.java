package io.latefuse.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineConfigLoaderTest {
    private static final String MINIMAL = """
            application.id: app
            bootstrap.servers: k:9092
            schema.registry.url: http://r:8081
            classes: [yes, no]
            modalities:
              - {name: audio}
              - {name: text, weight: 2, topic: custom.text}
            """;

    private static PipelineConfig parse(String yaml) {
        return PipelineConfigLoader.parse(yaml, "test.yaml", Map.of());
    }

    private static String problemsOf(String yaml) {
        return problemsOf(yaml, Map.of());
    }

    @Test
    void theShippedDdsdConfigIsValid() {
        PipelineConfig c = PipelineConfigLoader.load(Path.of("config/ddsd.yaml"), Map.of());
        assertThat(c.modalityNames()).containsExactly("acoustic", "lexical", "prosody", "visual");
        assertThat(c.classes()).containsExactly("directed", "undirected");
        assertThat(c.inputTopics()).containsExactly("ddsd.scores.acoustic", "ddsd.scores.lexical",
                "ddsd.scores.prosody", "ddsd.scores.visual");
        assertThat(c.outputTopic()).isEqualTo("ddsd.fused");
        assertThat(c.deadLetterTopic()).isEqualTo("ddsd.dead-letters");
        assertThat(c.modalities().get(3).required()).isFalse();
        assertThat(c.processingGuarantee()).isEqualTo("exactly_once_v2");
    }

    @Test
    void defaultsApply() {
        PipelineConfig c = parse(MINIMAL);
        assertThat(c.inputTopics()).containsExactly("scores.audio", "custom.text");
        assertThat(c.outputTopic()).isEqualTo("fused");
        assertThat(c.maxWait()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.deadlineClock()).isEqualTo(PipelineConfig.DeadlineClock.INPUT);
        assertThat(c.latePolicy()).isEqualTo(PipelineConfig.LatePolicy.REVISE);
        assertThat(c.storeType()).isEqualTo(PipelineConfig.StoreType.ROCKSDB);
        assertThat(c.processingGuarantee()).isEqualTo("exactly_once_v2");
        assertThat(c.modalities().get(1).weight()).isEqualTo(2.0);
        assertThat(c.modalities().get(0).required()).isTrue();
        assertThat(c.http()).isEqualTo(new PipelineConfig.Http("0.0.0.0", "", ""));
        assertThat(c.revisions()).isEqualTo(new PipelineConfig.Revisions(PipelineConfig.Revisions.Policy.ALWAYS, 0.05));
    }

    @Test
    void environmentVariablesOverrideTheFile() {
        PipelineConfig c = PipelineConfigLoader.parse(MINIMAL, "test.yaml", Map.of(
                "LATEFUSE_BOOTSTRAP_SERVERS", "prod:9093",
                "LATEFUSE_MAX_WAIT", "2s",
                "LATEFUSE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"));
        assertThat(c.bootstrapServers()).isEqualTo("prod:9093");
        assertThat(c.maxWait()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.kafka()).containsEntry("security.protocol", "SASL_SSL");
    }

    @Test
    void aBadValueFromTheEnvironmentNamesTheVariable() {
        assertThat(problemsOf(MINIMAL, Map.of("LATEFUSE_MAX_WAIT", "abc")))
                .contains("max.wait = 'abc' (from LATEFUSE_MAX_WAIT): not a duration");
        assertThat(problemsOf(MINIMAL, Map.of("LATEFUSE_MODALITIES", "[{name: a}, {name: a}]")))
                .contains("modalities[1].name = 'a' (from LATEFUSE_MODALITIES): duplicate modality");
        assertThat(problemsOf(MINIMAL, Map.of("LATEFUSE_KAFKA_PROCESSING_GUARANTEE", "x")))
                .contains("kafka.processing.guarantee (from LATEFUSE_KAFKA_PROCESSING_GUARANTEE)");
    }

    @Test
    void anUnknownLatefuseVariableIsRefusedWithTheNearestName() {
        assertThat(problemsOf(MINIMAL, Map.of("LATEFUSE_MAX_WIAT", "1s")))
                .contains("LATEFUSE_MAX_WIAT: not a latefuse variable; did you mean LATEFUSE_MAX_WAIT (max.wait)?");
        // the commands' own variables are not config keys, and are left alone
        Map<String, String> commands = new java.util.HashMap<>();
        ConfigKeys.COMMAND_VARIABLES.keySet().forEach(v -> commands.put(v, "x"));
        assertThat(PipelineConfigLoader.parse(MINIMAL, "test.yaml", commands)).isEqualTo(parse(MINIMAL));
    }

    @Test
    void listKeysTakeYamlOrJsonFromTheEnvironment() {
        PipelineConfig c = PipelineConfigLoader.parse(MINIMAL, "test.yaml", Map.of(
                "LATEFUSE_CLASSES", "[directed, undirected, unsure]",
                "LATEFUSE_CLASS_PRIORS", "[0.5, 0.25, 0.25]",
                "LATEFUSE_MODALITIES", "[{\"name\": \"acoustic\", \"weight\": 2}, {\"name\": \"visual\", \"required\": false}]"));
        assertThat(c.classes()).containsExactly("directed", "undirected", "unsure");
        assertThat(c.classPriors()).containsExactly(0.5, 0.25, 0.25);
        assertThat(c.modalityNames()).containsExactly("acoustic", "visual");
        assertThat(c.modalities().get(0).weight()).isEqualTo(2.0);
        assertThat(c.modalities().get(1).required()).isFalse();
        assertThat(problemsOf(MINIMAL, Map.of("LATEFUSE_CLASSES", "[a, b")))
                .contains("classes = '[a, b' (from LATEFUSE_CLASSES): not valid YAML or JSON");
    }

    @Test
    void aSettingGivenTwiceIsRefused() {
        assertThat(problemsOf(MINIMAL + "max.wait: 1s\nmax.wait: 2s\n")).contains("Duplicate field 'max.wait'");
        assertThat(problemsOf(MINIMAL + "commit.interval: 1s\nkafka: {commit.interval.ms: 500}\n"))
                .contains("kafka.commit.interval.ms = '500': conflicts with commit.interval = '1s'; set one of them");
        assertThat(problemsOf(MINIMAL + "kafka: {commit.interval.ms: 500}\n", Map.of("LATEFUSE_COMMIT_INTERVAL", "1s")))
                .contains("conflicts with commit.interval = '1s' (from LATEFUSE_COMMIT_INTERVAL)");
        assertThat(parse(MINIMAL + "kafka: {commit.interval.ms: 500}\n").kafka()).containsEntry("commit.interval.ms", "500");
    }

    @Test
    void anEmbeddingOutputNeedsItsSizeAndTheOtherWayRound() {
        assertThat(problemsOf(MINIMAL.replace("  - {name: audio}\n", "  - {name: audio, embedding.output: hidden}\n")))
                .contains("modalities[0] (audio).embedding.size: missing");
        assertThat(problemsOf(MINIMAL.replace("  - {name: audio}\n", "  - {name: audio, embedding.size: 8}\n")))
                .contains("modalities[0] (audio).embedding.output: missing");
        assertThat(problemsOf(MINIMAL.replace("  - {name: audio}\n", "  - {name: audio, embedding.output: h, embedding.size: 0}\n")))
                .contains("modalities[0] (audio).embedding.size = '0': must be a whole number of at least 1");
        PipelineConfig c = parse(MINIMAL.replace("  - {name: audio}\n", "  - {name: audio, embedding.output: h, embedding.size: 8}\n"));
        assertThat(c.modalities().get(0).embeddingOutput()).isEqualTo("h");
        assertThat(c.modalities().get(0).embeddingSize()).isEqualTo(8);
        assertThat(c.modalities().get(1).embeddingOutput()).isNull();
    }

    @Test
    void eachBadValueIsNamedWithItsKey() {
        assertThat(problemsOf(MINIMAL + "colour: blue\n")).contains("colour").contains("unknown key");
        assertThat(problemsOf(MINIMAL.replace("  - {name: audio}\n", "  - {name: audio, topic: ''}\n")))
                .contains("modalities[0] (audio).topic").contains("missing topic");
        assertThat(problemsOf(MINIMAL + "  - {name: audio}\n")).contains("modalities[2].name = 'audio'").contains("duplicate modality");
        assertThat(problemsOf(MINIMAL.replace("weight: 2", "weight: -1"))).contains("modalities[1] (text).weight = '-1'")
                .contains("must not be negative");
        assertThat(problemsOf(MINIMAL.replace("classes: [yes, no]\n", ""))).contains("classes").contains("no classes");
        assertThat(problemsOf(MINIMAL + "max.wait: soon\n")).contains("max.wait = 'soon'").contains("not a duration");
        assertThat(problemsOf(MINIMAL + "late.policy: ignore\n")).contains("late.policy = 'ignore'").contains("revise, drop");
        assertThat(problemsOf(MINIMAL + "strategy: magic\n")).contains("strategy = 'magic'").contains("weighted_mean");
        assertThat(problemsOf(MINIMAL.replace("application.id: app\n", ""))).contains("application.id").contains("LATEFUSE_APPLICATION_ID");
        assertThat(problemsOf(MINIMAL + "kafka: {application.id: x}\n")).contains("kafka.application.id");
        assertThat(problemsOf(MINIMAL + "output.topic: 'bad topic!'\n")).contains("output.topic = 'bad topic!'");
        assertThat(problemsOf(MINIMAL + "revision.min.delta: 1.5\n")).contains("revision.min.delta = '1.5'")
                .contains("less than 1");
        assertThat(problemsOf(MINIMAL + "revision.policy: sometimes\n")).contains("always, on_change");
        assertThat(problemsOf(MINIMAL + "revision.policy: on_change\nlate.policy: drop\n"))
                .contains("revision.policy = 'on_change'").contains("late.policy is drop");
        assertThat(problemsOf(MINIMAL + "http.advertised.host: 'pod-1:9404'\n")).contains("http.advertised.host = 'pod-1:9404'")
                .contains("--metrics-port");
        assertThat(problemsOf(MINIMAL + "kafka: {application.server: 'h:1'}\n")).contains("kafka.application.server")
                .contains("http.advertised.host");
    }

    @Test
    void sixtyFourModalitiesAreTheLimit() {
        StringBuilder sixtyFour = new StringBuilder(MINIMAL.substring(0, MINIMAL.indexOf("modalities:")) + "modalities:\n");
        for (int i = 0; i < 64; i++) {
            sixtyFour.append("  - {name: m").append(i).append("}\n");
        }
        assertThat(parse(sixtyFour.toString()).numModalities()).isEqualTo(64);
        assertThat(problemsOf(sixtyFour + "  - {name: m64}\n")).contains("modalities").contains("65 modalities")
                .contains("at most 64");
    }

    @Test
    void theOldWallClockNameSaysWhatItBecame() {
        assertThat(problemsOf(MINIMAL + "deadline.clock: wall\n")).contains("deadline.clock = 'wall'")
                .contains("input").contains("processing_time");
        assertThat(parse(MINIMAL + "deadline.clock: processing_time\n").deadlineClock())
                .isEqualTo(PipelineConfig.DeadlineClock.PROCESSING_TIME);
    }

    @Test
    void theStreamsGroupProtocolIsRefusedOnTheInputClock() {
        assertThat(problemsOf(MINIMAL + "kafka: {group.protocol: streams}\n")).contains("kafka.group.protocol")
                .contains("deadline.clock input");
        assertThat(parse(MINIMAL + "deadline.clock: event\nkafka: {group.protocol: streams}\n").kafka())
                .containsEntry("group.protocol", "streams");
    }

    @Test
    void negativeDurationsAreRefused() {
        assertThat(problemsOf(MINIMAL + "optional.wait: PT-5S\n")).contains("optional.wait = 'PT-5S'")
                .contains("must not be negative");
        assertThat(problemsOf(MINIMAL + "late.retention: PT-1H\n")).contains("late.retention = 'PT-1H'")
                .contains("must not be negative");
        assertThat(problemsOf(MINIMAL + "max.wait: PT-1S\n")).contains("max.wait = 'PT-1S'");
        assertThat(parse(MINIMAL + "optional.wait: 0ms\nlate.retention: 0ms\n").lateRetention()).isZero();
    }

    @Test
    void eventTimesAreBoundedAheadOfTheClock() {
        assertThat(parse(MINIMAL).eventTimeMaxFuture()).isEqualTo(Duration.ofMinutes(5));
        assertThat(parse(MINIMAL + "event.time.max.future: 30s\n").eventTimeMaxFuture()).isEqualTo(Duration.ofSeconds(30));
        assertThat(problemsOf(MINIMAL + "event.time.max.future: 0s\n")).contains("event.time.max.future = '0s'")
                .contains("greater than zero");
    }

    @Test
    void kafkaKeysTheDeadLetterHandlingDependsOnAreRefused() {
        for (String key : java.util.List.of("deserialization.exception.handler", "default.deserialization.exception.handler",
                "processing.exception.handler", "processing.exception.handler.global.enabled")) {
            assertThat(problemsOf(MINIMAL + "kafka: {" + key + ": x}\n")).contains("kafka." + key)
                    .contains("cannot be overridden");
        }
        assertThat(problemsOf(MINIMAL, Map.of("LATEFUSE_KAFKA_PROCESSING_EXCEPTION_HANDLER", "x")))
                .contains("kafka.processing.exception.handler");
        assertThat(parse(MINIMAL + "kafka: {production.exception.handler: x}\n").kafka())
                .containsEntry("production.exception.handler", "x");
    }

    private static String problemsOf(String yaml, Map<String, String> env) {
        try {
            PipelineConfigLoader.parse(yaml, "test.yaml", env);
        } catch (InvalidConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected the config to be refused");
    }

    @Test
    void allProblemsAreReportedAtOnce() {
        InvalidConfigException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidConfigException.class,
                () -> parse(MINIMAL + "max.wait: soon\nstore.type: floppy\n"));
        assertThat(e.problems()).hasSize(2);
        assertThat(e.getMessage()).startsWith("Invalid config test.yaml:");
    }

    @Test
    void durationsReadHumanAndIsoForms() {
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("PT0.25S")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("40")).isEqualTo(Duration.ofMillis(40));
        assertThatThrownBy(() -> Durations.parse("fast")).isInstanceOf(IllegalArgumentException.class);
    }
}
