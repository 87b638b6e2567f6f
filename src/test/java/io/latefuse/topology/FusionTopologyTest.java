package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.ScoreType;
import io.latefuse.streams.DeadLetterReason;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.latefuse.topology.FusionDriver.T0;
import static io.latefuse.topology.FusionDriver.header;
import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The fusion processor on TopologyTestDriver: the join semantics of docs/DESIGN.md, one by one. */
class FusionTopologyTest {
    private static final List<String> ALL = List.of("acoustic", "lexical", "prosody", "visual");

    @Test
    void allArriveOneCompleteComesOutAtOnce() {
        try (FusionDriver d = new FusionDriver("")) {
            d.send(score("e1", "visual", 0.6f));
            d.send(score("e1", "acoustic", 0.9f));
            d.send(score("e1", "lexical", 0.7f));
            assertThat(d.drain()).isEmpty();
            d.send(score("e1", "prosody", 0.8f));
            // All four are in: the prediction is out, and no clock was advanced.
            List<FusedPrediction> out = d.drain();
            assertThat(out).hasSize(1);
            FusedPrediction p = out.get(0);
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            assertThat(p.getRevision()).isZero();
            assertThat(p.getPresent()).containsExactlyElementsOf(ALL);
            assertThat(p.getMissing()).isEmpty();
            assertThat(p.getLabel()).isEqualTo("directed");
            assertThat(p.getScores().get(0)).isCloseTo(0.75f, within(1e-6f)); // mean of .9 .7 .8 .6
            assertThat(p.getContributions()).containsOnlyKeys(ALL).allSatisfy((k, v) -> assertThat(v).isEqualTo(0.25f));
            assertThat(p.getStrategy()).isEqualTo("weighted_mean");
        }
    }

    @Test
    void requiredInAndOptionalMissingEmitsCompleteAtOnceWithTheOptionalListedMissing() {
        try (FusionDriver d = new FusionDriver("")) {
            d.send(score("e1", "prosody", 0.8f));
            d.send(score("e1", "acoustic", 0.9f));
            assertThat(d.drain()).isEmpty();
            d.send(score("e1", "lexical", 0.7f));
            FusedPrediction p = single(d.drain());
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            assertThat(p.getMissing()).containsExactly("visual");
            assertThat(p.getPresent()).containsExactly("acoustic", "lexical", "prosody"); // config order
        }
    }

    @Test
    void optionalWaitHoldsForTheOptionalModalityThenGivesUp() {
        try (FusionDriver d = new FusionDriver("optional.wait: 50ms\n")) {
            for (String m : List.of("acoustic", "lexical", "prosody")) {
                d.send(score("waits", m, 0.9f));
                d.send(score("gets-it", m, 0.9f));
            }
            assertThat(d.drain()).isEmpty();
            d.send(score("gets-it", "visual", 0.1f));
            FusedPrediction got = single(d.drain());
            assertThat(got.getEventId()).isEqualTo("gets-it");
            assertThat(got.getMissing()).isEmpty();

            d.advanceWall(40);
            assertThat(d.drain()).isEmpty();
            d.advanceWall(20);
            FusedPrediction gaveUp = single(d.drain());
            assertThat(gaveUp.getEventId()).isEqualTo("waits");
            assertThat(gaveUp.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            assertThat(gaveUp.getMissing()).containsExactly("visual");
            assertThat(gaveUp.getWaitMs()).isBetween(50L, 60L);
        }
    }

    @Test
    void oneMissingOnTheWallClockIsDegradedAtTheDeadline() {
        try (FusionDriver d = new FusionDriver("")) {
            d.send(score("e1", "acoustic", 0.9f));
            d.send(score("e1", "visual", 0.9f));
            d.send(score("e1", "lexical", 0.3f));
            d.advanceWall(290);
            assertThat(d.drain()).as("nothing before the deadline").isEmpty();
            d.advanceWall(20); // 310 ms: past the 300 ms deadline, within one punctuation interval
            FusedPrediction p = single(d.drain());
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getMissing()).containsExactly("prosody");
            assertThat(p.getPresent()).containsExactly("acoustic", "lexical", "visual");
            assertThat(p.getWaitMs()).isBetween(300L, 310L);
            assertThat(p.getFirstArrival()).isEqualTo(T0);
            assertThat(p.getScores().get(0)).isCloseTo((0.9f + 0.9f + 0.3f) / 3, within(1e-6f));
            d.advanceWall(1_000);
            assertThat(d.drain()).as("emitted once").isEmpty();
        }
    }

