package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.latefuse.topology.FusionDriver.T0;
import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The input deadline clock, rule by rule: an event is DEGRADED only when its deadline (first score written +
 * max.wait) has passed and every input partition of its task has been read up to it, either caught up or read past it.
 * The driver's input is caught up unless a test marks a topic as behind.
 */
class InputClockTest {

    private static String topic(FusionDriver d, String modality) {
        return d.config.modalities().get(d.config.modalityIndex(modality)).topic();
    }

    @Test
    void onCaughtUpInputAMissingModalityIsDegradedAtMaxWaitAfterTheFirstWrite() {
        try (FusionDriver d = new FusionDriver("")) {
            d.sendAt(score("e1", "acoustic", 0.9f), T0);
            d.sendAt(score("e1", "lexical", 0.8f), T0.plusMillis(40));
            d.advanceWall(290);
            assertThat(d.drain()).isEmpty();
            d.advanceWall(20);
            FusedPrediction p = single(d.drain());
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getMissing()).containsExactly("prosody", "visual");
            assertThat(p.getDeadline()).isEqualTo(T0.plusMillis(300));
            assertThat(p.getDegradedReason()).contains("no score of prosody, visual was read")
                    .contains("every input partition was read past it");
        }
    }

    @Test
    void aPartitionWithUnreadInputHoldsTheDeadlineAndTheScoreItHeldCompletesTheEvent() {
        try (FusionDriver d = new FusionDriver("")) {
            d.progress.behind(topic(d, "prosody"));
            d.sendAt(score("e1", "acoustic", 0.9f), T0);
            d.sendAt(score("e1", "lexical", 0.8f), T0);
            d.advanceWall(5_000); // the wall clock is far past the deadline, but prosody is not read that far
            assertThat(d.drain()).isEmpty();
            assertThat(d.telemetry.registry().get("latefuse.input.holdback").gauge().value())
                    .as("held back by the unread prosody partition").isGreaterThanOrEqualTo(5_000);

            // The prosody score was written at T0 + 120 ms and sat unread: now it is read.
            d.sendAt(score("e1", "prosody", 0.7f), T0.plusMillis(120));
            FusedPrediction p = single(d.drain());
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            assertThat(p.getRevision()).isZero();
        }
    }

    @Test
    void aPartitionWhoseProgressCannotBeConfirmedHoldsDeadlinesAtMostMaxHoldbackAndIsNamed() {
        try (FusionDriver d = new FusionDriver("max.holdback: 5s\n")) {
            d.progress.behind(topic(d, "prosody")); // its leader is down: nothing can be confirmed read
            d.sendAt(score("e1", "acoustic", 0.9f), T0);
            d.sendAt(score("e1", "lexical", 0.8f), T0);
            d.advanceWall(5_000);
            assertThat(d.drain()).as("within max.holdback of the task's start: waits").isEmpty();
            d.advanceWall(320); // the deadline (T0 + 300 ms) is now more than max.holdback ago
            FusedPrediction p = single(d.drain());
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getMissing()).containsExactly("prosody", "visual");
            assertThat(p.getDegradedReason()).contains("max.holdback 5s passed").contains(topic(d, "prosody") + "-0")
                    .contains("the test holds it behind").doesNotContain("every input partition was read past it");
            assertThat(d.telemetry.registry().get("latefuse.deadlines.unconfirmed").counter().count()).isEqualTo(1.0);
        }
    }

    @Test
    void aRecordReadPastTheDeadlineReleasesIt() {
        try (FusionDriver d = new FusionDriver("")) {
            d.progress.behind(topic(d, "prosody"));
            d.sendAt(score("e1", "acoustic", 0.9f), T0);
            d.sendAt(score("e1", "lexical", 0.8f), T0);
            d.advanceWall(1_000);
            // Prosody is read up to T0 + 200 ms: not yet past e1's deadline (T0 + 300 ms).
            d.sendAt(score("e2", "prosody", 0.5f), T0.plusMillis(200));
            d.advanceWall(20);
            assertThat(d.drain()).isEmpty();
            // A prosody record written after the deadline: every prosody score of e1 would have come before it.
            d.sendAt(score("e3", "prosody", 0.5f), T0.plusMillis(301));
            d.advanceWall(20);
            FusedPrediction p = single(d.drain());
            assertThat(p.getEventId()).isEqualTo("e1");
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getMissing()).containsExactly("prosody", "visual");
        }
    }

    @Test
    void aPartitionThatNeverGetsARecordButIsCaughtUpHoldsNothing() {
        // visual is optional and silent forever (camera off); prosody's producer has stopped for good.
        try (FusionDriver d = new FusionDriver("")) {
            for (int e = 0; e < 3; e++) {
                d.sendAt(score("e" + e, "acoustic", 0.9f), T0);
                d.sendAt(score("e" + e, "lexical", 0.9f), T0);
            }
            d.advanceWall(310);
            assertThat(d.drain()).hasSize(3).allSatisfy(p -> assertThat(p.getMissing()).containsExactly("prosody", "visual"));
        }
    }

    @Test
    void afterARestartRestoredEventsWaitForTheBacklogAndComplete() {
        PipelineConfig config = PipelineConfigLoader.parse(FusionDriver.BASE.formatted("input-clock"), "test", Map.of());
        ProcessorHarness before = new ProcessorHarness(config);
        before.process(score("e1", "acoustic", 0.9f, T0));
        before.process(score("e2", "acoustic", 0.9f, T0));

        // Down for 8 s. The new instance has read nothing yet: no partition is known to be caught up.
        ProcessorHarness after = new ProcessorHarness(config, before);
        after.setWall(8_000);
        for (PipelineConfig.ModalityConfig m : config.modalities()) {
            after.progress.behind(m.topic());
        }
        after.punctuate();
        assertThat(after.predictions()).as("nothing is declared missing while the backlog is unread").isEmpty();

        // The backlog, in write order: e1's other scores, written within its max.wait.
        after.process(score("e1", "lexical", 0.8f, T0.plusMillis(100)));
        after.process(score("e1", "prosody", 0.7f, T0.plusMillis(250)));
        after.punctuate();
        assertThat(after.predictions()).extracting(FusedPrediction::getEventId).containsExactly("e1");
        assertThat(after.predictions().get(0).getStatus()).isEqualTo(PredictionStatus.COMPLETE);

        // Then the input is caught up: e2's other scores never came, and now that is known.
        for (PipelineConfig.ModalityConfig m : config.modalities()) {
            after.progress.caughtUp(m.topic());
        }
        after.punctuate();
        List<FusedPrediction> out = after.predictions();
        assertThat(out).extracting(FusedPrediction::getEventId).containsExactly("e1", "e2");
        assertThat(out.get(1).getStatus()).isEqualTo(PredictionStatus.DEGRADED);
    }

    @Test
    void aScoreWrittenAfterTheDeadlineIsLateEvenWhenNoScanRanSince() {
        // A long punctuation interval: no scan runs between the two scores.
        PipelineConfig config = PipelineConfigLoader.parse(FusionDriver.BASE.formatted("input-clock")
                .replace("punctuation.interval: 10ms", "punctuation.interval: 5s"), "test", Map.of());
        ProcessorHarness h = new ProcessorHarness(config);
        h.process(score("e1", "acoustic", 0.9f, T0));
        h.setWall(400);
        h.process(score("e1", "lexical", 0.8f, T0.plusMillis(400))); // written 100 ms after the deadline
        List<FusedPrediction> out = h.predictions();
        assertThat(out).hasSize(2);
        assertThat(out.get(0).getRevision()).isZero();
        assertThat(out.get(0).getStatus()).isEqualTo(PredictionStatus.DEGRADED);
        assertThat(out.get(0).getPresent()).containsExactly("acoustic");
        assertThat(out.get(1).getRevision()).isEqualTo(1);
        assertThat(out.get(1).getPresent()).containsExactly("acoustic", "lexical");
    }

    @Test
    void aProducerClockAheadCannotStretchTheWait() {
        // On a CreateTime topic a producer 5 s ahead stamps its scores 5 s in the future; the wait starts when the
        // score was read instead.
        try (FusionDriver d = new FusionDriver("")) {
            d.sendAt(score("e1", "acoustic", 0.9f), T0.plusSeconds(5));
            d.advanceWall(310);
            FusedPrediction p = single(d.drain());
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getDeadline()).isEqualTo(T0.plusMillis(300));
        }
    }

    @Test
    void aProducerClockBehindMakesTheDeadlineEarlier() {
        // A producer 5 s behind stamps its scores 5 s in the past: on a CreateTime topic the deadline is taken from
        // that stamp, so it has passed by the time the score is read. (A LogAppendTime topic, which --create-topics
        // makes, takes the broker's clock instead, and no producer clock matters.)
        try (FusionDriver d = new FusionDriver("")) {
            d.sendAt(score("e1", "acoustic", 0.9f), T0.minusSeconds(5));
            d.advanceWall(10);
            FusedPrediction p = single(d.drain());
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getDeadline()).isEqualTo(T0.minusSeconds(5).plusMillis(300));
        }
    }

    @Test
    void aBrokerClockBehindByLessThanMaxWaitFiresTheDeadlineThatMuchEarlyAndNoEarlier() {
        // The documented bound of skew: the broker stamps (LogAppendTime) 100 ms behind the app's clock, and the
        // caught-up input counts as read to the app's clock. max.wait is 300 ms: the event is declared after 200 ms
        // of the app's time, never sooner.
        try (FusionDriver d = new FusionDriver("")) {
            d.sendAt(score("e1", "acoustic", 0.9f), T0.minusMillis(100));
            d.sendAt(score("e1", "lexical", 0.8f), T0.minusMillis(100));
            d.advanceWall(195);
            assertThat(d.drain()).as("before max.wait less the skew").isEmpty();
            d.advanceWall(15);
            FusedPrediction p = single(d.drain());
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getDeadline()).isEqualTo(T0.plusMillis(200));
        }
    }

    @Test
    void aTimestampFarInThePastIsDegradedOnceTheInputIsReadAndOneFarAheadWaitsFromItsRead() {
        try (FusionDriver d = new FusionDriver("")) {
            d.sendAt(score("past", "acoustic", 0.9f), Instant.parse("2001-01-01T00:00:00Z"));
            d.sendAt(score("ahead", "acoustic", 0.9f), T0.plusSeconds(3_000)); // 50 min: brokers accept up to 1 h
            d.advanceWall(10);
            assertThat(d.drain()).extracting(FusedPrediction::getEventId).containsExactly("past");
            d.advanceWall(300);
            assertThat(d.drain()).extracting(FusedPrediction::getEventId).containsExactly("ahead");
        }
    }

    @Test
    void theProcessingTimeClockDoesNotWaitForUnreadInput() {
        try (FusionDriver d = new FusionDriver("deadline.clock: processing_time\n")) {
            d.progress.behind(topic(d, "prosody"));
            d.sendAt(score("e1", "acoustic", 0.9f), T0);
            d.advanceWall(310);
            FusedPrediction p = single(d.drain());
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getDegradedReason()).contains("processing_time does not wait for unread input");
        }
    }

    @Test
    void everyRecordReadIsReportedSoThatBufferedInputIsKnown() {
        try (FusionDriver d = new FusionDriver("")) {
            d.sendAt(score("e1", "acoustic", 0.9f), T0);
            d.sendAt(score("e1", "acoustic", 0.9f), T0); // a duplicate is read too
            d.send("acoustic", "bad", score("bad", "smell", 0.9f)); // and a record that is dead-lettered
            assertThat(d.progress.seen).containsEntry(new org.apache.kafka.common.TopicPartition(topic(d, "acoustic"), 0), 2L);
        }
    }

    private static FusedPrediction single(List<FusedPrediction> out) {
        assertThat(out).hasSize(1);
        return out.get(0);
    }
}
