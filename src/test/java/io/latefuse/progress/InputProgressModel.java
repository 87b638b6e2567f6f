package io.latefuse.progress;

import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.LeaderNotAvailableException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.apache.kafka.common.record.TimestampType;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model of what sits around the input-progress bookkeeping, driving the real {@link TrackingConsumer},
 * {@link ConsumerRegistry} and {@link EndOffsetProbe}:
 * <ul>
 *   <li>a broker: a log of append times per partition (offset = index), which answers end offsets (the high
 *       watermark) per partition, late, or fails them, or holds them unanswered while a partition has no leader; and
 *       another producer's transactions on it: while one is open, a read_committed consumer reads nothing from its
 *       first record on (other producers' committed records after it too); committed, its records become readable;
 *       aborted, they are skipped;</li>
 *   <li>Kafka's {@link MockConsumer} under the tracking consumer, fed from that log as a fetch would be;</li>
 *   <li>Kafka Streams, as the consumer's caller: per owned partition a buffer of records handed over, a frontier (the
 *       next offset not processed), commits, aborts (a dirty close and a seek back to the committed offset), and
 *       rebalances (clean revocation commits; a lost partition does not), with another instance processing a
 *       partition while this one does not own it.</li>
 * </ul>
 * The clock is the model's own; every call runs on the calling thread, as on a stream thread.
 */
final class InputProgressModel {
    static final String TOPIC = "scores";
    static final int PARTITIONS = 3;
    static final long INTERVAL = 25;

    long now = 1_000_000;
    final MockConsumer<byte[], byte[]> mock = new MockConsumer<>("earliest");
    final ConsumerRegistry registry = new ConsumerRegistry(() -> now);
    final TrackingConsumer consumer = new TrackingConsumer(mock, registry);
    final ScriptedBrokers brokers = new ScriptedBrokers();
    final EndOffsetProbe probe = new EndOffsetProbe(brokers, List.of(TOPIC), Duration.ofMillis(INTERVAL), () -> now);

    /** The broker's logs: append time per offset. */
    final Map<TopicPartition, List<Long>> log = new HashMap<>();
    /** Partitions this instance owns, and per partition Kafka Streams' buffer and frontier. */
    final Set<TopicPartition> owned = new TreeSet<>((a, b) -> Integer.compare(a.partition(), b.partition()));
    final Map<TopicPartition, ArrayDeque<Long>> buffer = new HashMap<>();
    final Map<TopicPartition, Long> frontier = new HashMap<>();
    /** The group's committed offsets (any instance's). */
    final Map<TopicPartition, Long> committed = new HashMap<>();
    /** Partitions without a leader: their end-offset requests stay unanswered. */
    final Set<TopicPartition> leaderless = new HashSet<>();
    /** Per partition, the first offset of another producer's open transaction: the last stable offset. */
    final Map<TopicPartition, Long> openTransactionFrom = new HashMap<>();
    /** Per partition, the offsets of the open transaction, and of aborted ones. */
    final Map<TopicPartition, Set<Long>> inTransaction = new HashMap<>();
    final Map<TopicPartition, Set<Long>> aborted = new HashMap<>();
    final List<String> history = new ArrayList<>();

