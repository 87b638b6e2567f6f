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
    private static final PipelineConfig HOLDBACK_10S = PipelineConfigLoader.parse("""
            application.id: a
            bootstrap.servers: b:9092
            schema.registry.url: http://r
            classes: [x, y]
            modalities: [{name: m1, topic: t1}, {name: m2, topic: t2}]
            max.holdback: 10s
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

    @Test
    void aPartitionWhoseProgressCannotBeConfirmedHoldsDeadlinesForMaxHoldbackThenIsNamed() {
        long[] wall = {100_000};
        ScriptedInputProgress progress = new ScriptedInputProgress(() -> wall[0]);
        PipelineConfig config = HOLDBACK_10S;
        TaskInputs inputs = new TaskInputs(config, "0_1", 1, progress, wall[0]);
        progress.behind("t2"); // never confirmed: its leader is down since before the task started

        wall[0] += 9_999;
        assertThat(inputs.readTo(wall[0])).as("within max.holdback: waits").isEqualTo(Long.MIN_VALUE);
        assertThat(inputs.unconfirmed(100_000)).singleElement().asString().contains("t2-1")
                .contains("read to nothing confirmed").contains("the test holds it behind");

        wall[0] += 1;
        assertThat(inputs.readTo(wall[0])).as("max.holdback passed: deadlines up to 10 s ago fire").isEqualTo(100_000);
        assertThat(inputs.confirmedReadTo()).isEqualTo(Long.MIN_VALUE);
        wall[0] += 5_000;
        assertThat(inputs.readTo(wall[0])).isEqualTo(105_000);

        // Confirmed again: the bound is off, and deadlines wait for what is read.
        progress.caughtUp("t2");
        assertThat(inputs.readTo(wall[0])).isEqualTo(wall[0]);
        assertThat(inputs.unconfirmed(wall[0])).isEmpty();
    }

    @Test
    void aPartitionBeingReadIsNeverCutShortHoweverFarBehind() {
        long[] wall = {100_000};
        ScriptedInputProgress progress = new ScriptedInputProgress(() -> wall[0]);
        PipelineConfig config = HOLDBACK_10S;
        TaskInputs inputs = new TaskInputs(config, "0_1", 1, progress, wall[0]);
        progress.behind("t2");
        // A backlog an hour old, read a record every 5 s: its mark moves, so it is waited for all along.
        long written = 100_000 - 3_600_000;
        for (int i = 0; i < 20; i++) {
            wall[0] += 5_000;
            written += 1_000;
            inputs.taken(1, i, written);
            assertThat(inputs.readTo(wall[0])).isEqualTo(written - 1);
        }
    }
}
