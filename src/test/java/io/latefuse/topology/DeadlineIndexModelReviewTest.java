package io.latefuse.topology;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review 28b: the deadline index against a sorted-set model, used as the processor uses it (every polled entry is
 * removed; deadlines move by remove + add; reinit = a new index over the same store, as EventStores.init).
 * A poll must return exactly the earliest min(limit, due) entries of the model.
 */
class DeadlineIndexModelReviewTest {

    private static final Comparator<DeadlineIndex.Entry> ORDER = (a, b) ->
            TimerKey.of(a.time(), a.eventId()).compareTo(TimerKey.of(b.time(), b.eventId()));

    @Property(tries = 2000)
    void pollsMatchTheModel(@ForAll long seed) {
        Random r = new Random(seed);
        KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("deadline-index"),
                Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(new MockProcessorContext<>(new Properties()).getStateStoreContext(), store);
        DeadlineIndex index = new DeadlineIndex(store);
        TreeSet<DeadlineIndex.Entry> model = new TreeSet<>(ORDER);
        long now = 0;
        List<String> log = new ArrayList<>();
        for (int step = 0; step < 60; step++) {
            int op = r.nextInt(10);
            String id = "e" + r.nextInt(12);
            long t = r.nextInt(40);
            if (op < 3) {
                log.add("add " + t + " " + id);
                index.add(t, id);
                model.add(new DeadlineIndex.Entry(t, id));
            } else if (op == 3 && !model.isEmpty()) {
                DeadlineIndex.Entry e = new ArrayList<>(model).get(r.nextInt(model.size()));
                log.add("move " + e + " -> " + t);
                index.remove(e.time(), e.eventId());
                model.remove(e);
                index.add(t, e.eventId());
                model.add(new DeadlineIndex.Entry(t, e.eventId()));
            } else if (op == 4 && !model.isEmpty()) {
                DeadlineIndex.Entry e = new ArrayList<>(model).get(r.nextInt(model.size()));
                log.add("remove " + e);
                index.remove(e.time(), e.eventId());
                model.remove(e);
            } else if (op == 5) {
                log.add("reinit");
                index = new DeadlineIndex(store);
                if (r.nextBoolean()) {
                    index.addAll(new ArrayList<>(model));
                }
            } else {
                now = r.nextInt(10) == 0 ? Math.max(0, now - r.nextInt(10)) : now + r.nextInt(8);
                int limit = 1 + r.nextInt(3);
                List<DeadlineIndex.Entry> expected = new ArrayList<>();
                for (DeadlineIndex.Entry e : model) {
                    if (e.time() <= now && expected.size() < limit) {
                        expected.add(e);
                    }
                }
                List<DeadlineIndex.Entry> got = index.pollDue(now, limit);
                log.add("poll " + now + " limit " + limit + " -> " + got);
                assertThat(got).as(String.join("\n", log)).containsExactlyElementsOf(expected);
                for (DeadlineIndex.Entry e : got) {
                    index.remove(e.time(), e.eventId());
                    model.remove(e);
                }
            }
        }
    }
}
