package io.latefuse.topology;

import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Topic configs of the stores' changelogs, so that what a restore reads stays bounded however long the app runs.
 *
 * <p>With the broker's defaults a changelog segment rolls at 1 GB or after 7 days, and only a rolled segment is
 * compacted or deleted: the 60-minute soak (docs/BENCHMARKS.md) saw each changelog partition still one segment at
 * 55 minutes, the {@code emitted} one 93 MB although {@code late.retention} was 2 minutes, and a restore after a kill
 * take 4.8 s at 5 minutes and 38 s at 45. Here:
 * <ul>
 *   <li>Every changelog rolls a segment every {@link #SEGMENT} (10 minutes).</li>
 *   <li>Key-value changelogs ({@code pending}) keep a tombstone for {@link #TOMBSTONE_RETENTION} (1 hour, the
 *       broker's default is a day). An event's entry ends as a tombstone, so they are most of what a restore reads.
 *       A reader must get from the entry to its tombstone within that time, or it keeps the entry:
 *       {@link io.latefuse.streams.StaleLocalState} throws local state away before it is that old.</li>
 *   <li>The window changelog ({@code emitted}) keeps what its store keeps plus {@link #WINDOW_MARGIN} (1 hour,
 *       Kafka Streams' {@code windowstore.changelog.additional.retention.ms} is a day). The broker deletes by each
 *       record's timestamp against its own clock, the store by stream time: the margin is how far stream time may
 *       lag the clock (an app catching up after being down) before a crash could restore less than the store
 *       held.</li>
 * </ul>
 * Topic configs a user sets in the {@code kafka} map ({@code topic.segment.ms}, {@code topic.delete.retention.ms},
 * {@code topic.retention.ms}, or {@code windowstore.changelog.additional.retention.ms}) win: a per-store config would
 * otherwise override them. Kafka Streams applies these when it creates a changelog; an existing one keeps its configs
 * (the README's upgrade note has the command that changes them).
 */
public final class ChangelogTopics {
    public static final Duration SEGMENT = Duration.ofMinutes(10);
    public static final Duration TOMBSTONE_RETENTION = Duration.ofHours(1);
    public static final Duration WINDOW_MARGIN = Duration.ofHours(1);

    private ChangelogTopics() {}

    /** A key-value store's changelog (compacted): a segment every 10 minutes, tombstones kept an hour. */
    public static Map<String, String> keyValue(Properties streams) {
        Map<String, String> c = new LinkedHashMap<>();
        putUnlessSet(c, streams, TopicConfig.SEGMENT_MS_CONFIG, SEGMENT.toMillis());
        putUnlessSet(c, streams, TopicConfig.DELETE_RETENTION_MS_CONFIG, TOMBSTONE_RETENTION.toMillis());
        return c;
    }

    /** A window store's changelog (compacted and deleted): a segment every 10 minutes, kept {@code keep} + 1 hour. */
    public static Map<String, String> window(Duration keep, Properties streams) {
        Map<String, String> c = new LinkedHashMap<>();
        putUnlessSet(c, streams, TopicConfig.SEGMENT_MS_CONFIG, SEGMENT.toMillis());
        if (!streams.containsKey(StreamsConfig.WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG)) {
            putUnlessSet(c, streams, TopicConfig.RETENTION_MS_CONFIG,
                    Saturating.add(keep.toMillis(), WINDOW_MARGIN.toMillis()));
        }
        return c;
    }

    /**
     * How long tombstones stay in the {@code pending} changelog: ours, or the user's {@code topic.delete.retention.ms}.
     * Local state older than half of it is thrown away at start ({@link io.latefuse.streams.StaleLocalState}).
     */
    public static Duration tombstoneRetention(Properties streams) {
        Object set = streams.get(StreamsConfig.topicPrefix(TopicConfig.DELETE_RETENTION_MS_CONFIG));
        return set == null ? TOMBSTONE_RETENTION : Duration.ofMillis(Long.parseLong(String.valueOf(set).trim()));
    }

    private static void putUnlessSet(Map<String, String> c, Properties streams, String key, long value) {
        if (!streams.containsKey(StreamsConfig.topicPrefix(key))) {
            c.put(key, String.valueOf(value));
        }
    }
}
