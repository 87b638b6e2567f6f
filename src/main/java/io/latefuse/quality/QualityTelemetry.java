package io.latefuse.quality;

import io.latefuse.avro.FusionQuality;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The quality app's meters. The gauges ({@code latefuse_quality_accuracy{subset,revision}} and the others) show the
 * last rows published, and exist only on the instance whose task aggregates (the outcomes topic has one partition):
 * they are removed when that task closes, so no instance shows a stale window. Tags are bounded: {@code revision} is
 * first or last, {@code subset} one of the 2^N - 1 subsets of N modalities, or {@code all}.
 */
public final class QualityTelemetry {
    private final MeterRegistry registry;
    private final Counter joined;
    private final Counter unmatched;
    private final Counter unlabelled;
    private final Counter duplicates;
    private final Counter afterJudging;
    private final Map<String, FusionQuality> last = new ConcurrentHashMap<>();
    private final List<Meter> gauges = new ArrayList<>();

    public QualityTelemetry(MeterRegistry registry) {
        this.registry = registry;
        this.joined = Counter.builder("latefuse.quality.labels.joined")
                .description("Events judged: a label met a prediction").register(registry);
        this.unmatched = Counter.builder("latefuse.quality.labels.unmatched")
                .description("Labels that expired (labels.retention) without meeting a prediction").register(registry);
        this.unlabelled = Counter.builder("latefuse.quality.predictions.unlabelled")
                .description("Events whose predictions expired (labels.retention) without a label").register(registry);
        this.duplicates = Counter.builder("latefuse.quality.labels.duplicate")
                .description("Labels for an event that already had one; the first wins").register(registry);
        this.afterJudging = Counter.builder("latefuse.quality.revisions.after.judging")
                .description("Revisions read after their event was judged; not counted in quality").register(registry);
    }

    /** Meters that go nowhere, for tests. */
    public static QualityTelemetry noop() {
        return new QualityTelemetry(new SimpleMeterRegistry());
    }

    void judged() {
        joined.increment();
    }

    void labelUnmatched() {
        unmatched.increment();
    }

    void predictionUnlabelled() {
        unlabelled.increment();
    }

    void duplicateLabel() {
        duplicates.increment();
    }

    void revisionAfterJudging() {
        afterJudging.increment();
    }

    /** The rows just published: each gauge reads its row's figure (NaN where the figure is undefined). */
    synchronized void published(List<FusionQuality> rows) {
        for (FusionQuality q : rows) {
            String id = q.getSubset() + "/" + q.getRevision();
            if (last.put(id, q) == null) {
                Tags tags = Tags.of("subset", q.getSubset(), "revision", q.getRevision().name().toLowerCase(java.util.Locale.ROOT));
                gauge("latefuse.quality.events", "Events judged in the window", id, tags, r -> (double) r.getEvents());
                gauge("latefuse.quality.accuracy", "Accuracy of the label (argmax) in the window", id, tags,
                        FusionQuality::getAccuracy);
                gauge("latefuse.quality.ece", "Expected calibration error in the window (10 bins)", id, tags,
                        FusionQuality::getEce);
                gauge("latefuse.quality.frr", "False-reject rate at the operating points' decision", id, tags,
                        FusionQuality::getFrr);
                gauge("latefuse.quality.far", "False-accept rate at the operating points' decision", id, tags,
                        FusionQuality::getFar);
            }
        }
    }

    private void gauge(String name, String description, String id, Tags tags, Function<FusionQuality, Double> figure) {
        gauges.add(Gauge.builder(name, last, m -> {
            FusionQuality q = m.get(id);
            Double v = q == null ? null : figure.apply(q);
            return v == null ? Double.NaN : v;
        }).description(description).tags(tags).register(registry));
    }

    /** The aggregating task closed here: its gauges go, rather than show a window no longer kept. */
    synchronized void aggregationClosed() {
        gauges.forEach(registry::remove);
        gauges.clear();
        last.clear();
    }
}