    @Test
    void oneMissingOnTheEventClockIsDegradedWhenStreamTimePassesTheDeadline() {
        try (FusionDriver d = new FusionDriver("deadline.clock: event\n")) {
            d.send(score("e1", "acoustic", 0.9f, T0));
            d.send(score("e1", "lexical", 0.8f, T0.plusMillis(5)));
            d.advanceWall(10_000);
            assertThat(d.drain()).as("wall time does not matter on the event clock").isEmpty();
            // Other traffic moves stream time, first to just before e1's deadline (event_time + 300 ms)...
            d.send(score("e2", "acoustic", 0.1f, T0.plusMillis(299)));
            assertThat(d.drain()).isEmpty();
            // ...then past it.
            d.send(score("e3", "acoustic", 0.1f, T0.plusMillis(320)));
            FusedPrediction p = single(d.drain());
            assertThat(p.getEventId()).isEqualTo("e1");
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getMissing()).containsExactly("prosody", "visual");
            assertThat(p.getEventTime()).isEqualTo(T0);
        }
    }

    @Test
    void lateArrivalIsRevisedUnderRevise() {
        try (FusionDriver d = new FusionDriver("late.policy: revise\n")) {
            d.send(score("e1", "acoustic", 0.9f));
            d.send(score("e1", "lexical", 0.9f));
            d.advanceWall(310);
            FusedPrediction first = single(d.drain());
            assertThat(first.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(first.getRevision()).isZero();

            d.send(score("e1", "prosody", 0.0f));
            FusedPrediction revised = single(d.drain());
            assertThat(revised.getRevision()).isEqualTo(1);
            assertThat(revised.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            assertThat(revised.getPresent()).containsExactly("acoustic", "lexical", "prosody");
            assertThat(revised.getMissing()).containsExactly("visual");
            assertThat(revised.getScores().get(0)).isCloseTo(0.6f, within(1e-6f));

            d.send(score("e1", "visual", 0.0f));
            assertThat(single(d.drain()).getRevision()).isEqualTo(2);
            assertThat(d.metricTotal("latefuse.late.arrivals")).isEqualTo(2);
            assertThat(d.drainDeadLetters()).isEmpty();
        }
    }

    @Test
    void eachModalitysArrivalDelayAfterTheEventsFirstScoreIsMetered() {
        try (FusionDriver d = new FusionDriver("")) {
            d.send(score("e1", "acoustic", 0.9f));
            d.advanceWall(120);
            d.send(score("e1", "lexical", 0.9f));
            d.advanceWall(200);
            d.send(score("e1", "prosody", 0.9f)); // written 320 ms after the first: past max.wait, so late
            d.advanceWall(10);
            var registry = d.telemetry.registry();
            assertThat(registry.get("latefuse.arrival.delay").tag("modality", "acoustic").summary().max()).isZero();
            assertThat(registry.get("latefuse.arrival.delay").tag("modality", "lexical").summary().max()).isEqualTo(120);
            assertThat(registry.get("latefuse.arrival.delay").tag("modality", "prosody").summary().max()).isEqualTo(320);
        }
    }

    @Test
    void onChangeEmitsARevisionOnlyWhenTheAnswerMoves() {
        try (FusionDriver d = new FusionDriver("late.policy: revise\nrevision.policy: on_change\nrevision.min.delta: 0.05\n")) {
            d.send(score("e1", "acoustic", 0.9f));
            d.send(score("e1", "lexical", 0.9f));
            d.advanceWall(310);
            assertThat(single(d.drain()).getScores().get(0)).isCloseTo(0.9f, within(1e-6f));

            // The mean moves to 0.867: by less than 0.05, and the label stays. No revision, but the score is kept.
            d.send(score("e1", "prosody", 0.8f));
            assertThat(d.drain()).isEmpty();
            assertThat(d.metricTotal("latefuse.revisions.suppressed")).isEqualTo(1);

            // Now to 0.65: one revision, over everything that came, the suppressed score too.
            d.send(score("e1", "visual", 0.0f));
            FusedPrediction revised = single(d.drain());
            assertThat(revised.getRevision()).isEqualTo(1);
            assertThat(revised.getPresent()).containsExactly("acoustic", "lexical", "prosody", "visual");
            assertThat(revised.getScores().get(0)).isCloseTo(0.65f, within(1e-6f));
            assertThat(d.metricTotal("latefuse.revisions")).isEqualTo(1);
            assertThat(d.metricTotal("latefuse.revisions.suppressed")).isEqualTo(1);
        }
    }

    @Test
    void onChangeEmitsARevisionThatFlipsTheLabelHoweverSmallTheMove() {
        try (FusionDriver d = new FusionDriver("late.policy: revise\nrevision.policy: on_change\nrevision.min.delta: 0.5\n")) {
            d.send(score("e1", "acoustic", 0.55f));
            d.send(score("e1", "lexical", 0.55f));
            d.advanceWall(310);
            assertThat(single(d.drain()).getLabel()).isEqualTo("directed");

            d.send(score("e1", "prosody", 0.3f)); // the mean moves by 0.08, to 0.467: the label flips
            FusedPrediction flipped = single(d.drain());
            assertThat(flipped.getRevision()).isEqualTo(1);
            assertThat(flipped.getLabel()).isEqualTo("undirected");
            assertThat(d.metricTotal("latefuse.revisions.suppressed")).isZero();
        }
    }

    @Test
    void lateArrivalIsDeadLetteredUnderDrop() {
        try (FusionDriver d = new FusionDriver("late.policy: drop\n")) {
            d.send(score("e1", "acoustic", 0.9f));
            d.send(score("e1", "lexical", 0.9f));
            d.send(score("e1", "prosody", 0.9f));
            assertThat(single(d.drain()).getMissing()).containsExactly("visual");
            d.send(score("e1", "visual", 0.2f));
            assertThat(d.drain()).isEmpty();
            TestRecord<byte[], byte[]> dead = single(d.drainDeadLetters());
            assertThat(header(dead, DeadLetterReason.HEADER)).isEqualTo("late");
            assertThat(header(dead, DeadLetterReason.DETAIL_HEADER)).contains("e1").contains("visual");
            assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("e1");
        }
    }

    @Test
    void aDuplicateModalityMakesNoSecondOutput() {
        try (FusionDriver d = new FusionDriver("")) {
            d.send(score("e1", "acoustic", 0.9f));
            d.send(score("e1", "acoustic", 0.1f)); // duplicate while pending: first wins
            d.send(score("e1", "lexical", 0.9f));
            d.send(score("e1", "prosody", 0.9f));
            FusedPrediction p = single(d.drain());
            assertThat(p.getScores().get(0)).isCloseTo(0.9f, within(1e-6f));
            d.send(score("e1", "lexical", 0.5f)); // duplicate after emission
            assertThat(d.drain()).isEmpty();
            assertThat(d.drainDeadLetters()).isEmpty();
            assertThat(d.metricTotal("latefuse.duplicates")).isEqualTo(2);
        }
    }

    @Test
    void tenThousandEventsInRandomSubsetsAndOrdersGiveExactlyOneRevisionZeroEach() {
        Random rnd = new Random(42);
        try (FusionDriver d = new FusionDriver("store.type: memory\n")) {
            Map<String, List<String>> sent = new HashMap<>();
            List<ModalityScore> records = new ArrayList<>();
            for (int e = 0; e < 10_000; e++) {
                String id = "ev-" + e;
                List<String> subset = new ArrayList<>();
                for (String m : ALL) {
                    if (rnd.nextDouble() < 0.75) {
                        subset.add(m);
                    }
                }
                if (subset.isEmpty()) {
                    subset.add(ALL.get(rnd.nextInt(ALL.size())));
                }
                sent.put(id, subset);
                for (String m : subset) {
                    records.add(score(id, m, rnd.nextFloat()));
                    if (rnd.nextDouble() < 0.05) {
                        records.add(score(id, m, rnd.nextFloat())); // a duplicate delivery
                    }
                }
            }
            Collections.shuffle(records, rnd);
            List<FusedPrediction> out = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                d.send(records.get(i));
                if (i % 500 == 0) {
                    d.advanceWall(1); // about 80 ms over the whole run: well inside max.wait
                    out.addAll(d.drain());
                }
            }
            // Past every deadline; a scan fires at most MAX_DUE_PER_SCAN, so a few punctuations (the driver runs
            // one per advance) fire them all.
            for (int k = 0; k < 4; k++) {
                d.advanceWall(100);
                out.addAll(d.drain());
            }

            Map<String, Integer> revisionZero = new HashMap<>();
            for (FusedPrediction p : out) {
                if (p.getRevision() == 0) {
                    revisionZero.merge(p.getEventId(), 1, Integer::sum);
                    List<String> subset = sent.get(p.getEventId());
                    boolean allRequired = subset.containsAll(List.of("acoustic", "lexical", "prosody"));
                    assertThat(p.getStatus()).isEqualTo(allRequired ? PredictionStatus.COMPLETE : PredictionStatus.DEGRADED);
                }
            }
            assertThat(revisionZero).hasSize(10_000).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            // Revisions only come from modalities that arrived after their event was emitted.
            assertThat(out.stream().filter(p -> p.getRevision() > 0)).allSatisfy(p ->
                    assertThat(p.getPresent()).isSubsetOf(sent.get(p.getEventId())));
            assertThat(d.drainDeadLetters()).isEmpty();
        }
    }

    @Test
    void invalidRecordsGoToTheDeadLetterTopicWithTheirReasonAndProcessingGoesOn() {
        try (FusionDriver d = new FusionDriver("")) {
            d.send("acoustic", "bad-1", score("bad-1", "gaze", 0.5f));                          // unknown modality
            ModalityScore wrongLength = score("bad-2", "acoustic", 0.5f);
            wrongLength.setScores(List.of(0.2f, 0.3f, 0.5f));
            d.send(wrongLength);                                                                // wrong length
            ModalityScore nan = score("bad-3", "lexical", 0.5f);
            nan.setScores(List.of(Float.NaN, 0.5f));
            nan.setScoreType(ScoreType.LOGIT);
            d.send(nan);                                                                        // NaN
            d.send("prosody", "someone-else", score("bad-4", "prosody", 0.5f));                 // key != event_id
            // Garbage bytes: TopologyTestDriver skips them but does not produce deserialization dead letters
            // (FusionIT shows them on a real broker); here they only show that processing goes on.
            d.sendRaw("acoustic", "bad-5".getBytes(StandardCharsets.UTF_8), new byte[] {9, 9, 9, 9, 9, 9});
            ModalityScore notProbability = score("bad-6", "acoustic", 0.5f);
            notProbability.setScores(List.of(0.9f, 0.9f));
            d.send(notProbability);                                                             // sums to 1.8
            d.send("lexical", "bad-7", score("bad-7", "acoustic", 0.5f));                       // wrong topic
            d.send("acoustic", "bad-8", null);                                                  // tombstone

            // A good event still goes through afterwards.
            for (String m : List.of("acoustic", "lexical", "prosody")) {
                d.send(score("good", m, 0.9f));
            }
            assertThat(single(d.drain()).getEventId()).isEqualTo("good");

            List<TestRecord<byte[], byte[]>> dead = d.drainDeadLetters();
            assertThat(dead).extracting(r -> header(r, DeadLetterReason.HEADER)).containsExactly(
                    "unknown_modality", "wrong_length", "not_finite", "key_mismatch",
                    "out_of_range", "modality_topic_mismatch", "missing_value");
            assertThat(header(dead.get(0), DeadLetterReason.DETAIL_HEADER)).contains("'gaze'");
            assertThat(header(dead.get(1), DeadLetterReason.DETAIL_HEADER)).contains("3 values, expected 2");
            assertThat(header(dead.get(2), DeadLetterReason.DETAIL_HEADER)).contains("NaN");
            assertThat(header(dead.get(3), DeadLetterReason.DETAIL_HEADER)).contains("someone-else").contains("bad-4");
            assertThat(header(dead.get(4), DeadLetterReason.DETAIL_HEADER)).contains("sum to 1.8");
            // Kafka Streams' own headers say where each dead letter came from; the key is the original.
            assertThat(header(dead.get(0), "__streams.errors.topic")).isEqualTo("t.scores.acoustic");
            assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("bad-1");
            // None of the bad records touched state: no event was started for them.
            d.advanceWall(1_000);
            assertThat(d.drain()).isEmpty();
        }
    }

    @Test
    void aPunctuationVisitsOnlyTheExpiredEntries() {
        try (FusionDriver d = new FusionDriver("store.type: memory\n")) {
            for (int i = 0; i < 10; i++) {
                d.send(score("old-" + i, "acoustic", 0.5f));
            }
            d.advanceWall(200);
            for (int i = 0; i < 100_000; i++) {
                d.send(score("new-" + i, "acoustic", 0.5f));
            }
            double before = d.metricTotal("latefuse.deadline.index.visits");
            d.advanceWall(110); // 310 ms after the old ones, 110 ms after the new ones
            double visited = d.metricTotal("latefuse.deadline.index.visits") - before;
            List<FusedPrediction> out = d.drain();
            assertThat(out).hasSize(10).allSatisfy(p -> assertThat(p.getEventId()).startsWith("old-"));
            assertThat(visited).as("only the 10 due entries").isEqualTo(10);
        }
    }

    @Test
    void aFloodOfDueDeadlinesIsFiredInBoundedScansAndALateScoreStillComesAfterItsEventsAnswer() {
        int scan = FusionProcessor.MAX_DUE_PER_SCAN;
        int n = 7 * scan + 2_000;
        try (FusionDriver d = new FusionDriver("store.type: memory\nlate.policy: revise\n")) {
            for (int i = 0; i < n; i++) {
                d.send(score(String.format("p-%05d", i), "acoustic", 0.5f));
            }
            d.advanceWall(310); // every deadline is due: one punctuation fires one scan's worth, in index order
            List<FusedPrediction> out = new ArrayList<>(d.drain());
            assertThat(out).hasSize(scan);
            assertThat(out.get(0).getEventId()).isEqualTo("p-00000");

            // A fresh event: a scan runs before each of its records, and it is answered as soon as it is complete,
            // while the rest still wait.
            d.send(score("fresh", "acoustic", 0.9f));
            d.send(score("fresh", "lexical", 0.9f));
            d.send(score("fresh", "prosody", 0.9f));
            List<FusedPrediction> next = d.drain();
            assertThat(next).hasSize(3 * scan + 1);
            FusedPrediction fresh = next.get(next.size() - 1);
            assertThat(fresh.getEventId()).isEqualTo("fresh");
            assertThat(fresh.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            out.addAll(next.subList(0, next.size() - 1));

            // A score after the deadline of an event the next scans do not reach (one before the record, one for
            // the late score): the event is answered without it first, then revised with it, as when a scan had
            // fired it.
            String last = String.format("p-%05d", n - 1);
            d.send(score(last, "lexical", 0.1f));
            List<FusedPrediction> lateOnes = d.drain();
            assertThat(lateOnes).hasSize(2 * scan + 2);
            FusedPrediction answer = lateOnes.get(2 * scan);
            assertThat(answer.getEventId()).isEqualTo(last);
            assertThat(answer.getRevision()).isZero();
            assertThat(answer.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(answer.getPresent()).containsExactly("acoustic");
            FusedPrediction revision = lateOnes.get(2 * scan + 1);
            assertThat(revision.getEventId()).isEqualTo(last);
            assertThat(revision.getRevision()).isEqualTo(1);
            assertThat(revision.getPresent()).containsExactly("acoustic", "lexical");
            out.addAll(lateOnes.subList(0, 2 * scan + 1));

            for (int k = 0; k < 3; k++) {
                d.advanceWall(10);
                out.addAll(d.drain());
            }
            assertThat(out).hasSize(n).allSatisfy(p -> {
                assertThat(p.getRevision()).isZero();
                assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            });
            assertThat(out).extracting(FusedPrediction::getEventId).doesNotHaveDuplicates();
            assertThat(d.metricTotal("latefuse.late.arrivals")).isEqualTo(1);
            assertThat(d.drainDeadLetters()).isEmpty();
        }
    }

    private static <T> T single(List<T> list) {
        assertThat(list).hasSize(1);
        return list.get(0);
    }
}
