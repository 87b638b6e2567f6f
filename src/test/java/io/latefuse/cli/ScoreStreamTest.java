package io.latefuse.cli;

import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** ScoreStream against Kafka's MockProducer: what it counts when the broker refuses a score, and how it paces. */
class ScoreStreamTest {
    static PipelineConfig ddsd() {
        return PipelineConfigLoader.load(Path.of("config/ddsd.yaml"), Map.of());
    }

    /**
     * A producer whose sends complete in batches of {@code batch}, in order, as a broker's acknowledgements come: the
     * {@code failAt}-th send (from 1) is refused with {@code errorNext}, every other one acknowledged.
     */
    static final class Refusing<V> extends MockProducer<String, V> {
        private final int failAt;
        private final int batch;
        private int sends;
        private int completed;

        Refusing(int failAt, int batch) {
            super(false, null, new StringSerializer(), (topic, value) -> new byte[0]);
            this.failAt = failAt;
            this.batch = batch;
        }

        static RecordTooLargeException refusal() {
            return new RecordTooLargeException("The message is 1048664 bytes when serialized, which is larger than 1048576");
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<String, V> record, Callback callback) {
            Future<RecordMetadata> f = super.send(record, callback);
            if (++sends % batch == 0) {
                while (completed < sends) {
                    if (++completed == failAt) {
                        errorNext(refusal());
                    } else {
                        completeNext();
                    }
                }
            }
            return f;
        }

        @Override
        public synchronized void flush() {
            while (completed < sends) { // what is still in flight is acknowledged, unless it is the one refused
                if (++completed == failAt) {
                    errorNext(refusal());
                } else {
                    completeNext();
                }
            }
        }
    }

    /** The scores the synthetic generator gives its first {@code events} events. */
    static long scoresOf(long seed, int events) {
        Iterator<ScoreStream.Event> it = ScoreStream.synthetic(seed);
        long n = 0;
        for (int i = 0; i < events; i++) {
            for (float[] s : it.next().scores()) {
                n += s == null ? 0 : 1;
            }
        }
        return n;
    }

    @Test
    void aRefusedScoreStopsTheStreamAndIsCountedApart() throws Exception {
        Refusing<ModalityScore> producer = new Refusing<>(5, 1); // each send completes at once
        ScoreStream.Result done = new ScoreStream(ddsd(), producer, 1, 0, 1)
                .run(ScoreStream.synthetic(1), 30, 100_000, () -> false, e -> { });
        assertThat(producer.history()).as("nothing is sent once the refusal is reported").hasSize(5);
        Deliveries.Counts c = done.scores();
        assertThat(c.sent()).isEqualTo(5);
        assertThat(c.acknowledged()).isEqualTo(4);
        assertThat(c.failed()).isEqualTo(1);
        assertThat(c.allAcknowledged()).isFalse();
        assertThat(c.failure().topic()).isEqualTo(producer.history().get(4).topic()).startsWith("ddsd.scores.");
        assertThat(c.failure().cause()).isInstanceOf(RecordTooLargeException.class);
        assertThat(c.failure().describe()).isEqualTo("RecordTooLargeException: The message is 1048664 bytes when "
                + "serialized, which is larger than 1048576");
    }

    @Test
    void aRefusalReportedLaterStopsTheSendsAfterItAndTheFlushCountsThoseInFlight() throws Exception {
        // Acknowledgements come 8 sends at a time: the 11th send's refusal is seen at the 16th.
        Refusing<ModalityScore> producer = new Refusing<>(11, 8);
        ScoreStream.Result done = new ScoreStream(ddsd(), producer, 1, 0, 1)
                .run(ScoreStream.synthetic(1), 30, 100_000, () -> false, e -> { });
        assertThat(producer.history()).hasSize(16);
        assertThat(done.scores()).extracting(Deliveries.Counts::sent, Deliveries.Counts::acknowledged,
                Deliveries.Counts::failed, Deliveries.Counts::unconfirmed).containsExactly(16L, 15L, 1L, 0L);
        assertThat(done.scores().failure().topic()).isEqualTo(producer.history().get(10).topic());
    }

    @Test
    void whenEveryScoreIsAcknowledgedTheyAreAllCounted() throws Exception {
        Refusing<ModalityScore> producer = new Refusing<>(0, 3); // never refuses; the last ones complete on flush
        ScoreStream.Result done = new ScoreStream(ddsd(), producer, 1, 0, 1)
                .run(ScoreStream.synthetic(1), 30, 100_000, () -> false, e -> { });
        long expected = scoresOf(1, 30);
        assertThat(done.events()).isEqualTo(30);
        assertThat(producer.history()).hasSize((int) expected);
        assertThat(done.scores()).extracting(Deliveries.Counts::sent, Deliveries.Counts::acknowledged,
                Deliveries.Counts::failed).containsExactly(expected, expected, 0L);
        assertThat(done.scores().allAcknowledged()).isTrue();
    }

    @Test
    void aSendRefusedAtOnceCountsAsFailedToo() throws Exception {
        // KafkaProducer throws, rather than calls back, for a record it cannot serialize (the registry is down, say).
        MockProducer<String, ModalityScore> producer = new MockProducer<>(true, null, new StringSerializer(),
                (topic, value) -> new byte[0]);
        producer.sendException = new SerializationException("Error registering Avro schema: the registry is down");
        ScoreStream.Result done = new ScoreStream(ddsd(), producer, 1, 0, 1)
                .run(ScoreStream.synthetic(1), 30, 100_000, () -> false, e -> { });
        assertThat(done.scores()).extracting(Deliveries.Counts::sent, Deliveries.Counts::acknowledged,
                Deliveries.Counts::failed).containsExactly(1L, 0L, 1L);
        assertThat(done.scores().failure().describe())
                .isEqualTo("SerializationException: Error registering Avro schema: the registry is down");
        assertThat(done.scores().failure().topic()).startsWith("ddsd.scores.");
    }

    /** A clock that moves only when slept on, by at least a millisecond a sleep, as Thread.sleep does on Java 17. */
    static class CoarseClock implements ScoreStream.Ticker {
        long now = 1_000_000_000L;
        int sleeps;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleepNanos(long nanos) {
            sleeps++;
            now += Math.max(nanos, 1_000_000L);
        }
    }

    @Test
    void aRateAboveOneEventPerMillisecondHoldsThoughEachSleepTakesAMillisecond() throws Exception {
        CoarseClock clock = new CoarseClock();
        long start = clock.now;
        MockProducer<String, ModalityScore> producer = new MockProducer<>(true, null, new StringSerializer(),
                (topic, value) -> new byte[0]);
        ScoreStream.Result done = new ScoreStream(ddsd(), producer, 1, 0, 1, clock)
                .run(ScoreStream.synthetic(1), 5_000, 5_000, () -> false, e -> { });
        assertThat(done.events()).isEqualTo(5_000);
        assertThat(done.scores().acknowledged()).isEqualTo(scoresOf(1, 5_000));
        // Event 4,999 is due 999.8 ms in; its scores within 5 ms (and a late one 1 ms) after that.
        assertThat(clock.now - start).as("simulated nanoseconds to send 5,000 events at 5,000/s")
                .isBetween(999_800_000L, 1_007_000_000L);
        assertThat(clock.sleeps).as("sleeps, each of a millisecond or more").isLessThanOrEqualTo(1_007);
    }
}
