package io.latefuse.testkit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Reads a topic as a downstream consumer would: read_committed, from the beginning, with a fresh group. */
public final class CommittedReader {
    private CommittedReader() {}

    /**
     * Reads until {@code distinctKeys} different keys were seen, then 2 s more, so that a duplicate would show;
     * or until 90 s passed.
     */
    public static <V> List<ConsumerRecord<String, V>> read(KafkaEnvironment env, String topic, Deserializer<V> values,
                                                           int distinctKeys) {
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), values)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 90_000;
            long settleUntil = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, settleUntil)) {
                for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r);
                    seen.add(r.key());
                }
                if (seen.size() >= distinctKeys && settleUntil == Long.MAX_VALUE) {
                    settleUntil = System.currentTimeMillis() + 2_000;
                }
            }
        }
        return out;
    }
}
