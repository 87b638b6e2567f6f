package io.latefuse.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Review of modality.health's config checks. */
class HealthConfigReviewTest {
    static PipelineConfig parse(String extra) {
        return PipelineConfigLoader.parse(HealthConfigTest.MINIMAL + extra, "test", Map.of());
    }

    /** Checked and fine: every YAML spelling that reads as false, and the environment's string "off". */
    @Test
    void offInAnySpellingIsOff() {
        for (String y : new String[] {"off", "Off", "OFF", "false", "'off'"}) {
            assertThat(parse("modality.health: " + y + "\n").health().mode()).as(y)
                    .isEqualTo(PipelineConfig.Health.Mode.OFF);
        }
        assertThat(PipelineConfigLoader.parse(HealthConfigTest.MINIMAL, "test", Map.of("LATEFUSE_MODALITY_HEALTH", "off"))
                .health().mode()).isEqualTo(PipelineConfig.Health.Mode.OFF);
        assertThat(PipelineConfigLoader.parse(HealthConfigTest.MINIMAL + "modality.health: quarantine\n", "test",
                Map.of("LATEFUSE_MODALITY_HEALTH_QUARANTINED", "[m]")).health().quarantined()).containsExactly("m");
    }

    /**
     * A misspelt mode is named, but the loader then goes on with OFF (enumValue's fallback) and adds a second,
     * false problem: "modality.health.quarantined ... takes effect only under modality.health: quarantine, but it is
     * off" - the user wrote quarantine (misspelt), not off.
     */
    @Test
    void aMisspeltModeIsNotReportedAsOff() {
        assertThatThrownBy(() -> parse("modality.health: quarantin\nmodality.health.quarantined: [m]\n"))
                .hasMessageContaining("modality.health = 'quarantin'")
                .hasMessageNotContaining("but it is off");
    }

    /**
     * modality.health.window has a lower bound only. Each monitor allocates byte[window][classes] and a boolean[window]
     * per modality, and ModalityHealth a long[window], when the topology is built: a window of 2e9 is accepted here and
     * fails at start-up with OutOfMemoryError (or NegativeArraySize), not as a named config problem.
     */
    @Test
    void anAbsurdWindowIsNamed() {
        assertThatThrownBy(() -> parse("modality.health: quarantine\nmodality.health.window: 2000000000\n"))
                .hasMessageContaining("modality.health.window");
    }
}
