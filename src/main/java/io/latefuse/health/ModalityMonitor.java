package io.latefuse.health;

import io.latefuse.config.HealthProfile;
import io.latefuse.config.PipelineConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One modality's online judgement (not thread-safe: {@link ModalityHealth} guards it): whether it is stuck (the same
 * score, every class within {@link PipelineConfig.Health#STUCK_TOLERANCE}, {@code stuckScores} times in a row), has
 * drifted (the population stability index of its last {@code window} scores against the reference above
 * {@code maxPsi}), or stopped agreeing with the other modalities (its agreement over its last {@code window}
 * comparisons more than {@code maxAgreementDrop} below the reference's). Without a profile, its first {@code window}
 * scores (and comparisons) are the reference.
 */
final class ModalityMonitor {
    private final int classes;
    private final int window;
    private final PipelineConfig.Health health;

    private double[][] edges;
    private double[][] reference;
    private double referenceAgreement;
    /** The first scores, while they are the reference; null once it is set. */
    private List<double[]> warmUp;
    private int warmAgreements;
    private int warmAgreed;
    /** How many scores of the current run of equal scores are in {@link #warmUp}. */
    private int runInWarmUp;

    /** Per slot of the window, each class's bin. */
    private final byte[][] ring;
    private int head;
    private int count;
    private final int[][] counts;

    private double[] anchor;
    private int run;

    private final boolean[] agreeRing;
    private int agreeHead;
    private int agreeCount;
    private int agreed;

    private long scores;

    ModalityMonitor(int classes, PipelineConfig.Health health, HealthProfile.Modality profile) {
        this.classes = classes;
        this.window = health.window();
        this.health = health;
        this.ring = new byte[window][classes];
        this.counts = new int[classes][HealthProfile.BINS];
        this.agreeRing = new boolean[window];
        this.referenceAgreement = Double.NaN;
        if (profile != null) {
            this.edges = profile.edges();
            this.reference = profile.fractions();
            this.referenceAgreement = profile.agreement();
        } else {
            this.warmUp = new ArrayList<>(window);
        }
    }

    /** One score of the modality: its calibrated probabilities. */
    void score(double[] p) {
        scores++;
        if (anchor != null && within(p, anchor)) {
            run++;
        } else {
            anchor = p.clone();
            run = 1;
            runInWarmUp = 0;
        }
        if (warmUp != null) {
            if (stuck()) {
                // A stuck run is no reference: its scores already taken are dropped, and no more are taken.
                for (; runInWarmUp > 0; runInWarmUp--) {
                    warmUp.remove(warmUp.size() - 1);
                }
                return;
            }
            warmUp.add(p.clone());
            runInWarmUp++;
            if (warmUp.size() < window) {
                return;
            }
            HealthProfile.Modality learned = ScoreBins.reference(warmUp, classes, Double.NaN);
            edges = learned.edges();
            reference = learned.fractions();
            List<double[]> seen = warmUp;
            warmUp = null;
            seen.forEach(this::bin); // the warm-up is the window's first content
            return;
        }
        bin(p);
    }

    private void bin(double[] p) {
        if (count == window) {
            byte[] old = ring[head];
            for (int k = 0; k < classes; k++) {
                counts[k][old[k]]--;
            }
        } else {
            count++;
        }
        for (int k = 0; k < classes; k++) {
            int b = ScoreBins.bin(p[k], edges[k]);
            ring[head][k] = (byte) b;
            counts[k][b]++;
        }
        head = (head + 1) % window;
    }

    /** One comparison with the other modalities of an event. */
    void agreement(boolean agrees) {
        if (Double.isNaN(referenceAgreement)) {
            warmAgreements++;
            warmAgreed += agrees ? 1 : 0;
            if (warmAgreements == window) {
                referenceAgreement = warmAgreed / (double) window;
            }
            return;
        }
        if (agreeCount == window) {
            agreed -= agreeRing[agreeHead] ? 1 : 0;
        } else {
            agreeCount++;
        }
        agreeRing[agreeHead] = agrees;
        agreed += agrees ? 1 : 0;
        agreeHead = (agreeHead + 1) % window;
    }

    /**
     * Forgets the comparisons and their reference: the modalities compared with changed (one was quarantined or
     * released), so the reference, measured against the others as they were, no longer applies. The next
     * {@code window} comparisons are the new reference.
     */
    void resetAgreement() {
        agreeCount = 0;
        agreed = 0;
        agreeHead = 0;
        referenceAgreement = Double.NaN;
        warmAgreements = 0;
        warmAgreed = 0;
    }

    private static boolean within(double[] a, double[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int k = 0; k < a.length; k++) {
            if (Math.abs(a[k] - b[k]) > PipelineConfig.Health.STUCK_TOLERANCE) {
                return false;
            }
        }
        return true;
    }

    boolean stuck() {
        return run >= health.stuckScores();
    }

    int stuckRun() {
        return run;
    }

    /** The largest population stability index of a class over the window; NaN until the window is full. */
    double psi() {
        if (count < window || reference == null) {
            return Double.NaN;
        }
        double max = 0;
        for (int k = 0; k < classes; k++) {
            max = Math.max(max, ScoreBins.psi(counts[k], count, reference[k]));
        }
        return max;
    }

    /** The share of the window's comparisons that agreed; NaN until the window is full. */
    double agreement() {
        return agreeCount < window ? Double.NaN : agreed / (double) agreeCount;
    }

    double referenceAgreement() {
        return referenceAgreement;
    }

    /** How far agreement fell below the reference's; NaN until both are known. */
    double agreementDrop() {
        double a = agreement();
        return Double.isNaN(a) || Double.isNaN(referenceAgreement) ? Double.NaN : referenceAgreement - a;
    }

    boolean drifted() {
        double psi = psi();
        return !Double.isNaN(psi) && psi > health.maxPsi();
    }

    boolean disagrees() {
        double drop = agreementDrop();
        return !Double.isNaN(drop) && drop > health.maxAgreementDrop();
    }

    long scores() {
        return scores;
    }

    /** What is wrong, in words, given whether its disagreement counts; empty when nothing is. */
    String problems(boolean disagreementCounts) {
        List<String> out = new ArrayList<>();
        if (stuck()) {
            out.add("stuck: the same score " + run + " times in a row");
        }
        if (drifted()) {
            out.add(String.format(Locale.ROOT, "drifted: population stability index %.3f over its last %d scores "
                    + "(max %.3g)", psi(), window, health.maxPsi()));
        }
        if (disagreementCounts && disagrees()) {
            out.add(String.format(Locale.ROOT, "disagrees with the other modalities: %.1f%% agreement over its last %d "
                    + "comparisons against %.1f%% in the reference", 100 * agreement(), window, 100 * referenceAgreement));
        }
        return String.join("; ", out);
    }
}
