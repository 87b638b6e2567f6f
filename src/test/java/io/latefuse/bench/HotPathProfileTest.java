package io.latefuse.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HotPathProfileTest {
    private static final List<String> VARIANTS = List.of("passthrough-eos", "serde-passthrough-eos", "latefuse-memory-eos");

    @Test
    void samplesCountForTheStreamThreadOfTheirVariantOnly() {
        String app = "bench-1c126a-backlog-%s-r2-40d400ca-59db-4467-b3c8-1202ff85d66e-StreamThread-1";
        assertThat(HotPathProfile.variantOf(app.formatted("latefuse-memory-eos"), VARIANTS, "backlog"))
                .isEqualTo("latefuse-memory-eos");
        // The passthrough's name is a suffix of the serde passthrough's: each is told apart.
        assertThat(HotPathProfile.variantOf(app.formatted("serde-passthrough-eos"), VARIANTS, "backlog"))
                .isEqualTo("serde-passthrough-eos");
        assertThat(HotPathProfile.variantOf(app.formatted("passthrough-eos"), VARIANTS, "backlog"))
                .isEqualTo("passthrough-eos");
        // Its producer's network thread and its consumer's threads carry its name with a suffix: not the stream thread.
        assertThat(HotPathProfile.variantOf("kafka-producer-network-thread | " + app.formatted("latefuse-memory-eos")
                + "-producer", VARIANTS, "backlog")).isNull();
        // Warm-up passes are not measured.
        assertThat(HotPathProfile.variantOf("bench-1c126a-backlog-latefuse-memory-eos-warmup-4d-StreamThread-1",
                VARIANTS, "backlog")).isNull();
    }
}
