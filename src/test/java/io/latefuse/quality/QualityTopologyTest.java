package io.latefuse.quality;

import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.streams.DeadLetterReason;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.latefuse.quality.QualityDriver.label;
import static io.latefuse.quality.QualityDriver.prediction;
import static io.latefuse.quality.QualityDriver.score;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The quality join and window on a TopologyTestDriver: labels before and after, duplicates, bad labels, expiry. */
class QualityTopologyTest {
    private static final List<String> AL = List.of("acoustic", "lexical");
    private static final List<String> ALL3 = List.of("acoustic", "lexical", "prosody");

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void aLabelBeforeItsPredictionIsJudgedWhenThePredictionComes() {
        try (QualityDriver d = new QualityDriver("")) {
            d.label(label("e1", "directed"));
            assertThat(d.held("e1").getJudged()).isFalse();
            d.predict(prediction("e1", 0, AL, 0.8f));
            d.advance(Duration.ofMinutes(1));
            Map<String, FusionQuality> rows = d.latestRows();
            assertThat(rows.get("all/FIRST").getEvents()).isEqualTo(1);
            assertThat(rows.get("all/FIRST").getAccuracy()).isEqualTo(1.0);
            assertThat(rows.get("acoustic+lexical/FIRST").getEvents()).isEqualTo(1);
            assertThat(rows.get("acoustic+lexical/LAST").getEvents()).isEqualTo(1);
            // one event, confidence 0.8, right: |1 - 0.8| / 1
            assertThat(rows.get("all/FIRST").getEce()).isCloseTo(0.2, within(1e-6));
            assertThat(rows.get("all/FIRST").getMeanWaitMs()).isEqualTo(100.0);
            assertThat(rows.get("all/FIRST").getFrr()).as("no operating points").isNull();
            assertThat(d.counter("latefuse.quality.labels.joined")).isEqualTo(1);
        }
    }

    @Test
    void aLabelAfterRevisionsJudgesRevisionZeroAndTheLastAndIgnoresLaterRevisions() {
        try (QualityDriver d = new QualityDriver("")) {
            d.predict(prediction("e1", 0, List.of("acoustic"), 0.3f)); // undirected: wrong
            d.predict(prediction("e1", 1, AL, 0.9f)); // directed: right
            d.label(label("e1", "directed"));
            d.predict(prediction("e1", 2, ALL3, 0.1f)); // after judging: not counted
            d.advance(Duration.ofMinutes(1));
            Map<String, FusionQuality> rows = d.latestRows();
            assertThat(rows.get("all/FIRST").getEvents()).isEqualTo(1);
            assertThat(rows.get("all/FIRST").getCorrect()).isZero();
            assertThat(rows.get("acoustic/FIRST").getEvents()).isEqualTo(1);
            assertThat(rows.get("all/LAST").getCorrect()).isEqualTo(1);
            assertThat(rows.get("acoustic+lexical/LAST").getEvents()).isEqualTo(1);
            assertThat(rows).doesNotContainKey("acoustic+lexical+prosody/LAST");
            assertThat(d.counter("latefuse.quality.revisions.after.judging")).isEqualTo(1);
        }
    }

    @Test
    void theFirstLabelWinsAndADuplicateIsCounted() {
        try (QualityDriver d = new QualityDriver("")) {
            d.predict(prediction("e1", 0, AL, 0.8f));
            d.label(label("e1", "directed"));
            d.label(label("e1", "undirected"));
            d.advance(Duration.ofMinutes(1));
            assertThat(d.latestRows().get("all/FIRST").getAccuracy()).isEqualTo(1.0);
            assertThat(d.latestRows()).isEmpty(); // read above
            assertThat(d.counter("latefuse.quality.labels.duplicate")).isEqualTo(1);
            assertThat(d.counter("latefuse.quality.labels.joined")).isEqualTo(1);
        }
    }

    @Test
    void aLabelOfAnUnknownClassIsDeadLetteredNamingTheEventAndTheValueAndTheAppGoesOn() {
        try (QualityDriver d = new QualityDriver("")) {
            d.predict(prediction("e1", 0, AL, 0.8f));
            d.label(label("e1", "maybe"));
            d.label(label("e1", "directed"));
            List<TestRecord<byte[], byte[]>> dead = d.deadLetterRecords();
            assertThat(dead).hasSize(1); // an undecodable label: QualityIT, on a real broker (the test driver
            // does not write the deserialization handler's dead letters)
            assertThat(header(dead.get(0), DeadLetterReason.HEADER)).isEqualTo("unknown_class");
            assertThat(header(dead.get(0), DeadLetterReason.DETAIL_HEADER)).contains("event e1").contains("'maybe'")
                    .contains("[directed, undirected]");
            d.advance(Duration.ofMinutes(1));
            assertThat(d.latestRows().get("all/FIRST").getEvents()).as("the good label that followed").isEqualTo(1);
            assertThat(d.meters.find("latefuse.dead.letters").tag("reason", "unknown_class").counter().count())
                    .isEqualTo(1);
        }
    }

    @Test
    void aLabelWhoseKeyIsNotItsEventIsDeadLettered() {
        try (QualityDriver d = new QualityDriver("")) {
            d.labels.pipeInput("other", label("e1", "directed"));
            assertThat(d.deadLetterRecords()).singleElement()
                    .satisfies(r -> assertThat(header(r, DeadLetterReason.HEADER)).isEqualTo("key_mismatch"));
            assertThat(d.held("e1")).isNull();
        }
    }

