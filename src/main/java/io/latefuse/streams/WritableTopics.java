package io.latefuse.streams;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits until every partition of freshly created topics is led by a broker that takes writes.
 *
 * <p>Why: {@code CreateTopics} returns once the controller has the topic, before the leader has applied it. An
 * idempotent producer that writes at once can see its first request refused with {@code NOT_LEADER_OR_FOLLOWER}
 * while a later one is appended; every retry of the first then fails with {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until
 * {@code delivery.timeout.ms} drops its records (KAFKA-15591; the broker refuses such a first write from Kafka 4.5
 * on). A partition that answers {@code ListOffsets} as its leader takes produce requests too: both need the same
 * leadership.
 */
public final class WritableTopics {
    private WritableTopics() {}

    /** @throws TopicPreflight.TopicCheckException naming the partitions still without a writable leader at {@code timeout} */
    public static void await(Admin admin, Collection<String> topics, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<TopicPartition> pending = null;
        String lastError = "";
        while (true) {
            try {
                if (pending == null) {
                    pending = partitions(admin, topics);
                }
                Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
                pending.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                ListOffsetsResult answers = admin.listOffsets(latest, new ListOffsetsOptions().timeoutMs(5_000));
                List<TopicPartition> still = new ArrayList<>();
                for (TopicPartition tp : pending) {
                    try {
                        answers.partitionResult(tp).get(10, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof RetriableException)) {
                            throw new TopicPreflight.TopicCheckException("Partition " + tp
                                    + " cannot be written: " + e.getCause().getMessage());
                        }
                        still.add(tp);
                        lastError = e.getCause().getMessage();
                    } catch (TimeoutException e) {
                        still.add(tp);
                        lastError = "no answer within 10 s";
                    }
                }
                pending = still;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw new TopicPreflight.TopicCheckException("Cannot describe topics " + topics + ": "
                            + e.getCause().getMessage());
                }
                lastError = e.getCause().getMessage();
            } catch (TimeoutException e) {
                lastError = "no answer within 10 s";
            }
            if (pending != null && pending.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TopicPreflight.TopicCheckException((pending == null ? "Topics " + topics
                        + " cannot be described" : "Partitions " + pending + " have no leader that takes writes")
                        + " after " + timeout.toSeconds() + " s: " + lastError);
            }
            Thread.sleep(100);
        }
    }

    private static List<TopicPartition> partitions(Admin admin, Collection<String> topics)
            throws ExecutionException, TimeoutException, InterruptedException {
        List<TopicPartition> all = new ArrayList<>();
        for (TopicDescription d : admin.describeTopics(topics).allTopicNames().get(10, TimeUnit.SECONDS).values()) {
            d.partitions().forEach(p -> all.add(new TopicPartition(d.name(), p.partition())));
        }
        return all;
    }
}
