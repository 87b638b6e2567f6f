package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.internal.EventState;
import io.latefuse.lookup.EventView;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review: the event lookup's view of an event answered under quarantine. The prediction was fused without the
 * quarantined modality it holds (present [lexical, prosody], quarantined [acoustic]); the emitted store keeps
 * emitted_with null ("made with every score it holds"), so the view says acoustic was present in it.
 */
class QuarantineLookupReviewTest {

    static EventView view(FusionDriver d, String id) throws Exception {
        WindowStore<String, EventState> store = d.driver.getWindowStore(FusionTopology.EMITTED_STORE);
        KeyValue<Long, EventState> latest = null;
        try (WindowStoreIterator<EventState> it = store.fetch(id, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE))) {
            while (it.hasNext()) {
                KeyValue<Long, EventState> e = it.next();
                if (latest == null || e.key >= latest.key) {
                    latest = e;
                }
            }
        }
        assertThat(latest).as("emitted " + id).isNotNull();
        Class<?> c = Class.forName("io.latefuse.lookup.EventViews");
        var ctor = c.getDeclaredConstructor(io.latefuse.config.PipelineConfig.class);
        ctor.setAccessible(true);
        Object views = ctor.newInstance(d.config);
        var emitted = c.getDeclaredMethod("emitted", EventState.class, String.class, int.class);
        emitted.setAccessible(true);
        return (EventView) emitted.invoke(views, latest.value, "h:1", 0);
    }

    @Test
    void theViewOfAnEventAnsweredWithoutAQuarantinedModalityDoesNotShowItAsPresent() throws Exception {
        try (FusionDriver d = new FusionDriver("""
                modality.health: quarantine
                modality.health.quarantined: [acoustic]
                """)) {
            d.send(score("e1", "acoustic", 0.9f));
            d.send(score("e1", "lexical", 0.2f));
            d.send(score("e1", "prosody", 0.3f));
            List<FusedPrediction> out = d.drain();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).getPresent()).containsExactly("lexical", "prosody");
            assertThat(out.get(0).getQuarantined()).containsExactly("acoustic");

            EventView v = view(d, "e1");
            assertThat(v.present()).as("the view agrees with the prediction it shows").containsExactly("lexical",
                    "prosody");
        }
    }

    /** Every modality held, one quarantined: the event is settled (scores dropped) and the view lists all four. */
    @Test
    void aSettledEventAnsweredWithoutAQuarantinedModalityDoesNotShowItAsPresent() throws Exception {
        try (FusionDriver d = new FusionDriver("""
                modality.health: quarantine
                modality.health.quarantined: [acoustic]
                """)) {
            d.send(score("e2", "visual", 0.5f));
            d.send(score("e2", "acoustic", 0.9f));
            d.send(score("e2", "lexical", 0.2f));
            d.send(score("e2", "prosody", 0.3f));
            List<FusedPrediction> out = d.drain();
            assertThat(out).hasSize(1);
            assertThat(out.get(0).getPresent()).containsExactly("lexical", "prosody", "visual");
            EventView v = view(d, "e2");
            assertThat(v.present()).as("the view agrees with the prediction it shows").containsExactly("lexical",
                    "prosody", "visual");
        }
    }

    /**
     * A pending event under quarantine: the view says it waits for acoustic (quarantined, so never awaited) and that
     * it will be emitted COMPLETE when the last is read (it cannot be: a required modality is quarantined), and lists
     * acoustic in missing while the prediction will list it in quarantined only.
     */
    @Test
    void aPendingEventIsNotSaidToWaitForAQuarantinedModality() throws Exception {
        try (FusionDriver d = new FusionDriver("""
                modality.health: quarantine
                modality.health.quarantined: [acoustic]
                """)) {
            d.send(score("e3", "lexical", 0.2f));
            assertThat(d.drain()).isEmpty();
            org.apache.kafka.streams.state.KeyValueStore<String, EventState> pending =
                    d.driver.getKeyValueStore(FusionTopology.PENDING_STORE);
            EventState s = pending.get("e3");
            assertThat(s).isNotNull();
            Class<?> c = Class.forName("io.latefuse.lookup.EventViews");
            var ctor = c.getDeclaredConstructor(io.latefuse.config.PipelineConfig.class);
            ctor.setAccessible(true);
            var m = c.getDeclaredMethod("pending", EventState.class, String.class, int.class);
            m.setAccessible(true);
            EventView v = (EventView) m.invoke(ctor.newInstance(d.config), s, "h:1", 0);
            org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
            soft.assertThat(v.missing()).as("missing, as the prediction will say").containsExactly("prosody", "visual");
            soft.assertThat(v.reason()).as("reason").doesNotContain("waiting for acoustic")
                    .doesNotContain("emitted COMPLETE");
            soft.assertAll();
        }
    }
}
