package io.latefuse.progress;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.function.BiConsumer;

import static io.latefuse.progress.InputProgressModel.INTERVAL;
import static io.latefuse.progress.InputProgressModel.PARTITIONS;
import static io.latefuse.progress.InputProgressModel.tp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The input-progress bookkeeping against a model ({@link InputProgressModel}): random sequences of appends, polls,
 * processing, commits, aborts with revival, revocations, lost partitions, reassignments after another instance read
 * on, end-offset requests answered late, failed, or held by a partition without a leader, and another producer's
 * transactions opened, committed or aborted. After every step:
 * <ul>
 *   <li><b>safety</b>: no partition counts as read to a time at or past the append time of a record this instance has
 *       not processed (or whose processing was rolled back), nor past the wall clock;</li>
 *   <li><b>liveness</b> (checked when the model settles): once Kafka Streams has processed everything it can fetch and
 *       the input stays idle, every owned partition with a leader is read to within two probe intervals of the wall
 *       clock, whatever another partition does.</li>
 * </ul>
 */
class InputProgressModelTest {

    @Property(tries = 1000)
    void readToNeverPassesWhatWasProcessedAndAnIdleCaughtUpPartitionKeepsUp(
            @ForAll("chains") ActionChain<InputProgressModel> chain) {
        chain.withInvariant("safety", InputProgressModelTest::safe).run();
    }

    @Provide
    Arbitrary<ActionChain<InputProgressModel>> chains() {
        return ActionChain.startWith(InputProgressModel::new)
                .withAction(4, act(Arbitraries.longs().between(1, 40), "advance", InputProgressModel::advance))
                .withAction(4, act2(Arbitraries.integers().between(1, 4), "append", InputProgressModel::append))
                .withAction(4, act(Arbitraries.integers().between(1, 5), "poll", InputProgressModel::poll))
                .withAction(6, act(partition(), "process", InputProgressModel::process))
                .withAction(2, Action.just("commit", Transformer.mutate("commit", InputProgressModel::commit)))
                .withAction(1, Action.just("abort", Transformer.mutate("abort and revive", InputProgressModel::abortAndRevive)))
                .withAction(2, act(partition(), "revoke", InputProgressModel::revoke))
                .withAction(1, act(partition(), "lose", InputProgressModel::lose))
                .withAction(3, act(partition(), "assign", InputProgressModel::assign))
                .withAction(3, act2d(Arbitraries.of(0.25, 0.5, 1.0), "processed elsewhere",
                        InputProgressModel::processedElsewhere))
                .withAction(2, act2(Arbitraries.integers().between(1, 3), "append in a transaction",
                        InputProgressModel::appendInTransaction))
                .withAction(1, act(partition(), "commit the transaction", InputProgressModel::commitTransaction))
                .withAction(1, act(partition(), "abort the transaction", InputProgressModel::abortTransaction))
                .withAction(3, Action.just("ask", Transformer.mutate("ask end offsets", InputProgressModel::askEndOffsets)))
                .withAction(3, act(partition(), "answer", InputProgressModel::answer))
                .withAction(1, act(partition(), "fail", InputProgressModel::fail))
                .withAction(1, act(partition(), "leader down", InputProgressModel::leaderDown))
                .withAction(1, act(partition(), "leader up", InputProgressModel::leaderUp))
                .withAction(2, Action.just("settle", Transformer.mutate("settle and check liveness",
                        InputProgressModelTest::settleAndCheckLiveness)))
                .withMaxTransformations(60);
    }

    private static Arbitrary<Integer> partition() {
        return Arbitraries.integers().between(0, PARTITIONS - 1);
    }

    private static <T> Action.Independent<InputProgressModel> act(Arbitrary<T> values, String name,
                                                                  BiConsumer<InputProgressModel, T> op) {
        return () -> values.map(v -> Transformer.mutate(name + " " + v, m -> op.accept(m, v)));
    }

    private interface PartitionAnd<T> {
        void apply(InputProgressModel m, int partition, T value);
    }

    private static <T> Action.Independent<InputProgressModel> act2(Arbitrary<Integer> values, String name,
                                                                   PartitionAnd<Integer> op) {
        return () -> partition().flatMap(p -> values.map(v -> Transformer.<InputProgressModel>mutate(
                name + " " + v + " @" + p, m -> op.apply(m, p, v))));
    }

    private static Action.Independent<InputProgressModel> act2d(Arbitrary<Double> values, String name,
                                                                PartitionAnd<Double> op) {
        return () -> partition().flatMap(p -> values.map(v -> Transformer.<InputProgressModel>mutate(
                name + " " + v + " @" + p, m -> op.apply(m, p, v))));
    }

    /** Safety: never read to or past a record not processed, nor past the wall clock. */
    static void safe(InputProgressModel m) {
        for (TopicPartition tp : m.owned) {
            long r = m.readTo(tp);
            if (r == InputProgress.UNKNOWN) {
                continue;
            }
            assertThat(r).as("%s read to, past the wall clock %s; after %s", tp, m.now, m.history).isLessThanOrEqualTo(m.now);
            Long unprocessed = m.firstUnprocessed(tp);
            if (unprocessed != null) {
                assertThat(r).as("%s read to, with a record appended at %s not processed (frontier %s); after %s", tp,
                        unprocessed, m.frontier.get(tp), m.history).isLessThan(unprocessed);
            }
        }
    }

