package io.latefuse.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one definition of the config keys: docs/reference.md's config reference is generated from it, and the builder uses it. */
class ConfigReferenceTest {
    private static final String START = "<!-- config-reference: generated from ConfigKeys.markdownTable(); edit it there -->";
    private static final String END = "<!-- /config-reference -->";

    @Test
    void theReferencesConfigTableIsTheDefinitionsTable() throws Exception {
        String readme = Files.readString(Path.of("docs", "reference.md"));
        assertThat(readme).contains(START).contains(END);
        String table = readme.substring(readme.indexOf(START) + START.length(), readme.indexOf(END)).strip() + "\n";
        String expected = ConfigKeys.markdownTable();
        if (!table.equals(expected)) {
            Path fresh = Path.of("target", "config-reference.md");
            Files.createDirectories(fresh.getParent());
            Files.writeString(fresh, expected);
            assertThat(table).as("docs/reference.md's config reference; the generated table is in " + fresh).isEqualTo(expected);
        }
    }

    @Test
    void theReferenceNamesEveryVariableTheCommandsRead() throws Exception {
        String readme = Files.readString(Path.of("docs", "reference.md"));
        assertThat(ConfigKeys.COMMAND_VARIABLES.keySet()).allSatisfy(v -> assertThat(readme).contains("`" + v + "`"));
    }

    @Test
    void everyKeyWithADefaultLoadsWithIt() {
        // A minimal file takes every default from the definition; each must be a valid value of its key.
        PipelineConfig c = PipelineConfigLoader.parse("""
                application.id: a
                bootstrap.servers: b:9092
                schema.registry.url: http://r
                classes: [x, y]
                modalities: [{name: m}]
                """, "test", Map.of());
        assertThat(c.maxWait()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.strategy()).isEqualTo("weighted_mean");
        assertThat(c.outputTopic()).isEqualTo("fused");
        assertThat(ConfigKeys.TOP_LEVEL).filteredOn(ConfigKeys.Key::required).extracting(ConfigKeys.Key::name)
                .containsExactly("application.id", "bootstrap.servers", "schema.registry.url", "classes", "modalities");
    }

    @Test
    void everyScalarKeyCanBeOverriddenFromTheEnvironment(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path points = dir.resolve("points.json");
        new OperatingPoints("p", "weighted_mean", "x", OperatingPoints.Metric.FRR, 0.1, 0.5, 10,
                java.util.List.of(new OperatingPoints.Subset(java.util.List.of("m"), 0.6, 10)), java.util.List.of())
                .write(points);
        java.nio.file.Path profile = dir.resolve("profile.json");
        new HealthProfile(java.util.List.of("x", "y"), Map.of()).write(profile);
        for (ConfigKeys.Key k : ConfigKeys.TOP_LEVEL) {
            if (!k.scalar() || k.name().startsWith("onnx.") || k.name().equals("fusion.level")) {
                continue; // the onnx keys and the fusion levels past late need strategy onnx and a head file
            }
            String value = switch (k.name()) {
                case "max.wait", "punctuation.interval", "max.holdback", "late.retention", "event.time.max.future", "commit.interval",
                        "broker.connect.timeout" -> "7s";
                case "optional.wait" -> "1s";
                case "standby.replicas", "stream.threads" -> "2";
                case "strategy" -> "vote";
                case "deadline.clock" -> "event";
                case "late.policy" -> "drop";
                case "revision.policy" -> "on_change";
                case "revision.min.delta" -> "0.2";
                case "operating.points" -> points.toString();
                case "store.type" -> "memory";
                case "processing.guarantee" -> "at_least_once";
                case "input.partitioner" -> "custom";
                case "output.topic", "dead.letter.topic", "quality.topic", "labelled.topic" -> "env-" + k.name();
                case "labels.retention", "quality.interval" -> "7s";
                case "quality.window" -> "2h";
                case "schema.registry.ssl.truststore.location" -> "pom.xml"; // any readable file
                case "schema.registry.ssl.truststore.type" -> "JKS";
                case "modality.health" -> "observe";
                case "modality.health.window", "modality.health.release.scores" -> "600";
                case "modality.health.stuck.scores" -> "3";
                case "modality.health.max.psi" -> "0.5";
                case "modality.health.max.agreement.drop" -> "0.3";
                case "modality.health.profile" -> profile.toString();
                default -> "from-env";
            };
            String minimal = """
                    application.id: a
                    bootstrap.servers: b:9092
                    schema.registry.url: http://r
                    classes: [x, y]
                    modalities: [{name: m}]
                    """ + (k.name().startsWith("quality.") || k.name().equals("labels.retention")
                    || k.name().equals("labelled.topic") ? "labels.topic: labels\n" : ""); // they need it
            String env = PipelineConfigLoader.envName(k.name());
            assertThat(PipelineConfigLoader.parse(minimal, "test", Map.of(env, value)))
                    .as(k.name() + " from " + env).isNotEqualTo(PipelineConfigLoader.parse(minimal, "test", Map.of()));
        }
    }

    @Test
    void theBuilderValidatesAsAFileDoesAndWritesTheSameConfigAsYaml() {
        PipelineConfigBuilder b = PipelineConfig.builder()
                .applicationId("bench-1")
                .bootstrapServers("localhost:9092")
                .schemaRegistryUrl("http://localhost:8081/apis/ccompat/v7")
                .classes(List.of("directed", "undirected"))
                .modality("acoustic", "t.scores.acoustic")
                .modality("lexical", null)
                .strategy("log_odds")
                .maxWait(Duration.ofMillis(300))
                .storeType(PipelineConfig.StoreType.MEMORY)
                // a value YAML must quote: the builder's file must still read back the same
                .kafka(Map.of("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                        + "username=\"u\" password=\"p: #1\";"));
        PipelineConfig built = b.build();
        assertThat(built.modalities().get(1).topic()).isEqualTo("scores.lexical");
        assertThat(built.maxWait()).isEqualTo(Duration.ofMillis(300));
        assertThat(PipelineConfigLoader.parse(b.toYaml(), "yaml", Map.of())).isEqualTo(built);

        assertThatThrownBy(() -> PipelineConfig.builder().applicationId("a").set("max.wiat", "1s").build())
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("max.wiat: unknown key")
                .hasMessageContaining("bootstrap.servers: missing")
                .hasMessageContaining("modalities: no modalities");
    }
}
