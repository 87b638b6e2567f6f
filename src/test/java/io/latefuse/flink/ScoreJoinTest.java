package io.latefuse.flink;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Flink job's join in Flink's own operator harness: latefuse's rules (COMPLETE on the last modality, DEGRADED at
 * the deadline naming what is missing, revisions, duplicates dropped), and, as Flink's harness tests do, that no
 * timer outlives its event and no state outlives {@code late.retention}.
 */
class ScoreJoinTest {
    private static final long MAX_WAIT = 300;
    private static final long RETENTION = Duration.ofMinutes(10).toMillis();
    private KeyedOneInputStreamOperatorTestHarness<String, ModalityScore, FusedPrediction> harness;

    static String config() {
        return PipelineConfig.builder()
                .applicationId("score-join-test")
                .bootstrapServers("localhost:9")
                .schemaRegistryUrl("http://localhost:9")
                .classes(List.of("directed", "undirected"))
                .strategy("log_odds")
                .outputTopic("out")
                .deadLetterTopic("dlq")
                .maxWait(Duration.ofMillis(MAX_WAIT))
                .modality("acoustic", "s.acoustic")
                .modality("lexical", "s.lexical")
                .modality("prosody", "s.prosody")
                .toYaml();
    }

    /** The join on {@code clock} in Flink's harness, opened at processing time (and TTL time) 1,000. */
    static KeyedOneInputStreamOperatorTestHarness<String, ModalityScore, FusedPrediction> opened(ScoreJoin.Clock clock)
            throws Exception {
        KeyedOneInputStreamOperatorTestHarness<String, ModalityScore, FusedPrediction> h =
                new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new ScoreJoin(config(), clock)),
                        ModalityScore::getEventId, Types.STRING);
        h.setProcessingTime(1_000);
        h.setStateTtlProcessingTime(1_000);
        h.open();
        return h;
    }

    private void open(ScoreJoin.Clock clock) throws Exception {
        harness = opened(clock);
    }

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    static ModalityScore score(String id, String modality, long eventTime, float p) {
        return ModalityScore.newBuilder().setEventId(id).setModality(modality).setModel("m").setModelVersion("1")
                .setScores(List.of(p, 1 - p)).setScoreType(ScoreType.PROBABILITY)
                .setEventTime(Instant.ofEpochMilli(eventTime)).build();
    }

    private List<FusedPrediction> outputs() {
        return harness.extractOutputValues();
    }

    @Test
    void theLastModalityEmitsCompleteAndDeletesTheDeadline() throws Exception {
        open(ScoreJoin.Clock.PROCESSING_TIME);
        harness.processElement(score("e1", "acoustic", 500, 0.9f), 500);
        harness.processElement(score("e1", "lexical", 500, 0.8f), 500);
        assertThat(outputs()).isEmpty();
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);
        harness.processElement(score("e1", "prosody", 500, 0.7f), 500);

        assertThat(outputs()).singleElement().satisfies(p -> {
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
            assertThat(p.getRevision()).isZero();
            assertThat(p.getPresent()).containsExactly("acoustic", "lexical", "prosody");
            assertThat(p.getMissing()).isEmpty();
            assertThat(p.getLabel()).isEqualTo("directed");
        });
        assertThat(harness.numProcessingTimeTimers()).as("the deadline, deleted").isZero();

        harness.processElement(score("e1", "lexical", 500, 0.1f), 500); // a copy: dropped
        harness.setProcessingTime(1_000 + MAX_WAIT + 1);
        assertThat(outputs()).hasSize(1);
    }

    @Test
    void theDeadlineEmitsDegradedNamingWhatIsMissingThenALateScoreRevisesIt() throws Exception {
        open(ScoreJoin.Clock.PROCESSING_TIME);
        harness.processElement(score("e2", "acoustic", 500, 0.9f), 500);
        harness.setProcessingTime(1_100);
        harness.processElement(score("e2", "lexical", 500, 0.8f), 500);
        harness.setProcessingTime(1_000 + MAX_WAIT - 1);
        assertThat(outputs()).as("the deadline counts from the first arrival").isEmpty();
        harness.setProcessingTime(1_000 + MAX_WAIT);

        assertThat(outputs()).singleElement().satisfies(p -> {
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getRevision()).isZero();
            assertThat(p.getMissing()).containsExactly("prosody");
            assertThat(p.getDegradedReason()).contains("no score of prosody was read");
            assertThat(p.getDeadline()).isEqualTo(Instant.ofEpochMilli(1_000 + MAX_WAIT));
        });
        harness.setProcessingTime(5_000);
        harness.processElement(score("e2", "prosody", 500, 0.7f), 500);
        harness.processElement(score("e2", "prosody", 500, 0.7f), 500); // a copy of the late score: dropped
        assertThat(outputs()).hasSize(2);
        FusedPrediction revised = outputs().get(1);
        assertThat(revised.getRevision()).isEqualTo(1);
        assertThat(revised.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
        assertThat(revised.getPresent()).containsExactly("acoustic", "lexical", "prosody");
        assertThat(harness.numProcessingTimeTimers()).isZero();
    }

    @Test
    void onEventTimeTheWatermarkFiresTheDeadline() throws Exception {
        open(ScoreJoin.Clock.EVENT_TIME);
        harness.processElement(score("e3", "acoustic", 10_000, 0.9f), 10_000);
        harness.processWatermark(new Watermark(10_000 + MAX_WAIT - 1));
        assertThat(outputs()).isEmpty();
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        harness.processWatermark(new Watermark(10_000 + MAX_WAIT));
        assertThat(outputs()).singleElement().satisfies(p -> {
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
            assertThat(p.getMissing()).containsExactly("lexical", "prosody");
        });
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void noStateOutlivesLateRetentionAndNoTimerOutlivesItsEvent() throws Exception {
        open(ScoreJoin.Clock.PROCESSING_TIME);
        for (int e = 0; e < 20; e++) {
            harness.processElement(score("c" + e, "acoustic", 500, 0.9f), 500);
            harness.processElement(score("c" + e, "lexical", 500, 0.8f), 500);
            harness.processElement(score("c" + e, "prosody", 500, 0.7f), 500);
            harness.processElement(score("d" + e, "acoustic", 500, 0.6f), 500);
        }
        harness.setProcessingTime(1_000 + MAX_WAIT);
        assertThat(outputs()).hasSize(40);
        assertThat(harness.numProcessingTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).as("settled and emitted events, kept for late.retention").isEqualTo(40);

        // late.retention later: every entry has expired; state access cleans expired entries as it goes (TTL's
        // incremental cleanup on the heap backend; RocksDB drops them in compaction)
        harness.setStateTtlProcessingTime(1_000 + MAX_WAIT + RETENTION + 1);
        harness.setProcessingTime(1_000 + MAX_WAIT + RETENTION + 1);
        for (int e = 0; e < 20; e++) {
            harness.processElement(score("c" + e, "prosody", 500, 0.7f), 500);
        }
        assertThat(outputs()).as("an expired event is new again: its copy starts a new wait").hasSize(40);
        harness.setProcessingTime(1_000 + MAX_WAIT + RETENTION + 1 + MAX_WAIT);
        assertThat(outputs()).hasSize(60);
        harness.setStateTtlProcessingTime(1_000 + 2 * (MAX_WAIT + RETENTION) + 2);
        for (int e = 0; e < 20; e++) {
            harness.processElement(score("x", "acoustic", 500, 0.5f), 500);
        }
        assertThat(harness.numKeyedStateEntries()).as("only the event still pending").isEqualTo(1);
        assertThat(harness.numProcessingTimeTimers()).isEqualTo(1);
    }
}
