package io.latefuse.bench;

import io.latefuse.avro.ModalityScore;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends a workload's scores, and records for every event the broker's append time of its last on-time score (the
 * topics use LogAppendTime, so the send callback carries it). That is where an event's wait starts.
 */
final class BenchProducer implements AutoCloseable {
    private final KafkaProducer<String, ModalityScore> producer;
    private final BenchWorkload workload;
    private final List<String> topics;
    final AtomicLongArray lastOnTimeAppend;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    BenchProducer(String bootstrapServers, Serializer<ModalityScore> values, BenchWorkload workload, List<String> topics) {
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024),
                new StringSerializer(), values);
        this.workload = workload;
        this.topics = List.copyOf(topics);
        this.lastOnTimeAppend = new AtomicLongArray(workload.events());
    }

    /**
     * As fast as the producer goes. Event times are those of recorded traffic at 1,000 events per second, so that a
     * consumer interleaving the topics by timestamp sees each event's modalities together. Late modalities are
     * sent at the very end, after every on-time one.
     */
    void backlog() {
        long start = System.currentTimeMillis() - workload.events();
        for (int e = 0; e < workload.events(); e++) {
            sendOnTime(workload.plan(e), start + e);
        }
        for (int e = 0; e < workload.events(); e++) {
            BenchWorkload.EventPlan plan = workload.plan(e);
            if (plan.late() >= 0) {
                send(plan, plan.late(), start + e, false);
            }
        }
        producer.flush();
        rethrow();
    }

    /**
     * At {@code ratePerSecond} events per second; a late modality goes {@code lateDelayMs} after its event. Sleeps
     * rather than spins between sends: the broker and the app share the machine.
     */
    void live(double ratePerSecond, long lateDelayMs) {
        long start = System.nanoTime();
        long periodNanos = (long) (1e9 / ratePerSecond);
        Deque<long[]> lateQueue = new ArrayDeque<>(); // {due nanos, event index, event time}
        for (int e = 0; e < workload.events(); e++) {
            long due = start + e * periodNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            sendDueLate(lateQueue, System.nanoTime());
            BenchWorkload.EventPlan plan = workload.plan(e);
            long eventTime = System.currentTimeMillis();
            sendOnTime(plan, eventTime);
            if (plan.late() >= 0) {
                lateQueue.add(new long[] {System.nanoTime() + lateDelayMs * 1_000_000L, e, eventTime});
            }
        }
        while (!lateQueue.isEmpty()) {
            LockSupport.parkNanos(Math.max(0, lateQueue.peekFirst()[0] - System.nanoTime()));
            sendDueLate(lateQueue, System.nanoTime());
        }
        producer.flush();
        rethrow();
    }

    private void sendDueLate(Deque<long[]> queue, long nowNanos) {
        while (!queue.isEmpty() && queue.peekFirst()[0] <= nowNanos) {
            long[] l = queue.pollFirst();
            BenchWorkload.EventPlan plan = workload.plan((int) l[1]);
            send(plan, plan.late(), l[2], false);
        }
    }

    private void sendOnTime(BenchWorkload.EventPlan plan, long eventTime) {
        for (int m = 0; m < topics.size(); m++) {
            if (plan.sendsOnTime(m)) {
                send(plan, m, eventTime, true);
            }
        }
    }

    private void send(BenchWorkload.EventPlan plan, int m, long eventTime, boolean onTime) {
        int e = plan.index();
        producer.send(new ProducerRecord<>(topics.get(m), plan.id(), workload.score(plan, m, eventTime)), (md, ex) -> {
            if (ex != null) {
                failure.compareAndSet(null, ex);
            } else if (onTime) {
                lastOnTimeAppend.accumulateAndGet(e, md.timestamp(), Math::max);
            }
        });
    }

    private void rethrow() {
        if (failure.get() != null) {
            throw new IllegalStateException("producing the workload failed: " + failure.get(), failure.get());
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