    @Test
    void eventsExpireAfterTheRetentionCountingWhatNeverMet() {
        try (QualityDriver d = new QualityDriver("")) {
            d.predict(prediction("p", 0, AL, 0.8f));
            d.label(label("l", "directed"));
            d.predict(prediction("j", 0, AL, 0.8f));
            d.label(label("j", "directed"));
            d.advance(Duration.ofMinutes(59));
            assertThat(d.held("p")).isNotNull();
            assertThat(d.held("j")).as("judged, kept to recognise duplicates").isNotNull();
            d.advance(Duration.ofMinutes(2));
            assertThat(d.held("p")).isNull();
            assertThat(d.held("l")).isNull();
            assertThat(d.held("j")).isNull();
            assertThat(d.counter("latefuse.quality.predictions.unlabelled")).isEqualTo(1);
            assertThat(d.counter("latefuse.quality.labels.unmatched")).isEqualTo(1);
            // p's label now starts a new wait; it is not judged against the forgotten prediction
            d.label(label("p", "directed"));
            assertThat(d.held("p").getFirst()).isNull();
            assertThat(d.counter("latefuse.quality.labels.joined")).isEqualTo(1);
        }
    }

    @Test
    void outcomesLeaveTheSlidingWindow() {
        try (QualityDriver d = new QualityDriver("")) {
            d.predict(prediction("e1", 0, AL, 0.8f));
            d.label(label("e1", "directed"));
            d.advance(Duration.ofMinutes(5));
            d.predict(prediction("e2", 0, AL, 0.2f));
            d.label(label("e2", "directed"));
            d.advance(Duration.ofMinutes(1));
            assertThat(d.latestRows().get("all/FIRST").getEvents()).isEqualTo(2);
            d.advance(Duration.ofMinutes(5)); // e1 was judged 11 min ago: out of the 10 min window
            FusionQuality row = d.latestRows().get("all/FIRST");
            assertThat(row.getEvents()).isEqualTo(1);
            assertThat(row.getAccuracy()).isEqualTo(0.0);
            assertThat(row.getWindowEnd().toEpochMilli() - row.getWindowStart().toEpochMilli())
                    .isEqualTo(Duration.ofMinutes(10).toMillis());
            d.advance(Duration.ofMinutes(6));
            row = d.latestRows().get("acoustic+lexical/FIRST");
            assertThat(row.getEvents()).as("the row stays, at 0").isZero();
            assertThat(row.getAccuracy()).isNull();
            assertThat(row.getEce()).isNull();
        }
    }

    @Test
    void judgedEventsWriteTheirScoresAsLabelledScores() {
        try (QualityDriver d = new QualityDriver("labelled.topic: t.labelled\n")) {
            d.scores.get("acoustic").pipeInput("e1", score("e1", "acoustic", 0.7f), d.now());
            d.scores.get("lexical").pipeInput("e1", score("e1", "lexical", 0.6f), d.now());
            d.scores.get("lexical").pipeInput("e1", score("e1", "lexical", 0.1f), d.now()); // duplicate: the first stays
            d.predict(prediction("e1", 0, AL, 0.65f));
            assertThat(d.labelled.isEmpty()).as("not judged before its label").isTrue();
            d.label(label("e1", "undirected"));
            List<LabelledModalityScore> out = d.labelled.readValuesToList();
            assertThat(out).extracting(l -> l.getScore().getModality()).containsExactly("acoustic", "lexical");
            assertThat(out).allSatisfy(l -> assertThat(l.getLabel()).isEqualTo("undirected"));
            assertThat(out.get(1).getScore().getScores()).containsExactly(0.6f, 1 - 0.6f);
            assertThat(d.held("e1").getScores()).as("dropped once judged").isEmpty();
        }
    }

    @Test
    void withOperatingPointsFrrAndFarCountTheDecisionAgainstTheTruth(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path points = dir.resolve("points.json");
        new io.latefuse.config.OperatingPoints("p", "weighted_mean", "directed",
                io.latefuse.config.OperatingPoints.Metric.FRR, 0.1, 0.5, 10, List.of(), List.of()).write(points);
        try (QualityDriver d = new QualityDriver("operating.points: " + points + "\n")) {
            // positives: p1 accepted, p2 rejected (a false reject); negatives: n1 accepted (a false accept), n2 rejected
            d.predict(prediction("p1", 0, AL, 0.8f, "directed"));
            d.predict(prediction("p2", 0, AL, 0.6f, "undirected"));
            d.predict(prediction("n1", 0, AL, 0.7f, "directed"));
            d.predict(prediction("n2", 0, AL, 0.3f, "undirected"));
            d.label(label("p1", "directed"));
            d.label(label("p2", "directed"));
            d.label(label("n1", "undirected"));
            d.label(label("n2", "undirected"));
            d.advance(Duration.ofMinutes(1));
            FusionQuality all = d.latestRows().get("all/FIRST");
            assertThat(all.getPositiveClass()).isEqualTo("directed");
            assertThat(all.getPositives()).isEqualTo(2);
            assertThat(all.getNegatives()).isEqualTo(2);
            assertThat(all.getFalseRejects()).isEqualTo(1);
            assertThat(all.getFalseAccepts()).isEqualTo(1);
            assertThat(all.getFrr()).isEqualTo(0.5);
            assertThat(all.getFar()).isEqualTo(0.5);
            // the label (argmax) is judged for accuracy: p1, p2 (0.6 directed) and n2 right, n1 wrong
            assertThat(all.getAccuracy()).isEqualTo(0.75);
        }
    }
}
