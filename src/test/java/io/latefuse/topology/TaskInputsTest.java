package io.latefuse.topology;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TaskInputsTest {
    private static final PipelineConfig CONFIG = PipelineConfigLoader.parse("""
            application.id: a
            bootstrap.servers: b:9092
            schema.registry.url: http://r
            classes: [x, y]
            modalities: [{name: m1, topic: t1}, {name: m2, topic: t2}]
            """, "test", Map.of());

    @Test
    void aTaskIsReadToItsSlowestPartitionAndNeverPastTheWallClock() {
        long[] wall = {10_000};
        ScriptedInputProgress progress = new ScriptedInputProgress(() -> wall[0]);
        TaskInputs inputs = new TaskInputs(CONFIG, "0_3", 3, progress, wall[0]);
        assertThat(inputs.indexOf("t2")).isEqualTo(1);
        assertThat(inputs.indexOf("other")).isEqualTo(-1);

        // Both caught up: read to the wall clock.
        assertThat(inputs.readTo(wall[0])).isEqualTo(10_000);

        // t2 behind, and nothing taken off it since init: nothing counts as read.
        progress.behind("t2");
        assertThat(inputs.readTo(wall[0])).isEqualTo(Long.MIN_VALUE);

        // A record written at 9,000 taken off t2: read to 1 ms before it (its batch may share the timestamp).
        inputs.taken(1, 42, 9_000);
        assertThat(progress.seen).containsEntry(new TopicPartition("t2", 3), 42L);
        assertThat(inputs.readTo(wall[0])).isEqualTo(8_999);

        // An older record read later does not move the mark back.
        inputs.taken(1, 43, 5_000);
        assertThat(inputs.readTo(wall[0])).isEqualTo(8_999);

        // Caught up again: the wall clock, but never past the time asked for.
        progress.caughtUp("t2");
        assertThat(inputs.readTo(9_500)).isEqualTo(9_500);
    }
}
