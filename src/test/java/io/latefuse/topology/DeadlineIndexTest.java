package io.latefuse.topology;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class DeadlineIndexTest {
    private KeyValueStore<Bytes, byte[]> store;
    private DeadlineIndex index;

    @BeforeEach
    void setUp() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("deadline-index"), Serdes.Bytes(),
                Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(new MockProcessorContext<>(new Properties()).getStateStoreContext(), store);
        index = new DeadlineIndex(store);
    }

    @Test
    void pollsWhatIsDueInTimeOrderAndLeavesTheRest() {
        index.add(300, "b");
        index.add(100, "z");
        index.add(100, "a");
        index.add(900, "c");
        assertThat(index.pollDue(300)).containsExactly(new DeadlineIndex.Entry(100, "a"),
                new DeadlineIndex.Entry(100, "z"), new DeadlineIndex.Entry(300, "b"));
        assertThat(store.approximateNumEntries()).as("polling does not remove").isEqualTo(4);
    }

    @Test
    void aPollStartsAtTheLowWaterSoAnEntryIsPolledOnce() {
        index.add(100, "a");
        assertThat(index.pollDue(100)).hasSize(1);
        assertThat(index.pollDue(200)).as("polled before, and not removed: not polled again").isEmpty();
        assertThat(index.nothingDueBy(200)).as("everything up to 200 was polled").isTrue();
        assertThat(index.nothingDueBy(201)).isFalse();
    }

    @Test
    void anEntryAddedBeforeTheLowWaterLowersIt() {
        index.pollDue(1_000);
        index.add(500, "late-added");
        assertThat(index.nothingDueBy(1_000)).isFalse();
        assertThat(index.pollDue(1_000)).containsExactly(new DeadlineIndex.Entry(500, "late-added"));
    }

    @Test
    void removedEntriesAreGoneAndAClockThatSteppedBackFindsNothing() {
        index.add(100, "a");
        index.add(200, "b");
        index.remove(100, "a");
        assertThat(index.pollDue(250)).containsExactly(new DeadlineIndex.Entry(200, "b"));
        assertThat(index.pollDue(150)).as("the clock stepped back").isEmpty();
    }

    @Test
    void aNewIndexOverAStoreWithEntriesSeesThemAll() {
        index.add(5, "restored");
        DeadlineIndex another = new DeadlineIndex(store);
        assertThat(another.pollDue(10)).containsExactly(new DeadlineIndex.Entry(5, "restored"));
    }

    @Test
    void aLimitedPollGoesOnWhereItStoppedAndFindsWhatWasAddedMeanwhile() {
        for (int i = 0; i < 5; i++) {
            index.add(100, "e" + i);
        }
        index.add(50, "early");
        index.add(900, "later");
        List<DeadlineIndex.Entry> first = index.pollDue(500, 3);
        assertThat(first).containsExactly(new DeadlineIndex.Entry(50, "early"), new DeadlineIndex.Entry(100, "e0"),
                new DeadlineIndex.Entry(100, "e1"));
        assertThat(index.nothingDueBy(500)).as("more are due").isFalse();
        assertThat(index.pollDue(500, 3)).as("polled, though not removed: not polled again")
                .containsExactly(new DeadlineIndex.Entry(100, "e2"), new DeadlineIndex.Entry(100, "e3"),
                        new DeadlineIndex.Entry(100, "e4"));
    }

    @Test
    void entriesAddedWhileLimitedPollsGoOnAreFound() {
        for (int i = 0; i < 6; i++) {
            index.add(100, "e" + i);
        }
        List<DeadlineIndex.Entry> seen = new java.util.ArrayList<>();
        seen.addAll(removed(index.pollDue(500, 2)));            // e0 e1
        index.add(100, "e9");                                   // after where the poll stopped
        seen.addAll(removed(index.pollDue(500, 2)));            // e2 e3
        index.add(100, "a-before");                             // before it
        index.add(40, "earlier");                               // before the low water
        while (!index.nothingDueBy(500)) {
            seen.addAll(removed(index.pollDue(500, 2)));
        }
        assertThat(seen).extracting(DeadlineIndex.Entry::eventId)
                .containsExactlyInAnyOrder("e0", "e1", "e2", "e3", "e4", "e5", "e9", "a-before", "earlier")
                .doesNotHaveDuplicates();
    }

    @Test
    void entriesAddedInABatchArePolledLikeOthersEvenBeforeTheLowWater() {
        index.pollDue(1_000);
        index.addAll(List.of(new DeadlineIndex.Entry(700, "b"), new DeadlineIndex.Entry(300, "a"),
                new DeadlineIndex.Entry(2_000, "c")));
        index.addAll(List.of());
        assertThat(index.nothingDueBy(1_000)).isFalse();
        assertThat(index.pollDue(1_000)).containsExactly(new DeadlineIndex.Entry(300, "a"), new DeadlineIndex.Entry(700, "b"));
        assertThat(index.pollDue(5_000)).containsExactly(new DeadlineIndex.Entry(2_000, "c"));
    }

    /** What the processor does with every entry it polls: emits its event, or drops it as stale. */
    private List<DeadlineIndex.Entry> removed(List<DeadlineIndex.Entry> entries) {
        entries.forEach(e -> index.remove(e.time(), e.eventId()));
        return entries;
    }
}
