package io.latefuse.testkit;

import io.latefuse.avro.FusedPrediction;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * When each score was written (its Kafka timestamp: the broker's append time on the LogAppendTime topics that
 * {@code --create-topics} makes), read back from the scores topics, to tell a truly late score from a false DEGRADED.
 */
public final class ScoreTimes {
    /** (event id, modality) to write time. */
    private final Map<String, Map<String, Long>> written = new HashMap<>();

    private ScoreTimes() {}

    /** Reads the scores topics {@code <prefix>scores.<modality>}, the default names under a topic prefix. */
    public static ScoreTimes read(KafkaEnvironment env, String topicPrefix, List<String> modalities) {
        Map<String, String> topics = new HashMap<>();
        modalities.forEach(m -> topics.put(m, topicPrefix + "scores." + m));
        return read(env, topics);
    }

    /** Reads every record of the scores topics, by modality. */
    public static ScoreTimes read(KafkaEnvironment env, Map<String, String> topicByModality) {
        ScoreTimes t = new ScoreTimes();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
            Map<String, String> modalityByTopic = topicByModality.entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getValue, Map.Entry::getKey));
            List<TopicPartition> parts = new ArrayList<>();
            for (String topic : topicByModality.values()) {
                c.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            Set<TopicPartition> done = new HashSet<>();
            long deadline = System.currentTimeMillis() + 120_000;
            while (done.size() < parts.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    t.written.computeIfAbsent(r.key(), k -> new HashMap<>())
                            .merge(modalityByTopic.get(r.topic()), r.timestamp(), Math::min);
                }
                for (TopicPartition p : parts) {
                    if (c.position(p) >= end.get(p)) {
                        done.add(p);
                    }
                }
            }
        }
        return t;
    }

    /** Whether a score of the event's {@code modality} was written. */
    public boolean has(String eventId, String modality) {
        return written.containsKey(eventId) && written.get(eventId).containsKey(modality);
    }

    /** When the event's score of {@code modality} was written. */
    public long written(String eventId, String modality) {
        return written.get(eventId).get(modality);
    }

    /** When the event's first score was written. */
    public long firstWrite(String eventId) {
        return written.get(eventId).values().stream().mapToLong(Long::longValue).min().orElseThrow();
    }

    /**
     * For each revision in {@code out} (in output order), how long after its event's first score the score that
     * made it was written.
     */
    public List<Long> revisionLateness(List<ConsumerRecord<String, FusedPrediction>> out) {
        Map<String, List<String>> presentSoFar = new HashMap<>();
        List<Long> lateness = new ArrayList<>();
        List<ConsumerRecord<String, FusedPrediction>> ordered = new ArrayList<>(out);
        ordered.sort(Comparator.comparingInt(r -> r.value().getRevision()));
        for (ConsumerRecord<String, FusedPrediction> r : ordered) {
            FusedPrediction p = r.value();
            List<String> before = presentSoFar.put(p.getEventId(), p.getPresent());
            if (p.getRevision() == 0 || before == null) {
                continue;
            }
            for (String m : p.getPresent()) {
                if (!before.contains(m)) {
                    lateness.add(written.get(p.getEventId()).get(m) - firstWrite(p.getEventId()));
                }
            }
        }
        return lateness;
    }
}
