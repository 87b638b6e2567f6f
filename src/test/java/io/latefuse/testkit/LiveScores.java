package io.latefuse.testkit;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Live scorer traffic: events at a fixed rate, each modality's score written after its own scorer latency, drawn
 * uniformly from [0, maxLatencyMs]. Runs on its own thread until {@link #join}; every score is sent, or the failure
 * is kept for the test to report.
 */
public final class LiveScores {
    private final Thread thread;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private volatile int sentEvents;
    /** Under {@link #transactional}: how often the scorer commits, in ms; 0 for a plain producer. */
    private volatile long commitEveryMs;

    /** One score due at a time. */
    private record Due(long atNanos, String eventId, String modality, Instant eventTime) {}

    /**
     * @param topicOf the scores topic of a modality
     * @param skip    events for which a modality is never sent (its scorer failed): (event index, modality index)
     */
    public LiveScores(KafkaEnvironment env, List<String> modalities, java.util.function.Function<String, String> topicOf,
                      String idPrefix, int events, double perSecond, int maxLatencyMs, long seed,
                      java.util.function.BiPredicate<Integer, Integer> skip) {
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        // Scorers register their schema when they start, not on an event's first send: registering a fresh subject
        // can take a second, which would make the first events' other scores truly late.
        try (SchemaRegistry registry = SchemaRegistry.connect(rc)) {
            for (String m : modalities) {
                registry.register(topicOf.apply(m) + "-value", ModalityScore.getClassSchema());
            }
        }
        thread = new Thread(() -> {
            Map<String, Object> props = new java.util.HashMap<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 2));
            long commitEvery = commitEveryMs;
            if (commitEvery > 0) {
                props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "live-scores-" + java.util.UUID.randomUUID());
            }
            try (KafkaProducer<String, ModalityScore> p = new KafkaProducer<>(props,
                    new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
                long nextCommit = Long.MAX_VALUE;
                if (commitEvery > 0) {
                    p.initTransactions();
                    p.beginTransaction();
                    nextCommit = System.nanoTime() + commitEvery * 1_000_000L;
                }
                Random rnd = new Random(seed);
                PriorityQueue<Due> queue = new PriorityQueue<>((a, b) -> Long.compare(a.atNanos(), b.atNanos()));
                long start = System.nanoTime();
                long interval = (long) (1e9 / perSecond);
                int next = 0;
                while (next < events || !queue.isEmpty()) {
                    long nextEventAt = next < events ? start + next * interval : Long.MAX_VALUE;
                    Due due = queue.peek();
                    long at = Math.min(nextEventAt, due == null ? Long.MAX_VALUE : due.atNanos());
                    if (System.nanoTime() >= nextCommit) {
                        commit(p);
                        p.beginTransaction();
                        nextCommit += commitEvery * 1_000_000L;
                        continue;
                    }
                    long wait = Math.min(at, nextCommit) - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait); // sleep, not spin: 2 cores
                        continue;
                    }
                    if (at == nextEventAt) {
                        String id = idPrefix + next;
                        Instant now = Instant.now();
                        for (int m = 0; m < modalities.size(); m++) {
                            long latency = (long) (rnd.nextDouble() * maxLatencyMs * 1_000_000L);
                            if (!skip.test(next, m)) {
                                queue.add(new Due(nextEventAt + latency, id, modalities.get(m), now));
                            }
                        }
                        sentEvents = ++next;
                    } else {
                        queue.poll();
                        p.send(new ProducerRecord<>(topicOf.apply(due.modality()), due.eventId(), ModalityScore.newBuilder()
                                .setEventId(due.eventId()).setModality(due.modality()).setModel(due.modality())
                                .setModelVersion("1").setScores(List.of(0.6f, 0.4f)).setScoreType(ScoreType.PROBABILITY)
                                .setEventTime(due.eventTime()).build()), (md, ex) -> {
                                    if (ex != null) {
                                        failure.compareAndSet(null, ex);
                                    }
                                });
                    }
                }
                if (commitEvery > 0) {
                    commit(p);
                }
                p.flush();
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        }, "live-scores");
    }

    /**
     * Writes every score inside a transaction, committed every {@code commitEveryMs}, as an exactly-once scorer does
     * (`latefuse score` commits every 100 ms). Call before {@link #start}.
     */
    public LiveScores transactional(long commitEveryMs) {
        this.commitEveryMs = commitEveryMs;
        return this;
    }

    private static void commit(KafkaProducer<String, ModalityScore> p) {
        p.commitTransaction();
    }

    public LiveScores start() {
        thread.start();
        return this;
    }

    /** Events whose first score is due by now. */
    public int sentEvents() {
        return sentEvents;
    }

    /** Waits for every score to be sent; throws the first send failure. */
    public void join(long millis) throws Exception {
        thread.join(millis);
        if (thread.isAlive()) {
            throw new IllegalStateException("the live producer did not finish within " + millis + " ms");
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }
}
