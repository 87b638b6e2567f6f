package io.latefuse.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The quality keys: one nested record, null without labels.topic, defaults from ConfigKeys, bad values named. */
class QualityConfigTest {
    private static final String MINIMAL = """
            application.id: a
            bootstrap.servers: b:9092
            schema.registry.url: http://r
            topic.prefix: p.
            classes: [x, y]
            modalities: [{name: m}]
            """;

    private static PipelineConfig parse(String extra) {
        return PipelineConfigLoader.parse(MINIMAL + extra, "test", Map.of());
    }

    @Test
    void withoutLabelsTopicThereIsNoQuality() {
        assertThat(parse("").quality()).isNull();
    }

    @Test
    void theDefaults() {
        PipelineConfig.Quality q = parse("labels.topic: p.labels\n").quality();
        assertThat(q).isEqualTo(new PipelineConfig.Quality("p.labels", Duration.ofDays(7), "p.quality",
                Duration.ofHours(1), Duration.ofMinutes(1), null));
        assertThat(q.exportsLabelled()).isFalse();
    }

    @Test
    void theEnvironmentSetsThem() {
        PipelineConfig c = PipelineConfigLoader.parse(MINIMAL, "test", Map.of("LATEFUSE_LABELS_TOPIC", "l",
                "LATEFUSE_LABELLED_TOPIC", "ld", "LATEFUSE_QUALITY_WINDOW", "10m"));
        assertThat(c.quality().labelledTopic()).isEqualTo("ld");
        assertThat(c.quality().window()).isEqualTo(Duration.ofMinutes(10));
        java.lang.reflect.RecordComponent[] components = PipelineConfig.class.getRecordComponents();
        assertThat(components[components.length - 1].getName()).as("the last component").isEqualTo("quality");
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> parse("quality.window: 10m\n")).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("quality.window = '10m': is set, but labels.topic is not");
        assertThatThrownBy(() -> parse("labels.topic: l\nquality.window: 30s\n"))
                .hasMessageContaining("quality.window = '30s': must be at least quality.interval = '1m'");
        assertThatThrownBy(() -> parse("labels.topic: p.fused\n"))
                .hasMessageContaining("labels.topic = 'p.fused': must differ from the input, output and dead-letter topics");
        assertThatThrownBy(() -> parse("labels.topic: l\nlabelled.topic: l\n"))
                .hasMessageContaining("labelled.topic = 'l': must differ");
        assertThatThrownBy(() -> parse("labels.topic: l\nlabels.retention: 0\n"))
                .hasMessageContaining("labels.retention = '0': must be greater than zero");
        String longId = "a".repeat(249 - "-quality-quality-window-outcomes-changelog".length() + 1);
        assertThatThrownBy(() -> PipelineConfigLoader.parse(MINIMAL.replace("application.id: a", "application.id: " + longId)
                + "labels.topic: l\n", "test", Map.of()))
                .hasMessageContaining("too long for latefuse quality");
        assertThatThrownBy(() -> parse("labels.topic: 'bad topic'\n"))
                .hasMessageContaining("labels.topic = 'bad topic': not a valid Kafka topic name");
    }
}
