package io.latefuse.progress;

import io.latefuse.streams.DeadLetterDeserializationHandler;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.LogContext;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.SourceNode;
import org.apache.kafka.streams.processor.internals.StampedRecord;
import org.apache.kafka.streams.processor.internals.metrics.StreamsMetricsImpl;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
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

import static io.latefuse.progress.InputProgressModel.INTERVAL;
import static io.latefuse.progress.InputProgressModel.tp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Defects a review of the input-progress change proved, each a test that failed on the code as reviewed: a record
 * buffered with a timestamp ahead of the wall clock, and a corrupt record dead-lettered while the one before it is
 * still to be processed. {@link Rig} is a small harness over the real classes (Kafka's MockConsumer underneath).
 */
public class TrackingConsumerReviewTest {

    // ---------------------------------------------------------------------------------------------------------------
    // TrackingConsumer.readTo

    /**
     * "Never past the wall clock": with records waiting in Kafka Streams' buffer, readTo is the first one's timestamp
     * less 1 ms, uncapped. A broker clock ahead of the app's (which docs/concepts.md says "only delays" answers) or a CreateTime
     * score stamped in the future (an edge case in docs/concepts.md) puts it past the wall clock.
     */
    @Test
    void readToWithRecordsBufferedIsNeverPastTheWallClock() {
        InputProgressModel m = new InputProgressModel();
        m.log.get(tp(0)).add(m.now + 5_000); // stamped by a broker clock 5 s ahead of the app's
        m.poll(10); // polled, waiting in Kafka Streams' buffer
        m.history.add("a record stamped 5 s ahead of the app's clock polled");
        InputProgressModelTest.safe(m);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The deserialization dead-letter handler against TrackingConsumer.seen

    /**
     * Safety (pre-existing handler, but against the promise). Kafka Streams' RecordQueue.poll() hands out record k and,
     * before returning it, deserializes the next one (updateHead). If record k+1 cannot be deserialized, the
     * DeadLetterDeserializationHandler calls seen(tp, k+1), and TrackingConsumer.seen drops every entry up to k+1,
     * including k, which Kafka Streams is only now about to process. FusionProcessor.process(k) scans due deadlines
     * before k is applied, against a readTo that already counts k as read: its event can fire DEGRADED before its own
     * score is applied. Driven through Kafka Streams' real RecordQueue and latefuse's real handler.
     */
    @Test
    void aCorruptRecordDeadLetteredWhileTheRecordBeforeItIsHandedOutDoesNotMarkThatRecordRead() throws Exception {
        TopicPartition t1 = new TopicPartition("t1", 0);
        Rig rig = new Rig(List.of(t1));
        long writtenAt = rig.now;
        rig.append(t1, rig.now, "score".getBytes(StandardCharsets.UTF_8)); // offset 0
        rig.append(t1, rig.now, "corrupt".getBytes(StandardCharsets.UTF_8)); // offset 1: cannot be deserialized
        ConsumerRecords<byte[], byte[]> polled = rig.poll();

        DeadLetterDeserializationHandler latefuse = new DeadLetterDeserializationHandler();
        latefuse.configure(Map.of(ConsumerRegistry.CONFIG_KEY, rig.registry));
        DeserializationExceptionHandler handler = new DeserializationExceptionHandler() {
            @Override
            public Response handleError(org.apache.kafka.streams.errors.ErrorHandlerContext context,
                                        ConsumerRecord<byte[], byte[]> record, Exception exception) {
                rig.deserializationFailures.add(record.offset());
                return latefuse.handleError(context, record, exception);
            }

            @Override
            public void configure(Map<String, ?> configs) {
            }
        };
        StreamsRecordQueue queue = new StreamsRecordQueue(t1, handler);
        queue.addRawRecords(polled.records(t1)); // as Kafka Streams does after poll: deserializes the head, offset 0

        rig.advance(50);
        rig.ask(); // the brokers say the end is 2, and the consumer is there
        assertThat(rig.registry.readTo(t1)).as("both records wait in Kafka Streams' buffer").isLessThan(writtenAt);

        StampedRecord next = queue.poll(rig.now); // Kafka Streams takes offset 0 to process it...
        assertThat(next.offset()).isZero();
        assertThat(rig.deserializationFailures).containsExactly(1L); // ...having just dead-lettered offset 1
        // FusionProcessor.process(offset 0) now scans due deadlines before applying it:
        assertThat(rig.registry.readTo(t1)).as("read to, while offset 0 (written at %s) is not processed yet", writtenAt)
                .isLessThan(writtenAt);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A harness over the real classes.

    /**
     * The real TrackingConsumer, ConsumerRegistry and EndOffsetProbe, over Kafka's MockConsumer, with
     * Kafka Streams' buffer modelled as in {@link InputProgressModel}. Every call runs on the calling thread, which
     * acts as the stream thread.
     */
    public static final class Rig {
        public long now = 1_000_000;
        final MockConsumer<byte[], byte[]> mock = new MockConsumer<>("earliest");
        final ConsumerRegistry registry = new ConsumerRegistry(() -> now);
        final TrackingConsumer consumer = new TrackingConsumer(mock, registry);
        /** Per partition, the broker's log: (append time, value). */
        final Map<TopicPartition, List<Object[]>> log = new HashMap<>();
        /** Offsets from which on records cannot be fetched (behind an open transaction). */
        final Map<TopicPartition, Long> stableEnd = new HashMap<>();
        final Set<TopicPartition> leaderless = new HashSet<>();
        final Map<TopicPartition, ArrayDeque<Long>> buffer = new HashMap<>();
        final List<Long> deserializationFailures = new ArrayList<>();
        final EndOffsetProbe probe;

        public Rig(List<TopicPartition> partitions) {
            Set<String> topics = new java.util.TreeSet<>();
            Map<TopicPartition, Long> zero = new HashMap<>();
            for (TopicPartition tp : partitions) {
                topics.add(tp.topic());
                log.put(tp, new ArrayList<>());
                buffer.put(tp, new ArrayDeque<>());
                zero.put(tp, 0L);
            }
            probe = new EndOffsetProbe(new EndOffsetProbe.Brokers() {
                @Override
                public List<TopicPartition> partitions(Collection<String> t) {
                    return List.copyOf(partitions);
                }

                @Override
                public Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> endOffsets(Collection<TopicPartition> ps) {
                    Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> out = new HashMap<>();
                    for (TopicPartition tp : ps) {
                        KafkaFutureImpl<ListOffsetsResultInfo> f = new KafkaFutureImpl<>();
                        if (leaderless.contains(tp)) {
                            f.completeExceptionally(new org.apache.kafka.common.errors.LeaderNotAvailableException(tp + ""));
                        } else {
                            f.complete(new ListOffsetsResultInfo(end(tp), -1, Optional.empty()));
                        }
                        out.put(tp, f);
                    }
                    return out;
                }

                @Override
                public void close() {
                }
            }, List.copyOf(topics), Duration.ofMillis(INTERVAL), () -> now);
            registry.endOffsets(probe);
            mock.updateBeginningOffsets(zero);
            consumer.subscribe(topics, new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> ps) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> ps) {
                }
            });
            mock.rebalance(partitions);
            poll();
        }

        private long end(TopicPartition tp) {
            return stableEnd.getOrDefault(tp, (long) log.get(tp).size());
        }

        public InputProgress progress() {
            return registry;
        }

        public void advance(long ms) {
            now += ms;
        }

        /** A record the partition's leader stamps {@code stampedAt} (LogAppendTime). */
        public void append(TopicPartition tp, long stampedAt) {
            append(tp, stampedAt, new byte[0]);
        }

        void append(TopicPartition tp, long stampedAt, byte[] value) {
            log.get(tp).add(new Object[] {stampedAt, value});
        }

        /** A record appended behind an open transaction: the caller sets {@link #stableEnd}. */
        void appendInvisible(TopicPartition tp, long stampedAt) {
            append(tp, stampedAt);
        }

        public void leaderDown(TopicPartition tp) {
            leaderless.add(tp);
        }

        /** A fetch of everything fetchable, then a poll; what it returns goes to Kafka Streams' buffer. */
        public ConsumerRecords<byte[], byte[]> poll() {
            for (TopicPartition tp : mock.assignment()) {
                if (leaderless.contains(tp)) {
                    continue;
                }
                List<Object[]> entries = log.get(tp);
                long upTo = Math.min(entries.size(), end(tp));
                for (long o = mock.position(tp); o < upTo; o++) {
                    Object[] e = entries.get((int) o);
                    mock.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), o, (long) e[0],
                            TimestampType.LOG_APPEND_TIME, 0, ((byte[]) e[1]).length, new byte[0], (byte[]) e[1],
                            new RecordHeaders(), Optional.empty()));
                }
            }
            ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ZERO);
            for (TopicPartition tp : records.partitions()) {
                records.records(tp).forEach(r -> buffer.get(tp).addLast(r.offset()));
            }
            return records;
        }

        /** Kafka Streams processes everything it holds. */
        public void processAll() {
            for (Map.Entry<TopicPartition, ArrayDeque<Long>> e : buffer.entrySet()) {
                while (!e.getValue().isEmpty()) {
                    registry.seen(e.getKey(), e.getValue().pollFirst());
                }
            }
        }

        /** One probe round; every partition with a leader answers at once. */
        public void ask() {
            probe.askOnce();
        }

        /** Poll, process, and one probe round. */
        public void settle() {
            poll();
            processAll();
            ask();
        }

        public void commit(TopicPartition tp, long offset) {
            mock.commitSync(Map.of(tp, new OffsetAndMetadata(offset)));
        }
    }

    /**
     * Kafka Streams' own RecordQueue (package-private; reached by reflection) over a source node whose value
     * deserializer fails on "corrupt", with a stub task context.
     */
    static final class StreamsRecordQueue {
        private final Object queue;
        private final Method addRawRecords;
        private final Method poll;

        StreamsRecordQueue(TopicPartition tp, DeserializationExceptionHandler handler) throws Exception {
            Deserializer<String> values = (topic, data) -> {
                String s = new String(data, StandardCharsets.UTF_8);
                if (s.equals("corrupt")) {
                    throw new org.apache.kafka.common.errors.SerializationException("cannot read it");
                }
                return s;
            };
            SourceNode<String, String> source = new SourceNode<>("scores-t1", new StringDeserializer(), values);
            StreamsMetricsImpl metrics = new StreamsMetricsImpl(new Metrics(), "test-client", Time.SYSTEM);
            TaskId task = new TaskId(0, tp.partition());
            InternalProcessorContext<?, ?> context = (InternalProcessorContext<?, ?>) Proxy.newProxyInstance(
                    getClass().getClassLoader(), new Class<?>[] {InternalProcessorContext.class}, (p, method, args) -> {
                        switch (method.getName()) {
                            case "taskId": return task;
                            case "metrics": return metrics;
                            case "hashCode": return System.identityHashCode(p);
                            case "equals": return p == args[0];
                            case "toString": return "stub context";
                            default:
                                Class<?> r = method.getReturnType();
                                if (r == boolean.class) return false;
                                if (r == long.class) return 0L;
                                if (r == int.class) return 0;
                                return null;
                        }
                    });
            TimestampExtractor timestamps = new UsePartitionTimeOnInvalidTimestamp();
            Class<?> type = Class.forName("org.apache.kafka.streams.processor.internals.RecordQueue");
            Constructor<?> c = type.getDeclaredConstructor(TopicPartition.class, SourceNode.class, TimestampExtractor.class,
                    DeserializationExceptionHandler.class, InternalProcessorContext.class, LogContext.class);
            c.setAccessible(true);
            queue = c.newInstance(tp, source, timestamps, handler, context, new LogContext("[test] "));
            addRawRecords = type.getDeclaredMethod("addRawRecords", Iterable.class);
            addRawRecords.setAccessible(true);
            poll = type.getDeclaredMethod("poll", long.class);
        }

        void addRawRecords(Iterable<ConsumerRecord<byte[], byte[]>> records) throws Exception {
            addRawRecords.invoke(queue, records);
        }

        StampedRecord poll(long wallClock) throws Exception {
            return (StampedRecord) poll.invoke(queue, wallClock);
        }
    }
}
