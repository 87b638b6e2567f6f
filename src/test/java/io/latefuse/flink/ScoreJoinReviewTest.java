package io.latefuse.flink;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Review of ScoreJoin against latefuse's rules, in Flink's operator harness (config: ScoreJoinTest.config()). */
class ScoreJoinReviewTest {
    private KeyedOneInputStreamOperatorTestHarness<String, ModalityScore, FusedPrediction> harness;

    private void open(ScoreJoin.Clock clock) throws Exception {
        harness = ScoreJoinTest.opened(clock);
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private static ModalityScore score(String id, String modality, long eventTime, float p) {
        return ScoreJoinTest.score(id, modality, eventTime, p);
    }

    /**
     * Found in review (fixed). Event time: an event whose first score arrives with its deadline (event_time + max.wait = 1,300) already
     * behind the watermark (10,000). Its deadline has passed: latefuse's FusionProcessor (event clock) answers it
     * DEGRADED, revision 0, on the next record (apply(): arrival > timer && timer <= stream time fires it), and its
     * later scores revise it. ScoreJoin registers an event-time timer in the past, which fires only when the
     * watermark next advances; meanwhile the later scores complete the event: revision 0 COMPLETE, deadline ignored.
     */
    @Test
    void onEventTimeAnEventWhoseDeadlineTheWatermarkHasPassedIsAnsweredDegraded() throws Exception {
        open(ScoreJoin.Clock.EVENT_TIME);
        harness.processWatermark(new Watermark(10_000));
        harness.processElement(score("late", "acoustic", 1_000, 0.9f), 1_000);
        harness.processElement(score("late", "lexical", 1_000, 0.8f), 1_000);
        harness.processElement(score("late", "prosody", 1_000, 0.7f), 1_000);

        assertThat(harness.extractOutputValues()).first().satisfies(p -> {
            assertThat(p.getRevision()).isZero();
            assertThat(p.getStatus()).as("revision 0 of an event whose deadline the watermark had passed")
                    .isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getMissing()).containsExactly("lexical", "prosody");
        });
    }

    // ---- checks that pass (what was found correct) ----

    /** A revision that still lacks a modality is DEGRADED (as latefuse's), registers no timer; a copy is dropped. */
    @Test
    void aRevisionStillMissingAModalityIsDegradedAndLeavesNoTimer() throws Exception {
        open(ScoreJoin.Clock.PROCESSING_TIME);
        harness.processElement(score("r", "acoustic", 500, 0.9f), 500);
        harness.setProcessingTime(1_300);
        harness.processElement(score("r", "lexical", 500, 0.8f), 500);
        harness.processElement(score("r", "lexical", 500, 0.8f), 500);
        List<FusedPrediction> out = harness.extractOutputValues();
        assertThat(out).hasSize(2);
        assertThat(out.get(1).getRevision()).isEqualTo(1);
        assertThat(out.get(1).getStatus()).isEqualTo(PredictionStatus.DEGRADED);
        assertThat(out.get(1).getMissing()).containsExactly("prosody");
        assertThat(harness.numProcessingTimeTimers()).isZero();
        harness.processElement(score("r", "prosody", 500, 0.7f), 500);
        harness.processElement(score("r", "acoustic", 500, 0.1f), 500); // settled: dropped
        assertThat(harness.extractOutputValues()).hasSize(3);
        assertThat(harness.extractOutputValues().get(2).getStatus()).isEqualTo(PredictionStatus.COMPLETE);
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    /** Event time: the completing score deletes the event-time timer; a later watermark emits nothing more. */
    @Test
    void onEventTimeCompleteDeletesTheTimer() throws Exception {
        open(ScoreJoin.Clock.EVENT_TIME);
        harness.processElement(score("c", "acoustic", 10_000, 0.9f), 10_000);
        harness.processElement(score("c", "lexical", 10_000, 0.8f), 10_000);
        harness.processElement(score("c", "prosody", 10_000, 0.7f), 10_000);
        assertThat(harness.numEventTimeTimers()).isZero();
        harness.processWatermark(new Watermark(20_000));
        assertThat(harness.extractOutputValues()).singleElement()
                .satisfies(p -> assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE));
    }
}
