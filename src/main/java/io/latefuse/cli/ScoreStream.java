package io.latefuse.cli;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.InvalidConfigException;
import io.latefuse.config.PipelineConfig;
import io.latefuse.training.SyntheticDdsd;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Sends events' scores to the modality topics at a fixed rate, the way scorers would: an event's scores arrive
 * within a few milliseconds of each other in random order, late ones after the deadline. Each score carries the
 * true class in {@code attributes.label}. Used by {@code produce} and {@code demo}.
 */
public final class ScoreStream {

    /** One event to send: raw scores [N][C] (null where missing), and which ones arrive late. */
    public record Event(String id, int label, float[][] scores, boolean[] late) {}

    private record Pending(long dueNanos, long seq, String topic, ModalityScore score) {}

    /** What {@link #run} did: events started, and what became of their scores. */
    public record Result(long events, Deliveries.Counts scores) {}

    /** The clock the stream paces by, and its sleep: the system's, or a test's. */
    public interface Ticker {
        Ticker SYSTEM = new Ticker() {
            @Override
            public long nanoTime() {
                return System.nanoTime();
            }

            @Override
            public void sleepNanos(long nanos) throws InterruptedException {
                TimeUnit.NANOSECONDS.sleep(nanos);
            }
        };

        long nanoTime();

        void sleepNanos(long nanos) throws InterruptedException;
    }

    /** The longest sleep, so that a stop is seen soon however low the rate. */
    static final long MAX_SLEEP_NANOS = 50_000_000L;

    private final PipelineConfig config;
    private final Producer<String, ModalityScore> producer;
    private final long lateNanos;
    private final double badRate;
    private final Random rnd;
    private final Ticker ticker;

    /**
     * @param badRate share of events that get one invalid score (NaN), to show the dead-letter path
     */
    public ScoreStream(PipelineConfig config, Producer<String, ModalityScore> producer, long lateMillis, double badRate, long seed) {
        this(config, producer, lateMillis, badRate, seed, Ticker.SYSTEM);
    }

    ScoreStream(PipelineConfig config, Producer<String, ModalityScore> producer, long lateMillis, double badRate, long seed,
                Ticker ticker) {
        this.config = config;
        this.producer = producer;
        this.lateNanos = lateMillis * 1_000_000L;
        this.badRate = badRate;
        this.rnd = new Random(seed);
        this.ticker = ticker;
    }

    public static Iterator<Event> synthetic(long seed) {
        return synthetic(seed, null);
    }

    /** The synthetic DDSD stream, with {@code broken}'s modality breaking as it says (null: none). */
    public static Iterator<Event> synthetic(long seed, SyntheticDdsd.Break broken) {
        SyntheticDdsd gen = new SyntheticDdsd(seed).withBreak(broken);
        return new Iterator<>() {
            public boolean hasNext() {
                return true;
            }

            public Event next() {
                SyntheticDdsd.Utterance u = gen.next();
                return new Event(u.id(), u.directed() ? 0 : 1, u.scores(), u.late());
            }
        };
    }

    /**
     * Sends up to {@code events} events (0: no limit) at {@code rate} per second until {@code stop} says so, or a
     * score fails: then it sends no more, and flushes what is in flight. Paced by the clock: each time it wakes, it
     * starts every event due by then (see {@link Pacer}) and sends every score due, then sleeps until the next.
     */
    public Result run(Iterator<Event> input, long events, double rate, BooleanSupplier stop, Consumer<Event> onEvent)
            throws InterruptedException {
        PriorityQueue<Pending> queue = new PriorityQueue<>((a, b) -> a.dueNanos != b.dueNanos
                ? Long.compare(a.dueNanos, b.dueNanos) : Long.compare(a.seq, b.seq));
        Deliveries deliveries = new Deliveries();
        Pacer pacer = new Pacer(rate, ticker.nanoTime());
        long n = 0;
        long seq = 0;
        while (!stop.getAsBoolean() && !deliveries.failed()) {
            boolean more = (events == 0 || n < events) && input.hasNext();
            if (!more && queue.isEmpty()) {
                break;
            }
            long now = ticker.nanoTime();
            for (long due = pacer.due(now); more && n < due && !deliveries.failed(); ) {
                Event e = input.next();
                onEvent.accept(e);
                queueScores(e, now, queue, seq);
                seq += config.numModalities();
                n++;
                more = (events == 0 || n < events) && input.hasNext();
            }
            while (!queue.isEmpty() && queue.peek().dueNanos <= ticker.nanoTime() && !deliveries.failed()) {
                Pending p = queue.poll();
                deliveries.send(producer, new ProducerRecord<>(p.topic(), null, p.score().getEventTime().toEpochMilli(),
                        p.score().getEventId(), p.score()));
            }
            long next = Math.min(more ? pacer.dueAt(n) : Long.MAX_VALUE,
                    queue.isEmpty() ? Long.MAX_VALUE : queue.peek().dueNanos);
            if (next == Long.MAX_VALUE) {
                continue; // nothing left to send
            }
            long wait = Math.min(next - ticker.nanoTime(), MAX_SLEEP_NANOS);
            if (wait > 0) {
                ticker.sleepNanos(wait);
            }
        }
        producer.flush();
        return new Result(n, deliveries.counts());
    }

    /** Queues an event's scores, each due within 5 ms of {@code now} in random order, a late one later. */
    private void queueScores(Event e, long now, PriorityQueue<Pending> queue, long seq) {
        Instant eventTime = Instant.now();
        boolean bad = rnd.nextDouble() < badRate;
        for (int m = 0; m < config.numModalities(); m++) {
            if (e.scores()[m] == null) {
                continue;
            }
            List<Float> s = new ArrayList<>();
            for (float v : e.scores()[m]) {
                s.add(v);
            }
            if (bad) {
                s.set(0, Float.NaN);
                bad = false;
            }
            String name = config.modalityNames().get(m);
            ModalityScore score = ModalityScore.newBuilder().setEventId(e.id()).setModality(name)
                    .setModel("producer-" + name).setModelVersion("1").setScores(s)
                    .setScoreType(ScoreType.PROBABILITY).setEventTime(eventTime)
                    .setAttributes(Map.of("label", config.classes().get(e.label()))).build();
            long jitter = (long) (rnd.nextDouble() * 5_000_000L);
            queue.add(new Pending(now + jitter + (e.late()[m] ? lateNanos : 0), seq + m,
                    config.modalities().get(m).topic(), score));
        }
    }

    /** Refuses a config the synthetic DDSD generator cannot feed, naming what it needs. */
    public static void requireDdsd(PipelineConfig cfg, String source) {
        List<String> expected = SyntheticDdsd.MODALITIES.stream().map(SyntheticDdsd.Modality::name).toList();
        if (!cfg.modalityNames().equals(expected) || !cfg.classes().equals(List.of("directed", "undirected"))) {
            throw new InvalidConfigException(source, List.of("the ddsd generator needs modalities " + expected
                    + " and classes [directed, undirected]; the config has " + cfg.modalityNames() + " and " + cfg.classes()));
        }
    }
}
