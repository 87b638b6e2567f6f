package io.latefuse.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** modality.health's keys: defaults, the YAML spelling of off, and each mistake named. */
class HealthConfigTest {
    static final String MINIMAL = """
            application.id: a
            bootstrap.servers: b:9092
            schema.registry.url: http://r
            classes: [x, y]
            modalities: [{name: m}, {name: n}]
            """;

    static PipelineConfig parse(String extra) {
        return PipelineConfigLoader.parse(MINIMAL + extra, "test", Map.of());
    }

    @Test
    void offByDefaultAndAnUnquotedOffIsOff() {
        assertThat(parse("").health().mode()).isEqualTo(PipelineConfig.Health.Mode.OFF);
        assertThat(parse("modality.health: off\n").health().mode()).isEqualTo(PipelineConfig.Health.Mode.OFF);
        PipelineConfig.Health h = parse("modality.health: quarantine\n").health();
        assertThat(h.mode()).isEqualTo(PipelineConfig.Health.Mode.QUARANTINE);
        assertThat(h.window()).isEqualTo(500);
        assertThat(h.stuckScores()).isEqualTo(50);
        assertThat(h.maxPsi()).isEqualTo(0.25);
        assertThat(h.maxAgreementDrop()).isEqualTo(0.25);
        assertThat(h.releaseScores()).isEqualTo(500);
        assertThat(h.profile()).isNull();
    }

    @Test
    void eachMistakeIsNamed() {
        assertThatThrownBy(() -> parse("modality.health: on\n")).hasMessageContaining("modality.health")
                .hasMessageContaining("off, observe, quarantine");
        assertThatThrownBy(() -> parse("modality.health: observe\nmodality.health.quarantined: [m]\n"))
                .hasMessageContaining("modality.health.quarantined").hasMessageContaining("only under");
        assertThatThrownBy(() -> parse("modality.health: quarantine\nmodality.health.trusted: [video]\n"))
                .hasMessageContaining("modality.health.trusted = 'video'").hasMessageContaining("configured: m, n");
        assertThatThrownBy(() -> parse("modality.health: quarantine\nmodality.health.trusted: [m]\n"
                + "modality.health.quarantined: [m]\n")).hasMessageContaining("name it in one");
        assertThatThrownBy(() -> parse("modality.health.window: 100\n")).hasMessageContaining("modality.health.window")
                .hasMessageContaining("at least 300");
        assertThatThrownBy(() -> parse("modality.health.max.agreement.drop: 0\n"))
                .hasMessageContaining("modality.health.max.agreement.drop");
        assertThatThrownBy(() -> parse("modality.health.max.psi: -1\n")).hasMessageContaining("modality.health.max.psi");
    }

    @Test
    void aProfileForOtherClassesOrModalitiesIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Path other = dir.resolve("other.json");
        double[][] edges = new double[2][9];
        double[][] fractions = new double[2][10];
        for (int k = 0; k < 2; k++) {
            for (int b = 0; b < 9; b++) {
                edges[k][b] = (b + 1) / 10.0;
            }
            java.util.Arrays.fill(fractions[k], 0.1);
        }
        new HealthProfile(List.of("x", "z"), Map.of("video", new HealthProfile.Modality(edges, fractions, 0.8, 100)))
                .write(other);
        assertThatThrownBy(() -> parse("modality.health: observe\nmodality.health.profile: " + other + "\n"))
                .hasMessageContaining(other.toString()).hasMessageContaining("classes [x, z]")
                .hasMessageContaining("modality 'video'");
        Path good = dir.resolve("good.json");
        new HealthProfile(List.of("x", "y"), Map.of("m", new HealthProfile.Modality(edges, fractions, 0.8, 100)))
                .write(good);
        PipelineConfig c = parse("modality.health: observe\nmodality.health.profile: " + good + "\n");
        assertThat(c.health().profile().modalities()).containsOnlyKeys("m");
        assertThat(c.health().profile().modalities().get("m").agreement()).isEqualTo(0.8);
        assertThatThrownBy(() -> parse("modality.health.profile: " + dir.resolve("none.json") + "\n"))
                .hasMessageContaining("cannot be read as latefuse profile's output");
    }
}
