package io.latefuse.quality;

import io.latefuse.avro.FusionQuality;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.latefuse.quality.QualityDriver.label;
import static io.latefuse.quality.QualityDriver.prediction;
import static org.assertj.core.api.Assertions.assertThat;

/** Review 2: behaviour checked and found correct (these pass). */
class QualityReview2ChecksTest {
    @Test
    void anUndecodableLabelDoesNotStopTheApp() {
        try (QualityDriver d = new QualityDriver("")) {
            d.rawLabels.pipeInput("e1", new byte[] {0, 0, 0, 0, 42, 1, 2}, d.now());
            d.rawLabels.pipeInput("e1", new byte[] {7}, d.now());
            d.predict(prediction("e1", 0, List.of("acoustic"), 0.8f));
            d.label(label("e1", "directed"));
            d.advance(Duration.ofMinutes(1));
            assertThat(d.latestRows().get("all/FIRST").getEvents()).isEqualTo(1);
        }
    }

    @Test
    void aPredictionWhoseKeyIsNotItsEventIsDeadLetteredAndADuplicateRevisionZeroCountsOnce() {
        try (QualityDriver d = new QualityDriver("")) {
            d.predictions.pipeInput("x", prediction("e1", 0, List.of("acoustic"), 0.8f), d.now());
            d.predictions.pipeInput(null, prediction("e1", 0, List.of("acoustic"), 0.8f), d.now());
            assertThat(d.deadLetterRecords()).hasSize(2);
            d.predict(prediction("e1", 0, List.of("acoustic"), 0.8f));
            d.predict(prediction("e1", 0, List.of("acoustic"), 0.8f));
            d.label(label("e1", "directed"));
            d.predict(prediction("e1", 0, List.of("acoustic"), 0.8f));
            d.label(label("e1", "directed"));
            d.advance(Duration.ofMinutes(1));
            Map<String, FusionQuality> rows = d.latestRows();
            assertThat(rows.get("all/FIRST").getEvents()).isEqualTo(1);
            assertThat(rows.get("all/LAST").getEvents()).isEqualTo(1);
            assertThat(d.counter("latefuse.quality.revisions.after.judging")).isZero();
        }
    }

    /** Judged at t: in the window (t, t + W] is exclusive of its start, so at t + W it is gone, at t + W - 1 min in. */
    @Test
    void theWindowBoundaryIsExclusiveOfItsStart() {
        try (QualityDriver d = new QualityDriver("")) {
            d.predict(prediction("e1", 0, List.of("acoustic"), 0.8f));
            d.label(label("e1", "directed"));
            d.advance(Duration.ofMinutes(9));
            assertThat(d.latestRows().get("all/FIRST").getEvents()).isEqualTo(1);
            d.advance(Duration.ofMinutes(1));
            FusionQuality row = d.latestRows().get("all/FIRST");
            assertThat(row.getEvents()).isZero();
        }
    }
    /** Gauges on a Prometheus registry, with the dead-letter counter beside them: scrapes, closes and re-publishes. */
    @Test
    void theGaugesScrapeWithNullFiguresAndGoWhenTheTaskCloses() {
        var prom = new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
        new io.latefuse.metrics.FusionTelemetry(prom);
        QualityTelemetry t = new QualityTelemetry(prom);
        SlidingQuality q = new SlidingQuality("directed");
        t.published(q.rows(0, 1)); // every figure null
        String text = prom.scrape();
        assertThat(text).contains("latefuse_quality_accuracy{revision=\"first\",subset=\"all\"} NaN");
        q.add(QualityMathTest.outcome("a", "first", "acoustic+lexical", "directed", "directed", 0.8f, "directed", 5));
        t.published(q.rows(0, 1));
        assertThat(prom.scrape()).contains("subset=\"acoustic+lexical\"");
        t.aggregationClosed();
        assertThat(prom.scrape()).doesNotContain("latefuse_quality_accuracy");
        t.published(q.rows(0, 1));
        assertThat(prom.scrape()).contains("latefuse_quality_events{revision=\"first\",subset=\"acoustic+lexical\"} 1.0");
    }
}
