package io.latefuse.progress;

import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.KafkaFutureImpl;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.latefuse.progress.InputProgressModel.INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * End offsets, on paths a second review proved wrong (each test failed on the code as reviewed): a record appended to
 * the leader but not yet under the high watermark; a partition added to an input topic; a describe that fails after
 * one partition did.
 */
public class EndOffsetsReviewTest {

    // ---------------------------------------------------------------------------------------------------------------
    // 1. The high watermark does not hold every record appended before the request was sent.

    /**
     * Safety. A record's LogAppendTime is stamped by the leader when it appends it; the high watermark moves past it
     * only once every in-sync replica has fetched it (a few ms, up to replica.lag.time.max.ms for a slow follower). A
     * ListOffsets(latest, read_uncommitted) sent in between answers the high watermark, without that record; the
     * consumer is at that high watermark (the record is invisible to every consumer), so readTo becomes "asked at - 1",
     * past the record's timestamp, while the record is not read. docs/concepts.md says such a record "counts as written when it
     * becomes readable", but the code counts every score at its Kafka timestamp (DeadlineClockRules.writtenAt =
     * min(timestamp, now)), so a deadline between its append and the answer fires DEGRADED, then the score revises it.
     * Modelled with the Rig's stableEnd, which caps both what can be fetched and what the brokers answer: exactly what
     * a high watermark below the log end does.
     */
    @Test
    void aRecordAppendedToTheLeaderButNotYetReplicatedIsNotCountedRead() {
        TopicPartition t = new TopicPartition("scores", 0);
        TrackingConsumerReviewTest.Rig rig = new TrackingConsumerReviewTest.Rig(List.of(t));
        rig.append(t, rig.now); // offset 0, replicated
        rig.settle();

        long appendedAt = rig.now;
        rig.append(t, appendedAt); // offset 1: on the leader, stamped, but the followers have not fetched it yet
        rig.stableEnd.put(t, 1L); // the high watermark is still 1
        rig.advance(10); // the probe asks 10 ms after the append; the high watermark has not moved
        rig.settle();

        assertThat(rig.registry.readTo(t))
                .as("read to, while the record appended at %s is above the high watermark and unread", appendedAt)
                .isLessThan(appendedAt);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. EndOffsetProbe describes the input topics once, and again only after a failure.

    /**
     * Liveness. The probe caches the list of partitions from its first describe and describes again only after some
     * request fails. Partitions added to the input topics (Kafka Streams creates tasks for them at the next
     * rebalance) are never asked for while every other partition answers: an idle, caught-up new partition is never
     * read to the wall clock, so every deadline of its tasks waits max.holdback and comes out DEGRADED "unconfirmed".
     */
    @Test
    void aPartitionAddedToAnInputTopicIsAskedForItsEndOffset() {
        TopicPartition p0 = new TopicPartition("scores", 0);
        TopicPartition p1 = new TopicPartition("scores", 1);
        TopicPartition p2 = new TopicPartition("scores", 2);
        Bench b = new Bench(List.of(p0, p1, p2));
        b.described.addAll(List.of(p0, p1)); // the topic has two partitions when the probe starts
        b.assign(List.of(p0, p1));
        b.round();
        assertThat(b.registry.readTo(p0)).isEqualTo(b.now - 1 - INTERVAL);

        b.described.add(p2); // a partition is added; the next rebalance gives its task to this thread
        b.assign(List.of(p0, p1, p2));
        for (int i = 0; i < 10; i++) {
            b.now += INTERVAL;
            b.round();
        }
        assertThat(b.registry.readTo(p0)).as("an old partition").isGreaterThanOrEqualTo(b.now - 2 * INTERVAL);
        assertThat(b.registry.readTo(p2)).as("the added partition, idle and caught up: %s", b.registry.why(p2))
                .isGreaterThanOrEqualTo(b.now - 2 * INTERVAL);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. One partition's failure makes every partition's probing depend on describing the topics.

    /**
     * Liveness ("while other partitions fail"). After any partition's request fails, the probe forgets the partition
     * list, and the next round describes the topics before asking anything; if that describe fails (an input topic
     * deleted or its Describe ACL removed, the admin's chosen node unreachable for up to the 30 s describe timeout),
     * the round returns without asking any partition, so partitions whose leaders answer fine go stale too. Here one
     * partition's leader fails once and the describe then fails: the healthy, caught-up partition is not read to
     * within two probe intervals of the wall clock.
     */
    @Test
    void aFailedDescribeAfterOnePartitionFailedDoesNotStopTheOthers() {
        TopicPartition p0 = new TopicPartition("scores", 0);
        TopicPartition p1 = new TopicPartition("scores", 1);
        Bench b = new Bench(List.of(p0, p1));
        b.described.addAll(List.of(p0, p1));
        b.assign(List.of(p0, p1));
        b.round();
        assertThat(b.registry.readTo(p0)).isEqualTo(b.now - 1 - INTERVAL);

        b.failing.add(p1); // p1's leader is down
        b.now += INTERVAL;
        b.round(); // p1 fails: the partition list is forgotten
        b.describeFails = true; // and describing the topics now fails
        for (int i = 0; i < 4; i++) {
            b.now += INTERVAL;
            b.round();
        }
        assertThat(b.registry.readTo(p0)).as("p0, whose leader answers: %s", b.registry.why(p0))
                .isGreaterThanOrEqualTo(b.now - 2 * INTERVAL);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** The real TrackingConsumer, ConsumerRegistry and EndOffsetProbe over MockConsumer, with empty logs. */
    static final class Bench {
        long now = 1_000_000;
        final MockConsumer<byte[], byte[]> mock = new MockConsumer<>("earliest");
        final ConsumerRegistry registry = new ConsumerRegistry(() -> now);
        final TrackingConsumer consumer = new TrackingConsumer(mock, registry);
        /** What describing the topics returns. */
        final List<TopicPartition> described = new ArrayList<>();
        final Set<TopicPartition> failing = new HashSet<>();
        boolean describeFails;
        final EndOffsetProbe probe;

        Bench(List<TopicPartition> all) {
            Map<TopicPartition, Long> zero = new HashMap<>();
            all.forEach(tp -> zero.put(tp, 0L));
            mock.updateBeginningOffsets(zero);
            probe = new EndOffsetProbe(new EndOffsetProbe.Brokers() {
                @Override
                public List<TopicPartition> partitions(Collection<String> topics) {
                    if (describeFails) {
                        throw new org.apache.kafka.common.errors.TopicAuthorizationException("not authorized");
                    }
                    return List.copyOf(described);
                }

                @Override
                public Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> endOffsets(Collection<TopicPartition> ps) {
                    Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> out = new HashMap<>();
                    for (TopicPartition tp : ps) {
                        KafkaFutureImpl<ListOffsetsResultInfo> f = new KafkaFutureImpl<>();
                        if (failing.contains(tp)) {
                            f.completeExceptionally(new org.apache.kafka.common.errors.LeaderNotAvailableException(tp + ""));
                        } else {
                            f.complete(new ListOffsetsResultInfo(0, -1, Optional.empty()));
                        }
                        out.put(tp, f);
                    }
                    return out;
                }

                @Override
                public void close() {
                }
            }, List.of("scores"), Duration.ofMillis(INTERVAL), () -> now);
            registry.endOffsets(probe);
            consumer.subscribe(List.of("scores"), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                }
            });
        }

        void assign(List<TopicPartition> partitions) {
            mock.rebalance(partitions);
            consumer.poll(Duration.ZERO);
        }

        /** A poll (nothing to read) and one probe round. */
        void round() {
            consumer.poll(Duration.ZERO);
            probe.askOnce();
        }
    }
}
