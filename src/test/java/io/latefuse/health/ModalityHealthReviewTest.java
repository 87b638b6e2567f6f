package io.latefuse.health;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionInput;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Review of ModalityHealth's judgement. */
class ModalityHealthReviewTest {
    static PipelineConfig config(String modalities, String health) {
        return PipelineConfigLoader.parse("""
                application.id: review
                bootstrap.servers: dummy:9092
                schema.registry.url: mock://review
                topic.prefix: t.
                classes: [directed, undirected]
                strategy: weighted_mean
                modalities:
                """ + modalities + health, "test", Map.of());
    }

    /** A score for truth {@code y} (0 or 1) that is right with probability {@code accuracy}, symmetric about 0.5. */
    static double[] score(Random rnd, int y, double accuracy) {
        return score(rnd, y, accuracy, 0.55, 0.95);
    }

    static double[] score(Random rnd, int y, double accuracy, double lo, double hi) {
        int said = rnd.nextDouble() < accuracy ? y : 1 - y;
        double conf = lo + (hi - lo) * rnd.nextDouble();
        double p0 = said == 0 ? conf : 1 - conf;
        return new double[] {p0, 1 - p0};
    }

    /**
     * Two modalities, the second (visual) breaks into swapped classes at event 1000. Its score distribution is
     * unchanged (symmetric), so only disagreement can catch it; but with two modalities agreement is symmetric: each
     * one's agreement with "the others" is the other's with it, so both drop by exactly the same amount, and
     * mostDisagreeing breaks the tie towards the lower index: the healthy acoustic is quarantined, and visual, the
     * broken one, is still fused. Once acoustic is quarantined visual has nobody to compare with, and acoustic keeps
     * disagreeing with visual, so it is never released.
     */
    @Test
    void withTwoModalitiesASwappedOneDoesNotGetTheHealthyOneQuarantined() {
        PipelineConfig cfg = config("""
                  - {name: acoustic}
                  - {name: visual}
                """, """
                modality.health: quarantine
                modality.health.window: 300
                modality.health.release.scores: 300
                """);
        ModalityHealth h = ModalityHealth.of(cfg, null);
        Random rnd = new Random(7);
        for (int i = 0; i < 3000; i++) {
            int y = rnd.nextInt(2);
            double[] a = score(rnd, y, 0.9);
            double[] v = score(rnd, i < 1000 ? y : 1 - y, 0.9); // swapped from event 1000
            h.observe(new FusionInput(new double[][] {a, v}), 0b11);
        }
        // With two modalities nobody can tell which of the two broke; what must not happen is that the healthy one is
        // quarantined (and, once it is, never released) while the broken one is fused alone.
        assertThat(h.statuses().get(0)).as("acoustic is healthy: " + h.statuses().get(0))
                .extracting(ModalityHealth.Status::state).isNotEqualTo(ModalityHealth.State.QUARANTINED);
    }

    /**
     * Three modalities: acoustic and visual strong (95%; visual also confident), lexical weak (60%) but healthy. Visual gets stuck at event
     * 1000 and is rightly quarantined. The others' comparison windows start over, but their reference agreement is
     * still the one measured against the mean of the others WITH visual. Acoustic, compared now with lexical alone,
     * agrees about 59% of the time against a reference of about 90%: a drop of more than 0.25 from bookkeeping only
     * (nothing about acoustic changed), and it is the only one that "disagrees", so it is quarantined too, leaving the
     * weak lexical alone in the fusion.
     */
    @Test
    void aQuarantineElsewhereDoesNotGetAHealthyModalityQuarantinedByAStaleAgreementReference() {
        PipelineConfig cfg = config("""
                  - {name: acoustic}
                  - {name: lexical}
                  - {name: visual}
                """, """
                modality.health: quarantine
                modality.health.window: 300
                modality.health.release.scores: 300
                """);
        ModalityHealth h = ModalityHealth.of(cfg, null);
        Random rnd = new Random(11);
        for (int i = 0; i < 3000; i++) {
            int y = rnd.nextInt(2);
            double[] a = score(rnd, y, 0.95);
            double[] l = score(rnd, y, 0.6);
            double[] v = i < 1000 ? score(rnd, y, 0.95, 0.9, 0.99) : new double[] {0.9, 0.1}; // stuck from event 1000
            h.observe(new FusionInput(new double[][] {a, l, v}), 0b111);
        }
        assertThat(h.statuses()).extracting(ModalityHealth.Status::modality, ModalityHealth.Status::state)
                .as("only the stuck modality is quarantined")
                .containsExactly(org.assertj.core.groups.Tuple.tuple("acoustic", ModalityHealth.State.HEALTHY),
                        org.assertj.core.groups.Tuple.tuple("lexical", ModalityHealth.State.HEALTHY),
                        org.assertj.core.groups.Tuple.tuple("visual", ModalityHealth.State.QUARANTINED));
    }

    /**
     * Checked: a stationary stream (four modalities, each present at random, iid scores), without a profile, is never
     * judged broken: the warm-up to reference switch, the ring of bins and its counts, the agreement ring.
     */
    @net.jqwik.api.Property(tries = 20, seed = "5")
    void aStationaryStreamIsNeverJudgedBroken(@net.jqwik.api.ForAll long seed) {
        PipelineConfig cfg = config("""
                  - {name: acoustic}
                  - {name: lexical}
                  - {name: prosody}
                  - {name: visual, required: false}
                """, """
                modality.health: quarantine
                modality.health.window: 300
                modality.health.release.scores: 300
                """);
        ModalityHealth h = ModalityHealth.of(cfg, null);
        Random rnd = new Random(seed);
        double[] acc = {0.9, 0.8, 0.7, 0.75};
        for (int i = 0; i < 4000; i++) {
            int y = rnd.nextInt(2);
            double[][] p = new double[4][];
            long present = 0;
            for (int m = 0; m < 4; m++) {
                if (rnd.nextDouble() < (m == 3 ? 0.5 : 0.95)) {
                    p[m] = score(rnd, y, acc[m]);
                    present |= 1L << m;
                }
            }
            h.observe(new FusionInput(p), present);
            assertThat(h.quarantinedMask()).as("event " + i + ": " + h.statuses()).isZero();
        }
    }

