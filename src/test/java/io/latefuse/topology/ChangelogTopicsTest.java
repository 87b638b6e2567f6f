package io.latefuse.topology;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class ChangelogTopicsTest {
    private static Properties props(Map<String, String> kafka) {
        Properties p = new Properties();
        p.putAll(kafka);
        return p;
    }

    @Test
    void aKeyValueChangelogRollsEveryTenMinutesAndKeepsTombstonesAnHour() {
        assertThat(ChangelogTopics.keyValue(props(Map.of()))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "segment.ms", "600000", "delete.retention.ms", "3600000"));
        assertThat(ChangelogTopics.tombstoneRetention(props(Map.of()))).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void theWindowChangelogIsStampedOnAppendAndKeepsWhatTheStoreKeepsAndAnHour() {
        assertThat(ChangelogTopics.window(Duration.ofMinutes(11), props(Map.of()), false)).containsExactlyInAnyOrderEntriesOf(
                Map.of("segment.ms", "600000", "message.timestamp.type", "LogAppendTime",
                        "retention.ms", String.valueOf(Duration.ofMinutes(71).toMillis())));
        // A retention too long to add to saturates rather than wraps.
        assertThat(ChangelogTopics.window(Duration.ofMillis(Long.MAX_VALUE - 5), props(Map.of()), false))
                .containsEntry("retention.ms", String.valueOf(Long.MAX_VALUE));
    }

    @Test
    void onTheEventClockKafkaStreamsDayOfMarginStays() {
        // The store's time is stream time, which stands still while no input comes.
        assertThat(ChangelogTopics.window(Duration.ofMinutes(11), props(Map.of()), true))
                .containsOnlyKeys("segment.ms", "message.timestamp.type");
    }

    @Test
    void theUsersTopicConfigsWin() {
        Properties user = props(Map.of("topic.segment.ms", "5000", "topic.delete.retention.ms", "7200000"));
        assertThat(ChangelogTopics.keyValue(user)).isEmpty();
        // The guard's bound never follows a raised value: the topic may still have ours.
        assertThat(ChangelogTopics.tombstoneRetention(user)).isEqualTo(Duration.ofHours(1));
        assertThat(ChangelogTopics.tombstoneRetention(props(Map.of("topic.delete.retention.ms", "60000"))))
                .isEqualTo(Duration.ofMinutes(1));
        // Kafka Streams would compute a window changelog's retention.ms over topic.retention.ms: the store's config
        // carries the user's value.
        assertThat(ChangelogTopics.window(Duration.ofMinutes(11), props(Map.of("topic.retention.ms", "7200000")), false))
                .containsEntry("retention.ms", "7200000");
        assertThat(ChangelogTopics.window(Duration.ofMinutes(11), props(Map.of("topic.retention.ms", "7200000")), true))
                .containsEntry("retention.ms", "7200000");
        assertThat(ChangelogTopics.window(Duration.ofMinutes(11), props(Map.of("topic.message.timestamp.type", "CreateTime")), false))
                .doesNotContainKey("message.timestamp.type");
        // Kafka Streams' own margin for window changelogs: then it computes retention.ms itself.
        assertThat(ChangelogTopics.window(Duration.ofMinutes(11),
                props(Map.of("windowstore.changelog.additional.retention.ms", "60000")), false)).doesNotContainKey("retention.ms");
    }
}
