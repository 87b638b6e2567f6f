package io.latefuse.quality;

import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.internal.QualityOutcome;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The window's figures against a straightforward computation over the outcomes in it. */
class QualityMathTest {
    private static final String POSITIVE = "directed";

    static QualityOutcome outcome(String id, String kind, String subset, String predicted, String truth,
                                  float confidence, String decision, long waitMs) {
        return QualityOutcome.newBuilder().setEventId(id).setKind(kind).setRevision(0).setSubset(subset)
                .setPredicted(predicted).setTruth(truth).setConfidence(confidence).setDecision(decision)
                .setWaitMs(waitMs).setJudgedAt(0).build();
    }

    /** The reference: each figure computed from the list, as a textbook would. */
    record Reference(long n, Double accuracy, Double ece, Double frr, Double far, Double meanWait) {
        static Reference of(List<QualityOutcome> outcomes, String positive) {
            long n = outcomes.size();
            if (n == 0) {
                return new Reference(0, null, null, null, null, null);
            }
            long correct = outcomes.stream().filter(o -> o.getPredicted().equals(o.getTruth())).count();
            double ece = 0;
            for (int b = 0; b < 10; b++) {
                final int bin = b;
                List<QualityOutcome> in = outcomes.stream().filter(o -> {
                    float c = o.getConfidence(); // as the prediction carries it: the edges are k/10 as floats
                    return bin == 9 ? c >= 0.9f : c >= bin / 10f && c < (bin + 1) / 10f;
                }).toList();
                if (in.isEmpty()) {
                    continue;
                }
                double acc = in.stream().filter(o -> o.getPredicted().equals(o.getTruth())).count() / (double) in.size();
                double conf = in.stream().mapToDouble(QualityOutcome::getConfidence).average().orElseThrow();
                ece += in.size() / (double) n * Math.abs(acc - conf);
            }
            List<QualityOutcome> decided = outcomes.stream().filter(o -> o.getDecision() != null).toList();
            List<QualityOutcome> pos = decided.stream().filter(o -> o.getTruth().equals(positive)).toList();
            List<QualityOutcome> neg = decided.stream().filter(o -> !o.getTruth().equals(positive)).toList();
            Double frr = positive == null || pos.isEmpty() ? null
                    : pos.stream().filter(o -> !o.getDecision().equals(positive)).count() / (double) pos.size();
            Double far = positive == null || neg.isEmpty() ? null
                    : neg.stream().filter(o -> o.getDecision().equals(positive)).count() / (double) neg.size();
            double wait = outcomes.stream().mapToLong(QualityOutcome::getWaitMs).average().orElseThrow();
            return new Reference(n, correct / (double) n, ece, frr, far, wait);
        }
    }

    private static void assertMatches(FusionQuality row, Reference ref) {
        assertThat(row.getEvents()).isEqualTo(ref.n());
        assertClose(row.getAccuracy(), ref.accuracy());
        assertClose(row.getEce(), ref.ece());
        assertClose(row.getFrr(), ref.frr());
        assertClose(row.getFar(), ref.far());
        assertClose(row.getMeanWaitMs(), ref.meanWait());
    }

    private static void assertClose(Double actual, Double expected) {
        if (expected == null) {
            assertThat(actual).isNull();
        } else {
            assertThat(actual).isNotNull().isCloseTo(expected, within(1e-9));
        }
    }

