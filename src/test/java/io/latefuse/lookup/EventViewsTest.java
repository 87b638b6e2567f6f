package io.latefuse.lookup;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.topology.FusionProcessor;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What an operator is told of an event in each state the join keeps it in. */
class EventViewsTest {
    private static final PipelineConfig CONFIG = PipelineConfigLoader.parse("""
            application.id: a
            bootstrap.servers: b:9092
            schema.registry.url: http://r
            classes: [directed, undirected]
            modalities: [{name: acoustic}, {name: lexical}, {name: visual, required: false}]
            """, "test", Map.of());
    private static final long T = 1_767_225_600_000L;
    private final EventViews views = new EventViews(CONFIG);

    private static EventState state(int revision, boolean settled, String... modalities) {
        List<ModalityScore> arrivals = new ArrayList<>();
        for (String m : modalities) {
            arrivals.add(ModalityScore.newBuilder().setEventId("e").setModality(m).setModel(m).setModelVersion("1")
                    .setScores(List.of(0.7f, 0.3f)).setScoreType(ScoreType.PROBABILITY)
                    .setEventTime(Instant.ofEpochMilli(T)).build());
        }
        return new EventState("e", T, T + 3, T + 503, revision, arrivals, settled, null, null, null, null);
    }

    @Test
    void aPendingEventSaysWhatItWaitsForAndUntilWhen() {
        EventView v = views.pending(state(-1, false, "acoustic"), "h:1", 2);
        assertThat(v.state()).isEqualTo(EventView.State.PENDING);
        assertThat(v.present()).containsExactly("acoustic");
        assertThat(v.missing()).containsExactly("lexical", "visual");
        assertThat(v.firstArrival()).isEqualTo("2026-01-01T00:00:00.003Z");
        assertThat(v.deadline()).isEqualTo("2026-01-01T00:00:00.503Z");
        assertThat(v.revision()).isNull();
        assertThat(v.prediction()).isNull();
        assertThat(v.reason()).startsWith("waiting for lexical:").doesNotContain("visual");
        assertThat(v.owner()).isEqualTo("h:1");
        assertThat(v.partition()).isEqualTo(2);
        assertThat(views.pending(state(-1, false, "acoustic", "lexical"), "h:1", 2).reason())
                .startsWith("every required modality is in; waiting for optional visual");
    }

    @Test
    void anEventAnsweredWithoutAQuarantinedModalityIsShownDegradedWithoutItAndTheQuarantineIsTold() {
        // modality.health: quarantine: acoustic's score was held, but the prediction was made without it.
        EventState s = state(0, false, "acoustic", "lexical");
        s.setScores(List.of(0.6f, 0.4f));
        s.setEmittedWith(new ArrayList<>(List.of("lexical"))); // as the join records it: made without acoustic
        s.setDegradedReason("quarantined, so not fused or awaited: acoustic (stuck: the same score 50 times in a row)");
        EventView v = views.emitted(s, "h:1", 0).withQuarantined(List.of("acoustic"));
        assertThat(v.prediction().status()).isEqualTo("DEGRADED");
        assertThat(v.present()).containsExactly("lexical");
        assertThat(v.reason()).startsWith("quarantined").contains("acoustic");
        assertThat(v.quarantined()).containsExactly("acoustic");
        assertThat(views.emitted(s, "h:1", 0).withQuarantined(List.of()).quarantined()).isNull();
    }

    @Test
    void anEmittedEventShowsItsLastPredictionAndWhyItWasDegraded() {
        EventState degraded = state(0, false, "acoustic");
        degraded.setScores(List.of(0.2f, 0.8f));
        degraded.setDegradedReason("lexical was never read");
        EventView v = views.emitted(degraded, "h:1", 0);
        assertThat(v.state()).isEqualTo(EventView.State.EMITTED);
        assertThat(v.revision()).isZero();
        assertThat(v.prediction()).isEqualTo(new EventView.Prediction("DEGRADED", "undirected", List.of(0.2f, 0.8f), null));
        assertThat(v.reason()).isEqualTo("lexical was never read");

        // Revised with the missing required modality: COMPLETE now, and revision 0's reason is kept as history.
        EventState revised = state(1, false, "acoustic", "lexical");
        revised.setScores(List.of(0.9f, 0.1f));
        revised.setDegradedReason("lexical was never read");
        EventView r = views.emitted(revised, "h:1", 0);
        assertThat(r.prediction().status()).isEqualTo("COMPLETE");
        assertThat(r.prediction().label()).isEqualTo("directed");
        assertThat(r.reason()).isEqualTo("revision 0 was DEGRADED: lexical was never read; a later revision has every "
                + "required modality");
    }

    @Test
    void aSettledEventKeepsNoScoresYetEveryModalityIsPresent() {
        EventState settled = state(0, true);
        settled.setScores(List.of(0.6f, 0.4f));
        EventView v = views.emitted(settled, "h:1", 0);
        assertThat(v.present()).containsExactly("acoustic", "lexical", "visual");
        assertThat(v.missing()).isEmpty();
        assertThat(v.prediction().status()).isEqualTo("COMPLETE");
        assertThat(v.reason()).isNull();
    }

    @Test
    void stateFromAnOlderReleaseHasNoScoresAndSaysSo() {
        EventView v = views.emitted(state(0, false, "acoustic"), "h:1", 0); // format 2: no scores, no reason
        assertThat(v.prediction()).isEqualTo(new EventView.Prediction("DEGRADED", null, null, null));
        assertThat(v.reason()).contains("lexical, visual never read by the deadline")
                .contains("release that did not keep the reason");
    }

    @Test
    void aDeadLetteredOrUnknownEventSaysWhy() {
        EventView dead = views.emitted(state(FusionProcessor.DEAD_LETTERED, false, "acoustic", "lexical"), "h:1", 0);
        assertThat(dead.state()).isEqualTo(EventView.State.DEAD_LETTERED);
        assertThat(dead.prediction()).isNull();
        assertThat(dead.reason()).contains("fusion failed").contains(CONFIG.deadLetterTopic());
        EventView unknown = views.unknown("x", "h:1", 1);
        assertThat(unknown.state()).isEqualTo(EventView.State.UNKNOWN);
        assertThat(unknown.reason()).contains("10m (late.retention)");
    }

    @Test
    void aScoreHeldUnderOnChangeIsNotShownAsPresentButListedApart() {
        // Revision 0 went out DEGRADED without lexical; lexical came later and changed too little for a revision
        // (revision.policy on_change), so it sits in the state but in no prediction consumers have.
        EventState s = state(0, false, "acoustic", "lexical");
        s.setEmittedWith(List.of("acoustic"));
        s.setScores(List.of(0.7f, 0.3f));
        s.setDegradedReason("no score of lexical was read by the deadline");
        EventView v = views.emitted(s, "h:1", 0);
        assertThat(v.present()).containsExactly("acoustic");
        assertThat(v.missing()).containsExactly("lexical", "visual");
        assertThat(v.prediction().status()).isEqualTo("DEGRADED");
        assertThat(v.reason()).contains("no score of lexical was read").contains("held, not emitted: lexical");
    }
}
