package io.latefuse.quality;

import io.latefuse.avro.internal.QualityOutcome;
import io.latefuse.fusion.CalibrationBins;

/**
 * The additive counts of one row of quality (a subset and a revision kind) over the outcomes in the window: each
 * outcome is added when judged and subtracted when it leaves the window, so a publication costs nothing per event.
 * Every figure derives from sums, which is what makes them subtractable.
 */
final class QualityTally {
    /** Equal-width bins of the predicted class's probability, for the expected calibration error. */
    static final int BINS = CalibrationBins.BINS;

    private long events;
    private long correct;
    private long positives;
    private long negatives;
    private long falseRejects;
    private long falseAccepts;
    private long waitMsSum;
    private final long[] binEvents = new long[BINS];
    private final long[] binCorrect = new long[BINS];
    private final double[] binConfidence = new double[BINS];

    /** The bin of {@code confidence}: [0, 0.1) is 0, ..., [0.9, 1] is 9. */
    static int bin(double confidence) {
        double c = Math.max(0, Math.min(1, confidence));
        return Math.min(BINS - 1, (int) Math.floor(c * BINS));
    }

    /** The bin of a probability as the prediction carries it, a float: {@link CalibrationBins#of}. */
    static int bin(float confidence) {
        return CalibrationBins.of(confidence);
    }

    /**
     * @param positiveClass the operating points' positive class, or null without operating points (then no FRR/FAR)
     */
    void add(QualityOutcome o, String positiveClass) {
        apply(o, positiveClass, 1);
    }

    void remove(QualityOutcome o, String positiveClass) {
        apply(o, positiveClass, -1);
    }

    private void apply(QualityOutcome o, String positiveClass, int sign) {
        boolean right = o.getPredicted().equals(o.getTruth());
        events += sign;
        correct += right ? sign : 0;
        waitMsSum += sign * o.getWaitMs();
        int b = bin(o.getConfidence());
        binEvents[b] += sign;
        binCorrect[b] += right ? sign : 0;
        binConfidence[b] += sign * (double) o.getConfidence();
        if (binEvents[b] == 0) {
            binConfidence[b] = 0; // no rounding drift is left behind by subtractions
        }
        if (positiveClass != null && o.getDecision() != null) {
            boolean positive = o.getTruth().equals(positiveClass);
            boolean accepted = o.getDecision().equals(positiveClass);
            if (positive) {
                positives += sign;
                falseRejects += accepted ? 0 : sign;
            } else {
                negatives += sign;
                falseAccepts += accepted ? sign : 0;
            }
        }
    }

    long events() {
        return events;
    }

    long correct() {
        return correct;
    }

    long positives() {
        return positives;
    }

    long negatives() {
        return negatives;
    }

    long falseRejects() {
        return falseRejects;
    }

    long falseAccepts() {
        return falseAccepts;
    }

    /** correct / events; null without events. */
    Double accuracy() {
        return events == 0 ? null : (double) correct / events;
    }

    /** Sum over bins of |correct_b - sum of confidences_b| / events; null without events. */
    Double ece() {
        if (events == 0) {
            return null;
        }
        double sum = 0;
        for (int b = 0; b < BINS; b++) {
            sum += Math.abs(binCorrect[b] - binConfidence[b]);
        }
        return sum / events;
    }

    /** false rejects / positives; null without positives. */
    Double frr() {
        return positives == 0 ? null : (double) falseRejects / positives;
    }

    /** false accepts / negatives; null without negatives. */
    Double far() {
        return negatives == 0 ? null : (double) falseAccepts / negatives;
    }

    Double meanWaitMs() {
        return events == 0 ? null : (double) waitMsSum / events;
    }
}
