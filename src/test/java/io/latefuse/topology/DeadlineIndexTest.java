package io.latefuse.topology;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
}
