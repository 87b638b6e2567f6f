package io.latefuse.topology;

import io.latefuse.config.PipelineConfig.DeadlineClock;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class DeadlineClockRulesTest {
    private static final long STREAM = 1_000;
    private static final long WALL = 5_000;
    private static final long WRITTEN = 4_800;
    private static final long READ_TO = 4_500;

    private static MockProcessorContext<Object, Object> context() {
        MockProcessorContext<Object, Object> c = new MockProcessorContext<>(new Properties());
        c.setCurrentStreamTimeMs(STREAM);
        c.setCurrentSystemTimeMs(WALL);
        return c;
    }

    private static DeadlineClockRules rules(DeadlineClock clock) {
        return new DeadlineClockRules(clock, Duration.ofMillis(300), Duration.ofSeconds(30),
                new ScriptedInputProgress(() -> WALL));
    }

    @Test
    void theInputClockRunsOnWriteTimesAndWaitsForTheInput() {
        DeadlineClockRules input = rules(DeadlineClock.INPUT);
        var c = context();
        assertThat(input.punctuationType()).isEqualTo(PunctuationType.WALL_CLOCK_TIME);
        assertThat(input.now(c)).isEqualTo(WALL);
        assertThat(input.dueBy(c, wall -> Math.min(wall, READ_TO))).isEqualTo(READ_TO);
        assertThat(input.arrival(c, WRITTEN)).isEqualTo(WRITTEN);
        assertThat(input.deadline(STREAM, WRITTEN)).isEqualTo(WRITTEN + 300);
        assertThat(input.firstArrival(WRITTEN, WALL)).isEqualTo(WRITTEN);
        assertThat(input.arrival(c, WALL + 60_000)).as("a producer clock ahead is capped at now").isEqualTo(WALL);
        assertThat(input.waitsForInput()).isTrue();
        assertThat(input.degradedReason(5_100, 5_200, List.of("visual"), List.of(), false))
                .contains("no score of visual was read").contains("every input partition was read past it")
                .doesNotContain("CreateTime");
        assertThat(input.degradedReason(5_100, 5_200, List.of("visual"), List.of(), true))
                .as("on a CreateTime topic, read past it only by the producers' timestamps")
                .contains("on a CreateTime topic, by its producers' timestamps");
        assertThat(input.degradedReason(5_100, 5_200, List.of("visual"), List.of("t.visual-3 (why)"), false))
                .contains("max.holdback 30s passed").contains("t.visual-3 (why)")
                .doesNotContain("every input partition was read past it");
    }

    @Test
    void theEventClockRunsOnStreamTime() {
        DeadlineClockRules event = rules(DeadlineClock.EVENT);
        var c = context();
        assertThat(event.punctuationType()).isEqualTo(PunctuationType.STREAM_TIME);
        assertThat(event.now(c)).isEqualTo(STREAM);
        assertThat(event.dueBy(c, wall -> READ_TO)).isEqualTo(STREAM);
        assertThat(event.arrival(c, WRITTEN)).isEqualTo(STREAM);
        assertThat(event.deadline(900, STREAM)).as("from event_time").isEqualTo(1_200);
        assertThat(event.firstArrival(STREAM, WALL)).as("when it was read").isEqualTo(WALL);
        assertThat(event.waitsForInput()).isFalse();
        assertThat(event.degradedReason(1_200, STREAM, List.of("visual"), List.of(), false)).contains("stream time passed");
    }

    @Test
    void theProcessingTimeClockRunsOnTheWallClockAndDoesNotWait() {
        DeadlineClockRules processing = rules(DeadlineClock.PROCESSING_TIME);
        var c = context();
        assertThat(processing.punctuationType()).isEqualTo(PunctuationType.WALL_CLOCK_TIME);
        assertThat(processing.dueBy(c, wall -> READ_TO)).isEqualTo(WALL);
        assertThat(processing.arrival(c, WRITTEN)).isEqualTo(WALL);
        assertThat(processing.deadline(STREAM, WALL)).isEqualTo(WALL + 300);
        assertThat(processing.firstArrival(WALL, WALL)).isEqualTo(WALL);
        assertThat(processing.degradedReason(5_300, WALL, List.of("visual"), List.of(), false)).contains("does not wait for unread input");
    }

    @Test
    void aDeadlineSaturatesInsteadOfWrapping() {
        assertThat(rules(DeadlineClock.INPUT).deadline(0, Long.MAX_VALUE - 10)).isEqualTo(Long.MAX_VALUE);
    }
}