    @Test
    void aSmallWindowByHand() {
        SlidingQuality q = new SlidingQuality(POSITIVE);
        // bin 9: two right at 0.95 and 0.9 -> |2 - 1.85|; bin 6: one wrong at 0.6 -> |0 - 0.6|; bin 5: right at 0.55
        q.add(outcome("a", "first", "acoustic", "directed", "directed", 0.95f, "directed", 100));
        q.add(outcome("b", "first", "acoustic", "undirected", "undirected", 0.9f, "undirected", 200));
        q.add(outcome("c", "first", "acoustic+lexical", "directed", "undirected", 0.6f, "directed", 300));
        q.add(outcome("d", "first", "acoustic+lexical", "directed", "directed", 0.55f, "undirected", 400));
        Map<String, FusionQuality> rows = q.rows(0, 1).stream()
                .collect(Collectors.toMap(r -> r.getSubset() + "/" + r.getRevision(), Function.identity()));
        FusionQuality all = rows.get("all/FIRST");
        assertThat(all.getEvents()).isEqualTo(4);
        assertThat(all.getAccuracy()).isEqualTo(0.75);
        double expectedEce = (Math.abs(2 - (0.95f + 0.9f)) + Math.abs(0 - 0.6f) + Math.abs(1 - 0.55f)) / 4;
        assertThat(all.getEce()).isCloseTo(expectedEce, within(1e-9));
        // positives (truth directed): a accepted, d rejected -> FRR 1/2; negatives: b rejected, c accepted -> FAR 1/2
        assertThat(all.getFrr()).isEqualTo(0.5);
        assertThat(all.getFar()).isEqualTo(0.5);
        assertThat(all.getFalseRejects()).isEqualTo(1);
        assertThat(all.getPositiveClass()).isEqualTo(POSITIVE);
        assertThat(rows.get("acoustic/FIRST").getFrr()).isEqualTo(0.0);
        assertThat(rows.get("acoustic/FIRST").getFar()).isEqualTo(0.0);
        assertThat(rows.get("all/LAST").getEvents()).isZero();
        assertThat(rows.get("all/LAST").getAccuracy()).isNull();
    }

    @Test
    void theBinsAreEqualWidthWithOneInTheLast() {
        assertThat(QualityTally.bin(0.0)).isZero();
        assertThat(QualityTally.bin(0.0999)).isZero();
        assertThat(QualityTally.bin(0.1)).isEqualTo(1);
        assertThat(QualityTally.bin(0.95)).isEqualTo(9);
        assertThat(QualityTally.bin(1.0)).isEqualTo(9);
    }

    @Test
    void withoutOperatingPointsThereIsNoFrrOrFar() {
        SlidingQuality q = new SlidingQuality(null);
        q.add(outcome("a", "last", "acoustic", "directed", "directed", 0.95f, null, 100));
        FusionQuality row = q.rows(0, 1).get(0);
        assertThat(row.getFrr()).isNull();
        assertThat(row.getFar()).isNull();
        assertThat(row.getPositiveClass()).isNull();
    }

    @Provide
    Arbitrary<List<QualityOutcome>> outcomes() {
        Arbitrary<QualityOutcome> one = Combinators.combine(
                Arbitraries.of("first", "last"),
                Arbitraries.of("acoustic", "acoustic+lexical", "lexical+prosody"),
                Arbitraries.of("directed", "undirected"),
                Arbitraries.of("directed", "undirected"),
                Arbitraries.floats().between(0, 1),
                Arbitraries.of("directed", "undirected").injectNull(0.2),
                Arbitraries.longs().between(0, 5_000)).as((kind, subset, predicted, truth, conf, decision, wait) ->
                outcome("e", kind, subset, predicted, truth, conf, decision, wait));
        return one.list().ofMaxSize(60);
    }

    /**
     * Outcomes added, then some removed in any order (as they leave the window): every row equals the reference over
     * what is left, per subset and kind, and over all subsets.
     */
    @Property(tries = 300)
    void addingAndRemovingKeepsEveryRowEqualToTheReference(@ForAll("outcomes") List<QualityOutcome> outcomes,
                                                          @ForAll long seed) {
        SlidingQuality q = new SlidingQuality(POSITIVE);
        outcomes.forEach(q::add);
        java.util.Random random = new java.util.Random(seed);
        List<QualityOutcome> kept = new ArrayList<>();
        for (QualityOutcome o : outcomes) {
            if (random.nextBoolean()) {
                q.remove(o);
            } else {
                kept.add(o);
            }
        }
        for (FusionQuality row : q.rows(0, 1)) {
            String kind = row.getRevision().name().toLowerCase(java.util.Locale.ROOT);
            List<QualityOutcome> in = kept.stream().filter(o -> o.getKind().equals(kind))
                    .filter(o -> row.getSubset().equals(Subsets.ALL) || o.getSubset().equals(row.getSubset())).toList();
            assertMatches(row, Reference.of(in, POSITIVE));
        }
    }
}
