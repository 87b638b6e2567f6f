package io.latefuse.quality;

import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.internal.QualityOutcome;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The quality rows of a window: one per (subset, revision kind) seen, and the {@code all} rows, which are always
 * there. Outcomes are added as they are judged and removed as they leave the window; which ones are in the window is
 * the caller's ({@link QualityWindow}'s) business. A row whose outcomes have all left stays, at 0 events, so that its
 * gauges go to 0 rather than freeze; rows are bounded by the 2^N - 1 subsets of N modalities.
 */
final class SlidingQuality {
    private record Row(String subset, RevisionKind kind) {}

    private final String positiveClass;
    private final Map<Row, QualityTally> rows = new TreeMap<>(
            java.util.Comparator.comparing((Row r) -> !r.subset().equals(Subsets.ALL)).thenComparing(Row::subset)
                    .thenComparing(Row::kind));

    /** @param positiveClass the operating points' positive class, or null without operating points */
    SlidingQuality(String positiveClass) {
        this.positiveClass = positiveClass;
        for (RevisionKind k : RevisionKind.values()) {
            rows.put(new Row(Subsets.ALL, k), new QualityTally());
        }
    }

    void add(QualityOutcome o) {
        RevisionKind kind = RevisionKind.of(o.getKind());
        tally(o.getSubset(), kind).add(o, positiveClass);
        tally(Subsets.ALL, kind).add(o, positiveClass);
    }

    void remove(QualityOutcome o) {
        RevisionKind kind = RevisionKind.of(o.getKind());
        tally(o.getSubset(), kind).remove(o, positiveClass);
        tally(Subsets.ALL, kind).remove(o, positiveClass);
    }

    private QualityTally tally(String subset, RevisionKind kind) {
        return rows.computeIfAbsent(new Row(subset, kind), r -> new QualityTally());
    }

    /** Every row, as published for the window (windowStart, windowEnd]. */
    List<FusionQuality> rows(long windowStart, long windowEnd) {
        List<FusionQuality> out = new ArrayList<>(rows.size());
        rows.forEach((row, t) -> out.add(FusionQuality.newBuilder()
                .setSubset(row.subset()).setRevision(row.kind().contract())
                .setWindowStart(java.time.Instant.ofEpochMilli(windowStart))
                .setWindowEnd(java.time.Instant.ofEpochMilli(windowEnd))
                .setEvents(t.events()).setCorrect(t.correct()).setAccuracy(t.accuracy()).setEce(t.ece())
                .setPositiveClass(positiveClass)
                .setPositives(t.positives()).setNegatives(t.negatives())
                .setFalseRejects(t.falseRejects()).setFalseAccepts(t.falseAccepts())
                .setFrr(positiveClass == null ? null : t.frr()).setFar(positiveClass == null ? null : t.far())
                .setMeanWaitMs(t.meanWaitMs())
                .build()));
        return out;
    }
}