    /**
     * Kafka Streams fetches and processes everything it can, and the input stays idle for two probe intervals, each
     * asked and answered: every owned partition with a leader is then read to within two intervals of the wall clock.
     */
    static void settleAndCheckLiveness(InputProgressModel m) {
        for (int round = 0; round < 50; round++) {
            m.poll(1_000);
            for (TopicPartition tp : new ArrayList<>(m.owned)) {
                while (!m.buffer.get(tp).isEmpty()) {
                    m.process(tp.partition());
                }
            }
            if (m.owned.stream().allMatch(tp -> m.leaderless.contains(tp) || m.openTransactionFrom.containsKey(tp)
                    || m.firstUnprocessed(tp) == null)) {
                break;
            }
        }
        for (int p = 0; p < PARTITIONS; p++) {
            m.answer(p); // whatever was still out, answered late
        }
        for (int i = 0; i < 2; i++) {
            m.advance(INTERVAL);
            m.askEndOffsets();
            for (int p = 0; p < PARTITIONS; p++) {
                m.answer(p);
            }
        }
        m.poll(0);
        safe(m);
        for (TopicPartition tp : m.owned) {
            if (m.leaderless.contains(tp) || m.openTransactionFrom.containsKey(tp)) {
                continue; // cannot be read further until its leader is back, or the transaction ends
            }
            assertThat(m.readTo(tp)).as("%s, caught up and idle, read to; after %s", tp, m.history)
                    .isGreaterThanOrEqualTo(m.now - 2 * INTERVAL);
        }
    }

    // The three defects a review proved, each as a plain example.

    @Test
    void aTaskRevivedAfterAnAbortDoesNotCountItsRolledBackRecordsAsRead() {
        InputProgressModel m = new InputProgressModel();
        TopicPartition p0 = tp(0);
        m.append(0, 1);
        m.advance(10);
        m.append(0, 1);
        m.advance(10);
        m.append(0, 1);
        long firstTime = m.log.get(p0).get(0);
        m.poll(10);
        m.process(0);
        m.process(0); // the first two are processed inside the open transaction; the third waits in the buffer
        m.abortAndRevive();
        assertThat(m.firstUnprocessed(p0)).isEqualTo(firstTime);
        assertThat(m.readTo(p0)).as("read to, once the first two records were rolled back").isLessThan(firstTime);
        safe(m);
    }

    @Test
    void aPartitionThatComesBackIdleAfterARebalanceIsReadToTheWallClock() {
        InputProgressModel m = new InputProgressModel();
        TopicPartition p1 = tp(1);
        m.append(1, 3);
        m.poll(10);
        m.process(1); // two records stay polled but unprocessed when the partition is revoked
        m.revoke(1);
        m.advance(100);
        m.processedElsewhere(1, 1.0); // another instance reads it to its end
        m.advance(1_000);
        m.assign(1); // back, and idle from now on
        settleAndCheckLiveness(m);
        assertThat(m.consumer.waiting(p1)).isZero();
    }

    @Test
    void onePartitionWithoutALeaderHoldsBackOnlyItself() {
        InputProgressModel m = new InputProgressModel();
        m.leaderDown(2);
        m.advance(5);
        m.askEndOffsets();
        long asked = m.now;
        m.answer(0);
        m.answer(1);
        m.answer(2); // no leader: no answer
        m.poll(0);
        // Read to when asked, less the replication allowance (one probe interval) and the 1 ms of the answer itself.
        assertThat(m.readTo(tp(0))).isEqualTo(asked - INTERVAL - 1);
        assertThat(m.readTo(tp(1))).isEqualTo(asked - INTERVAL - 1);
        assertThat(m.readTo(tp(2))).isEqualTo(InputProgress.UNKNOWN);
        m.fail(2);
        assertThat(m.registry.why(tp(2))).contains("have not answered its end offset").contains("LeaderNotAvailable");
        // And the next round asks the two healthy partitions again, while the third is asked once more too.
        m.advance(INTERVAL);
        m.askEndOffsets();
        m.answer(0);
        assertThat(m.readTo(tp(0))).isEqualTo(m.now - INTERVAL - 1);
    }

    @Test
    void aCommittedRecordBehindAnotherProducersOpenTransactionIsWaitedFor() {
        InputProgressModel m = new InputProgressModel();
        TopicPartition p0 = tp(0);
        m.appendInTransaction(0, 1); // a scorer that crashed mid-transaction
        m.advance(20);
        m.append(0, 1); // another scorer's score, committed at once, but behind the open transaction
        long committedScore = m.log.get(p0).get(1);
        m.advance(5_000);
        settleAndCheckLiveness(m);
        assertThat(m.readTo(p0)).as("read to, with a committed score not readable yet").isLessThan(committedScore);
        assertThat(m.registry.why(p0)).contains("a transaction still open");
        m.abortTransaction(0); // the transaction times out: the score behind it can be read
        settleAndCheckLiveness(m);
        assertThat(m.frontier.get(p0)).isEqualTo(2);
    }
}
