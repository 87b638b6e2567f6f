package io.latefuse.bench;

import io.latefuse.avro.FusedPrediction;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads a variant's output topic (read_committed, from the beginning) and keeps, per event, what the benchmark
 * judges: how many outputs it got, when its answer was appended, and which modalities the answer held.
 * <p>
 * An event's <em>answer</em> is its first revision-0 prediction (latefuse, Flink), its first output of any kind (the DSL,
 * which cannot mark revisions), or for the passthrough the output of its last on-time score. Timestamps are the
 * broker's append times: the benchmark's topics use LogAppendTime.
 */
final class OutputTally implements Runnable {
    private final String bootstrapServers;
    private final String topic;
    private final BenchWorkload workload;
    private final Variant.Kind kind;
    private final Deserializer<FusedPrediction> predictions;
    private final AtomicBoolean stop = new AtomicBoolean();

    /** Outputs that count as an answer: revision 0 (latefuse), any (DSL), any record (passthrough). */
    final int[] answerOutputs;
    /** Revisions (latefuse's labelled updates after a late score) per event. */
    final int[] revisionsOf;
    final long[] answerAppend;
    /** Bit m set: the answer held modality m. */
    final long[] answerPresent;
    final AtomicLong outputs = new AtomicLong();
    final AtomicLong revisions = new AtomicLong();
    final AtomicInteger answered = new AtomicInteger();
    final AtomicLong lastOutputSeenNanos = new AtomicLong(System.nanoTime());
    private volatile RuntimeException failure;

    OutputTally(String bootstrapServers, String topic, BenchWorkload workload, Variant.Kind kind,
                Deserializer<FusedPrediction> predictions) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.workload = workload;
        this.kind = kind;
        this.predictions = predictions;
        this.answerOutputs = new int[workload.events()];
        this.revisionsOf = new int[workload.events()];
        this.answerAppend = new long[workload.events()];
        this.answerPresent = new long[workload.events()];
    }

    @Override
    public void run() {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = partitionsOf(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!stop.get()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(50))) {
                    count(r);
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    /**
     * The topic's partitions. A topic created a moment ago may not be in the consumer's metadata yet, and then has
     * none: ask again, rather than assign nothing and fail the run.
     */
    static List<TopicPartition> partitionsOf(KafkaConsumer<?, ?> consumer, String topic) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (!partitions.isEmpty()) {
                return partitions;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " has no partitions after 30 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the partitions of " + topic, e);
            }
        }
    }

    private void count(ConsumerRecord<String, byte[]> r) {
        outputs.incrementAndGet();
        lastOutputSeenNanos.set(System.nanoTime());
        int e = eventIndex(r.key());
        if (e < 0) {
            return;
        }
        switch (kind) {
            case PASSTHROUGH -> {
                if (++answerOutputs[e] == workload.onTimeCount(workload.plan(e))) {
                    answered(e, r.timestamp(), 0);
                }
            }
            case LATEFUSE, FLINK, DSL, SERDE_PASSTHROUGH -> {
                FusedPrediction p = predictions.deserialize(topic, r.headers(), r.value());
                if ((kind == Variant.Kind.LATEFUSE || kind == Variant.Kind.FLINK) && p.getRevision() > 0) {
                    revisions.incrementAndGet();
                    revisionsOf[e]++;
                    return;
                }
                if (++answerOutputs[e] == 1) {
                    long present = 0;
                    for (String m : p.getPresent()) {
                        present |= 1L << workload.modalities().indexOf(m);
                    }
                    answered(e, r.timestamp(), present);
                }
            }
        }
    }

    private void answered(int e, long append, long present) {
        answerAppend[e] = append;
        answerPresent[e] = present;
        answered.incrementAndGet();
    }

    private int eventIndex(String key) {
        if (key == null || !key.startsWith("ev-")) {
            return -1;
        }
        try {
            int e = Integer.parseInt(key, 3, key.length(), 10);
            return e < workload.events() ? e : -1;
        } catch (NumberFormatException ex) {
            return -1;
        }
    }

    /** Nanoseconds since the last output arrived. */
    long idleNanos() {
        return System.nanoTime() - lastOutputSeenNanos.get();
    }

    void stop() {
        stop.set(true);
    }

    void rethrow() {
        if (failure != null) {
            throw new IllegalStateException("reading " + topic + " failed: " + failure, failure);
        }
    }
}
