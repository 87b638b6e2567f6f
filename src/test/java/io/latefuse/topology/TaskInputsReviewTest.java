package io.latefuse.topology;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.progress.InputProgress;
import org.apache.kafka.common.TopicPartition;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TaskInputs' max.holdback bound, on the paths a review found wrong: what counts as "being read" is evidence of
 * progress, not the value of the read mark; and one leader outage is one episode, one WARN and one INFO.
 */
class TaskInputsReviewTest {
    private static final TopicPartition T1 = new TopicPartition("t1", 0);
    private static final TopicPartition T2 = new TopicPartition("t2", 0);

    private static PipelineConfig config(String holdback) {
        return PipelineConfigLoader.parse("""
                application.id: a
                bootstrap.servers: b:9092
                schema.registry.url: http://r
                classes: [x, y]
                modalities: [{name: m1, topic: t1}, {name: m2, topic: t2}]
                max.holdback: %s
                """.formatted(holdback), "test", Map.of());
    }

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger taskInputsLog = (Logger) LoggerFactory.getLogger(TaskInputs.class);

    private Level levelBefore;

    @BeforeEach
    void captureLog() {
        levelBefore = taskInputsLog.getLevel();
        taskInputsLog.setLevel(Level.INFO); // the INFO that ends an episode too
        logged.start();
        taskInputsLog.addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        taskInputsLog.detachAppender(logged);
        taskInputsLog.setLevel(levelBefore);
    }

    private long count(Level level) {
        return logged.list.stream().filter(e -> e.getLevel() == level).count();
    }

    /** Progress a test sets per partition. */
    private static final class SetProgress implements InputProgress {
        final Map<TopicPartition, Long> readTo = new HashMap<>();
        final Map<TopicPartition, Long> progressedAt = new HashMap<>();

        @Override
        public void seen(TopicPartition partition, long offset) {
        }

        @Override
        public long progressedAt(TopicPartition partition) {
            return progressedAt.getOrDefault(partition, UNKNOWN);
        }

        @Override
        public long readTo(TopicPartition partition) {
            return readTo.getOrDefault(partition, UNKNOWN);
        }

        @Override
        public String why(TopicPartition partition) {
            return "set by the test";
        }
    }

    /**
     * "A partition that is being read (its mark moves), however far behind, must never be cut short by max.holdback."
     * A mark that fell back (a long read_committed transaction committed and exposed records appended while it was
     * open; a CreateTime record stamped in the future set an earlier high) and climbs again, a second at a time, with
     * a record taken off the partition every second, is being read: it must not be released after max.holdback.
     * (The review found TaskInputs judging "moved" by the mark beating its highest value; it now goes by the evidence
     * of progress, {@code InputProgress.progressedAt}.)
     */
    @Test
    void aMarkThatMovesEveryScanButBelowAnEarlierHighIsNotCutShort() {
        long wall = 100_000;
        SetProgress progress = new SetProgress();
        TaskInputs inputs = new TaskInputs(config("10s"), "0_0", 0, progress, wall);
        progress.readTo.put(T1, wall);
        progress.readTo.put(T2, wall);
        assertThat(inputs.readTo(wall)).isEqualTo(wall); // both caught up

        long t2 = wall - 60_000; // t2 falls back a minute, and is read on: its mark climbs a second every second
        for (int s = 1; s <= 20; s++) {
            wall += 1_000;
            t2 += 1_000;
            progress.readTo.put(T1, wall);
            progress.readTo.put(T2, t2);
            progress.progressedAt.put(T1, wall); // caught up as of now
            progress.progressedAt.put(T2, wall); // a record taken off it this second
            assertThat(inputs.readTo(wall)).as("after %s s: t2's mark moved to %s this second", s, t2).isEqualTo(t2);
        }
    }

    @Test
    void oneOutageIsOneEpisodeWithOneWarnAndOneInfoAndOnlyThePartitionWithoutEvidenceIsCut() {
        long wall = 100_000;
        SetProgress progress = new SetProgress();
        TaskInputs inputs = new TaskInputs(config("10s"), "0_0", 0, progress, wall);
        long t2Stale = wall - 1; // t2's leader goes down: its last answer stands, and nothing shows it being read
        for (int s = 1; s <= 30; s++) {
            wall += 1_000;
            progress.readTo.put(T1, wall);
            progress.progressedAt.put(T1, wall);
            progress.readTo.put(T2, t2Stale + (s % 3)); // the stale mark jitters, with no new evidence
            long to = inputs.readTo(wall);
            if (s < 10) {
                assertThat(to).as("within max.holdback after %s s", s).isEqualTo(t2Stale + (s % 3));
            } else {
                assertThat(to).as("past max.holdback after %s s", s).isEqualTo(wall - 10_000);
            }
        }
        assertThat(count(Level.WARN)).as("WARNs for one outage").isEqualTo(1);
        assertThat(count(Level.INFO)).isZero();
        progress.readTo.put(T2, wall); // the leader is back: read to its end as of now
        progress.progressedAt.put(T2, wall);
        assertThat(inputs.readTo(wall)).isEqualTo(wall);
        assertThat(inputs.readTo(wall)).isEqualTo(wall);
        assertThat(count(Level.INFO)).as("INFOs when it is confirmed again").isEqualTo(1);
        assertThat(count(Level.WARN)).isEqualTo(1);
    }
}