    /** Checked: concurrent observe() from several threads with gauges read meanwhile: no exception, a stuck one caught. */
    @Test
    void concurrentObserveAndGauges() throws Exception {
        PipelineConfig cfg = config("""
                  - {name: acoustic}
                  - {name: lexical}
                  - {name: prosody}
                """, """
                modality.health: quarantine
                modality.health.window: 300
                modality.health.stuck.scores: 50
                modality.health.release.scores: 300
                """);
        io.micrometer.core.instrument.simple.SimpleMeterRegistry reg = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        ModalityHealth h = ModalityHealth.of(cfg, reg);
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(4);
        java.util.List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        for (int t = 0; t < 3; t++) {
            final int seed = t;
            fs.add(ex.submit(() -> {
                Random rnd = new Random(seed);
                for (int i = 0; i < 5000; i++) {
                    int y = rnd.nextInt(2);
                    double[] a = seen.incrementAndGet() < 6000 ? score(rnd, y, 0.9) : new double[] {0.8, 0.2};
                    h.observe(new FusionInput(new double[][] {a, score(rnd, y, 0.85), score(rnd, y, 0.8)}), 0b111);
                }
            }));
        }
        fs.add(ex.submit(() -> {
            for (int i = 0; i < 2000; i++) {
                reg.getMeters().forEach(m -> m.measure().forEach(ms -> ms.getValue()));
                h.statuses();
                h.describe(h.quarantinedMask());
            }
        }));
        for (var f : fs) {
            f.get();
        }
        ex.shutdown();
        assertThat(h.statuses().get(0).state()).isEqualTo(ModalityHealth.State.QUARANTINED);
        assertThat(h.quarantinedMask()).isEqualTo(1L);
        assertThat(reg.get("latefuse.modality.broken").tag("modality", "acoustic").counter().count()).isEqualTo(1.0);
    }

    /** Checked: released after exactly release.scores healthy judgements; trusted never quarantined; by hand always. */
    @Test
    void releaseTrustedAndByHand() {
        PipelineConfig cfg = config("""
                  - {name: acoustic}
                  - {name: lexical}
                  - {name: prosody}
                """, """
                modality.health: quarantine
                modality.health.window: 300
                modality.health.stuck.scores: 5
                modality.health.release.scores: 7
                modality.health.trusted: [lexical]
                modality.health.quarantined: [prosody]
                """);
        ModalityHealth h = ModalityHealth.of(cfg, null);
        Random rnd = new Random(3);
        for (int i = 0; i < 5; i++) {
            h.observe(new FusionInput(new double[][] {{0.7, 0.3}, {0.6, 0.4}, {0.9, 0.1}}), 0b111);
        }
        assertThat(h.quarantinedMask()).isEqualTo(0b101); // acoustic stuck, prosody by hand; lexical stuck but trusted
        assertThat(h.statuses().get(1).state()).isEqualTo(ModalityHealth.State.BROKEN);
        for (int i = 0; i < 6; i++) {
            int y = rnd.nextInt(2);
            h.observe(new FusionInput(new double[][] {score(rnd, y, 0.9), score(rnd, y, 0.9), {0.9, 0.1}}), 0b111);
            assertThat(h.quarantinedMask()).as("judgement " + (i + 1)).isEqualTo(0b101);
        }
        int y = rnd.nextInt(2);
        h.observe(new FusionInput(new double[][] {score(rnd, y, 0.9), score(rnd, y, 0.9), {0.9, 0.1}}), 0b111);
        assertThat(h.quarantinedMask()).isEqualTo(0b100);
        assertThat(h.statuses().get(1).state()).isEqualTo(ModalityHealth.State.HEALTHY);
    }

    /**
     * Without a profile, a modality stuck during its warm-up is rightly quarantined at its 50th stuck score, but its
     * warm-up goes on collecting the stuck scores, and the reference it switches to is a third stuck. Healthy again
     * for thousands of events, its healthy window is then "drifted" against that reference, every judgement is
     * broken, and it is never released.
     */
    @Test
    void aModalityStuckDuringItsWarmUpIsReleasedOnceHealthy() {
        PipelineConfig cfg = config("""
                  - {name: acoustic}
                  - {name: lexical}
                  - {name: prosody}
                """, """
                modality.health: quarantine
                modality.health.window: 300
                modality.health.stuck.scores: 50
                modality.health.release.scores: 300
                """);
        ModalityHealth h = ModalityHealth.of(cfg, null);
        Random rnd = new Random(5);
        for (int i = 0; i < 6000; i++) {
            int y = rnd.nextInt(2);
            double[] a = i >= 50 && i < 150 ? new double[] {0.8, 0.2} : score(rnd, y, 0.9);
            h.observe(new FusionInput(new double[][] {a, score(rnd, y, 0.85), score(rnd, y, 0.8)}), 0b111);
            if (i == 120) {
                assertThat(h.quarantinedMask()).as("stuck: quarantined").isEqualTo(1L);
            }
        }
        assertThat(h.statuses().get(0)).as("healthy for 5850 events: " + h.statuses().get(0)).extracting(ModalityHealth.Status::state)
                .isEqualTo(ModalityHealth.State.HEALTHY);
    }
}
