package io.latefuse.quality;

import io.latefuse.config.PipelineConfig;
import io.latefuse.streams.TopicPreflight;
import org.apache.kafka.clients.admin.Admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The quality app's startup check: every topic it reads or writes exists (or is created with
 * {@code --create-topics}), and the topics it joins by event id (the output topic, the labels topic and, when
 * exporting, the scores topics) have one partition count, so that an event's records meet in one task.
 */
public final class QualityPreflight {
    private QualityPreflight() {}

    /** The topics the join reads, which must be co-partitioned: the output topic first. */
    static List<String> joined(PipelineConfig config) {
        List<String> topics = new ArrayList<>(List.of(config.outputTopic(), config.quality().labelsTopic()));
        if (config.quality().exportsLabelled()) {
            topics.addAll(config.inputTopics());
        }
        return topics;
    }

    /**
     * @param create create missing topics: the joined ones with the output topic's partition count (or
     *               {@code partitions} when it is missing too), the others with {@code partitions}
     * @return the joined topics' partition count
     */
    public static int check(Admin admin, PipelineConfig config, boolean create, Optional<Integer> partitions,
                            Optional<Short> replication) throws InterruptedException {
        List<String> joined = joined(config);
        // The output topic's count, if it exists, is what created joined topics take.
        Map<String, Integer> counts = new LinkedHashMap<>();
        try {
            counts.putAll(TopicPreflight.ensure(admin, List.of(config.outputTopic()), false, Optional.empty(),
                    Optional.empty()));
        } catch (TopicPreflight.TopicCheckException missing) {
            if (!create) {
                throw missing;
            }
        }
        Optional<Integer> joinedPartitions = Optional.ofNullable(counts.get(config.outputTopic())).or(() -> partitions);
        counts.putAll(TopicPreflight.ensure(admin, joined, create, joinedPartitions, replication));
        Set<String> written = new LinkedHashSet<>(List.of(config.quality().qualityTopic(), config.deadLetterTopic()));
        if (config.quality().exportsLabelled()) {
            written.add(config.quality().labelledTopic());
        }
        TopicPreflight.ensure(admin, written, create, partitions, replication);
        Map<String, Integer> joinedCounts = new LinkedHashMap<>();
        joined.forEach(t -> joinedCounts.put(t, counts.get(t)));
        if (new LinkedHashSet<>(joinedCounts.values()).size() > 1) {
            StringBuilder sb = new StringBuilder("The topics latefuse quality joins by event id are not co-partitioned; "
                    + "an event's prediction, label and scores must land in the same partition number, so they need "
                    + "the output topic's partition count:");
            joinedCounts.forEach((t, n) -> sb.append("\n  ").append(t).append(": ").append(n).append(" partitions"));
            throw new TopicPreflight.TopicCheckException(sb.toString());
        }
        return joinedCounts.get(config.outputTopic());
    }
}
