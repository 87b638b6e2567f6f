package io.latefuse.bench;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.PredictionStatus;
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
 * The soak's output, read as a downstream consumer reads it (read_committed, from the beginning), kept per event:
 * its revision-0 predictions (how many, their status, which modalities they held and named missing), and its
 * revisions (how many, and every modality they held). The arrays are read by the judge only after {@link #stop()}
 * and a join of the reading thread.
 */
final class SoakTally implements Runnable {
    private final String bootstrapServers;
    private final String topic;
    private final List<String> modalities;
    private final Deserializer<FusedPrediction> predictions;
    private final AtomicBoolean stop = new AtomicBoolean();

    final int[] revisionZero;
    final boolean[] degraded;
    /** Bit m: revision 0 held modality m, or named it missing. */
    final long[] present;
    final long[] missing;
    final int[] revisions;
    /** Bit m: a revision held modality m. */
    final long[] revisedPresent;
    final AtomicLong outputs = new AtomicLong();
    final AtomicInteger answered = new AtomicInteger();
    final AtomicLong foreign = new AtomicLong();
    private final AtomicLong lastOutputNanos = new AtomicLong(System.nanoTime());
    private volatile RuntimeException failure;

    SoakTally(String bootstrapServers, String topic, int events, List<String> modalities,
              Deserializer<FusedPrediction> predictions) {
        this.bootstrapServers = bootstrapServers;
        this.topic = topic;
        this.modalities = List.copyOf(modalities);
        this.predictions = predictions;
        this.revisionZero = new int[events];
        this.degraded = new boolean[events];
        this.present = new long[events];
        this.missing = new long[events];
        this.revisions = new int[events];
        this.revisedPresent = new long[events];
    }

    @Override
    public void run() {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = OutputTally.partitionsOf(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!stop.get()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    count(r);
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    private void count(ConsumerRecord<String, byte[]> r) {
        outputs.incrementAndGet();
        lastOutputNanos.set(System.nanoTime());
        int e = SoakBench.eventIndex(r.key(), revisionZero.length);
        if (e < 0) {
            foreign.incrementAndGet();
            return;
        }
        FusedPrediction p = predictions.deserialize(topic, r.headers(), r.value());
        if (p.getRevision() > 0) {
            revisions[e]++;
            revisedPresent[e] |= bits(p.getPresent());
            return;
        }
        if (++revisionZero[e] == 1) {
            degraded[e] = p.getStatus() == PredictionStatus.DEGRADED;
            present[e] = bits(p.getPresent());
            missing[e] = bits(p.getMissing());
            answered.incrementAndGet();
        }
    }

    private long bits(List<String> names) {
        long b = 0;
        for (String m : names) {
            int i = modalities.indexOf(m);
            if (i >= 0) {
                b |= 1L << i;
            }
        }
        return b;
    }

    long idleNanos() {
        return System.nanoTime() - lastOutputNanos.get();
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