    InputProgressModel() {
        registry.endOffsets(probe);
        Map<TopicPartition, Long> zero = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            TopicPartition tp = tp(p);
            log.put(tp, new ArrayList<>());
            inTransaction.put(tp, new HashSet<>());
            aborted.put(tp, new HashSet<>());
            zero.put(tp, 0L);
            setCommitted(tp, 0L);
        }
        mock.updateBeginningOffsets(zero);
        consumer.subscribe(List.of(TOPIC), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                for (TopicPartition tp : partitions) { // a clean revocation commits what was processed
                    setCommitted(tp, frontier.get(tp));
                    disown(tp);
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                for (TopicPartition tp : partitions) {
                    owned.add(tp);
                    buffer.put(tp, new ArrayDeque<>());
                    frontier.put(tp, committed.get(tp)); // the consumer starts there too: the group's committed offset
                }
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                partitions.forEach(InputProgressModel.this::disown);
            }
        });
        mock.rebalance(List.of(tp(0), tp(1), tp(2)));
        poll(0); // registers the stream thread's consumer
    }

    static TopicPartition tp(int p) {
        return new TopicPartition(TOPIC, p);
    }

    private void setCommitted(TopicPartition tp, long offset) {
        committed.put(tp, offset);
        mock.commitSync(Map.of(tp, new OffsetAndMetadata(offset)));
    }

    private void disown(TopicPartition tp) {
        owned.remove(tp);
        buffer.remove(tp);
        frontier.remove(tp);
    }

    // The operations.

    void advance(long ms) {
        now += ms;
        history.add("advance " + ms);
    }

    void append(int p, int n) {
        for (int i = 0; i < n; i++) {
            log.get(tp(p)).add(now);
        }
        history.add("append " + n + " to " + p);
    }

    /** Another producer appends {@code n} records inside its transaction on the partition (opened if none is). */
    void appendInTransaction(int p, int n) {
        TopicPartition tp = tp(p);
        openTransactionFrom.putIfAbsent(tp, (long) log.get(tp).size());
        for (int i = 0; i < n; i++) {
            inTransaction.get(tp).add((long) log.get(tp).size());
            log.get(tp).add(now);
        }
        history.add("append " + n + " to " + p + " in a transaction");
    }

    void commitTransaction(int p) {
        TopicPartition tp = tp(p);
        openTransactionFrom.remove(tp);
        inTransaction.get(tp).clear();
        history.add("commit the transaction on " + p);
    }

    void abortTransaction(int p) {
        TopicPartition tp = tp(p);
        openTransactionFrom.remove(tp);
        aborted.get(tp).addAll(inTransaction.get(tp));
        inTransaction.get(tp).clear();
        history.add("abort the transaction on " + p);
    }

    /** How far a read_committed consumer may read the partition: the last stable offset. */
    long stable(TopicPartition tp) {
        return openTransactionFrom.getOrDefault(tp, (long) log.get(tp).size());
    }

    /**
     * A fetch: up to {@code max} readable records of each owned partition from the consumer's position, then a poll.
     * Aborted records are skipped, and the position moves past them, as Kafka's consumer does.
     */
    void poll(int max) {
        for (TopicPartition tp : owned) {
            if (leaderless.contains(tp)) {
                continue; // no leader to fetch from
            }
            long position = mock.position(tp);
            List<Long> times = log.get(tp);
            long stable = stable(tp);
            long skip = position;
            while (skip < stable && aborted.get(tp).contains(skip)) {
                skip++;
            }
            if (skip > position) {
                mock.seek(tp, skip); // the fetcher's own move past aborted records, which Kafka Streams never sees
                position = skip;
            }
            for (long o = position; o < Math.min(stable, position + max); o++) {
                if (aborted.get(tp).contains(o)) {
                    continue;
                }
                mock.addRecord(new ConsumerRecord<>(TOPIC, tp.partition(), o, times.get((int) o),
                        TimestampType.LOG_APPEND_TIME, 0, 0, new byte[0], new byte[0], new RecordHeaders(), Optional.empty()));
            }
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ZERO);
        for (TopicPartition tp : records.partitions()) {
            records.records(tp).forEach(r -> buffer.get(tp).addLast(r.offset()));
        }
        history.add("poll " + max + ": " + records.count());
    }

    /** Kafka Streams processes the next buffered record of the partition. */
    void process(int p) {
        TopicPartition tp = tp(p);
        ArrayDeque<Long> b = buffer.get(tp);
        if (b == null || b.isEmpty()) {
            return;
        }
        long offset = b.pollFirst();
        registry.seen(tp, offset);
        frontier.put(tp, offset + 1);
        history.add("process " + tp + "@" + offset);
    }

    void commit() {
        owned.forEach(tp -> setCommitted(tp, frontier.get(tp)));
        history.add("commit " + committed);
    }

    /** The transaction aborts: every task of the thread is closed dirty, revived, and sought to its committed offset. */
    void abortAndRevive() {
        for (TopicPartition tp : owned) {
            buffer.get(tp).clear();
            frontier.put(tp, committed.get(tp));
            consumer.seek(tp, new OffsetAndMetadata(committed.get(tp)));
        }
        history.add("abort and revive");
    }

    void revoke(int p) {
        Set<TopicPartition> next = new HashSet<>(mock.assignment());
        next.remove(tp(p));
        mock.rebalance(next);
        history.add("revoke " + p);
    }

    void lose(int p) {
        if (!mock.assignment().contains(tp(p))) {
            return;
        }
        mock.losePartitions(List.of(tp(p)));
        history.add("lose " + p);
    }

    void assign(int p) {
        Set<TopicPartition> next = new HashSet<>(mock.assignment());
        next.add(tp(p));
        mock.rebalance(next);
        history.add("assign " + p);
    }

    /** Another instance processes the partition, which this one does not own, up to {@code upTo} of its log. */
    void processedElsewhere(int p, double upTo) {
        TopicPartition tp = tp(p);
        if (owned.contains(tp)) {
            return; // another instance reads it only while this one does not own it
        }
        long size = log.get(tp).size();
        setCommitted(tp, Math.max(committed.get(tp), Math.min(stable(tp), (long) Math.floor(size * upTo))));
        history.add("processed elsewhere " + tp + " to " + committed.get(tp));
    }

    void askEndOffsets() {
        probe.askOnce();
        history.add("ask end offsets");
    }

    /** The broker answers the partition's outstanding request (unless it has no leader). */
    void answer(int p) {
        brokers.answer(tp(p));
        history.add("answer " + p);
    }

    void fail(int p) {
        brokers.fail(tp(p));
        history.add("fail " + p);
    }

    void leaderDown(int p) {
        leaderless.add(tp(p));
        history.add("leader down " + p);
    }

    void leaderUp(int p) {
        leaderless.remove(tp(p));
        history.add("leader up " + p);
    }

    // What is true.

    /**
     * The append time of the first record of the partition that this instance's processing has not covered (one in
     * an open transaction included; an aborted one not), or null.
     */
    Long firstUnprocessed(TopicPartition tp) {
        List<Long> times = log.get(tp);
        for (long f = frontier.get(tp); f < times.size(); f++) {
            if (!aborted.get(tp).contains(f)) {
                return times.get((int) f);
            }
        }
        return null;
    }

    long readTo(TopicPartition tp) {
        return registry.readTo(tp);
    }

    /** The end-offset requests, answered or failed when the test says so. */
    final class ScriptedBrokers implements EndOffsetProbe.Brokers {
        final Map<TopicPartition, KafkaFutureImpl<ListOffsetsResultInfo>> outstanding = new HashMap<>();

        @Override
        public List<TopicPartition> partitions(Collection<String> topics) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                all.add(tp(p));
            }
            return all;
        }

        @Override
        public Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> endOffsets(Collection<TopicPartition> partitions) {
            Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> out = new HashMap<>();
            for (TopicPartition tp : partitions) {
                KafkaFutureImpl<ListOffsetsResultInfo> f = new KafkaFutureImpl<>();
                outstanding.put(tp, f);
                out.put(tp, f);
            }
            return out;
        }

        /** Answered now: the end is the log's size now, at least what it was when asked. */
        void answer(TopicPartition tp) {
            if (leaderless.contains(tp)) {
                return;
            }
            KafkaFutureImpl<ListOffsetsResultInfo> f = outstanding.remove(tp);
            if (f != null) {
                f.complete(new ListOffsetsResultInfo(log.get(tp).size(), -1, Optional.empty()));
            }
        }

        void fail(TopicPartition tp) {
            KafkaFutureImpl<ListOffsetsResultInfo> f = outstanding.remove(tp);
            if (f != null) {
                f.completeExceptionally(new LeaderNotAvailableException("no leader for " + tp));
            }
        }

        @Override
        public void close() {
        }
    }
}
