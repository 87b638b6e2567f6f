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
 *   <li>The window changelog ({@code emitted}) is stamped on append and keeps what its store keeps plus
 *       {@link #WINDOW_MARGIN} (1 hour; Kafka Streams' {@code windowstore.changelog.additional.retention.ms} is a
 *       day, which stays on the event clock): see {@link #window}.</li>
 * </ul>
 * Topic configs a user sets in the {@code kafka} map ({@code topic.segment.ms}, {@code topic.delete.retention.ms},
 * {@code topic.retention.ms}, {@code topic.message.timestamp.type}, or
 * {@code windowstore.changelog.additional.retention.ms}) win: a per-store config would
 * otherwise override them. Kafka Streams applies these when it creates a changelog; an existing one keeps its configs
 * (the upgrade note in docs/operations.md has the command that changes them).
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

    /**
     * A window store's changelog (compacted and deleted): a segment every 10 minutes, stamped by the broker when
     * written (LogAppendTime), and kept {@code keep} + 1 hour, or + Kafka Streams' day on the event clock.
     *
     * <p>Kafka Streams stamps a changelog record with the record being processed (a score's timestamp, its
     * event_time on the event clock), not with the emission time the store keeps the entry under. Reading a backlog
     * or a backfill, those stamps are hours old, and the broker, which deletes by record timestamp against its own
     * clock, would delete what the store still holds (a review proved a second revision 0 after a failover). Stamped
     * on append, a record is kept from when it was written. On the input and processing_time clocks the store's
     * time is the wall clock, so the hour covers clock skew with room to spare. On the event clock the store's time
     * is stream time, which stands still while no input comes: Kafka's day stays.
     *
     * @param eventClock whether deadlines run on {@code deadline.clock: event}
     */
    public static Map<String, String> window(Duration keep, Properties streams, boolean eventClock) {
        Map<String, String> c = new LinkedHashMap<>();
        putUnlessSet(c, streams, TopicConfig.SEGMENT_MS_CONFIG, SEGMENT.toMillis());
        putUnlessSet(c, streams, TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        Object usersRetention = streams.get(StreamsConfig.topicPrefix(TopicConfig.RETENTION_MS_CONFIG));
        if (usersRetention != null) {
            // Kafka Streams computes a window changelog's retention.ms (store retention + its additional retention)
            // over the user's topic.retention.ms unless the store's own config has it.
            c.put(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(usersRetention).trim());
        } else if (!eventClock && !streams.containsKey(StreamsConfig.WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG)) {
            c.put(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(Saturating.add(keep.toMillis(), WINDOW_MARGIN.toMillis())));
        }
        return c;
    }

    /**
     * How long tombstones are sure to stay in the {@code pending} changelog: ours (1 hour), or the user's
     * {@code topic.delete.retention.ms} if shorter. Not longer: Kafka Streams applies topic configs only when it
     * creates a changelog, so a value raised later may not be the topic's. Local state older than half of it is
     * thrown away at start ({@link io.latefuse.streams.StaleLocalState}).
     */
    public static Duration tombstoneRetention(Properties streams) {
        Object set = streams.get(StreamsConfig.topicPrefix(TopicConfig.DELETE_RETENTION_MS_CONFIG));
        if (set == null) {
            return TOMBSTONE_RETENTION;
        }
        Duration users = Duration.ofMillis(Long.parseLong(String.valueOf(set).trim()));
        return users.compareTo(TOMBSTONE_RETENTION) < 0 ? users : TOMBSTONE_RETENTION;
    }

    private static void putUnlessSet(Map<String, String> c, Properties streams, String key, Object value) {
        if (!streams.containsKey(StreamsConfig.topicPrefix(key))) {
            c.put(key, String.valueOf(value));
        }
    }
}
