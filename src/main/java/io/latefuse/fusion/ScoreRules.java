package io.latefuse.fusion;

import io.latefuse.avro.ScoreType;

import java.util.List;

/**
 * The rules one modality's score vector must meet, wherever it comes from: the fusion app's scores topics and the
 * labelled data {@code train}, {@code evaluate} and {@code calibrate} read (CSV or Avro). Each value is finite; a
 * PROBABILITY vector's values are in [0, 1] and sum to 1 within {@link #SUM_TOLERANCE}. Training on a vector the app
 * would refuse teaches a head what it never sees, and one NaN makes a head that answers NaN for every event.
 */
public final class ScoreRules {
    /** How far a PROBABILITY vector's sum may stray from 1 (float32 softmax outputs sum to 1 within 1e-6). */
    public static final double SUM_TOLERANCE = 1e-3;

    /** Which rule a vector breaks. */
    public enum Broken { NOT_FINITE, OUT_OF_RANGE }

    /** A broken rule, and the text that says where: "scores[1] (undirected) is NaN". */
    public record Problem(Broken rule, String text) {}

    private ScoreRules() {}

    /** The name of value {@code c}, built only for a broken rule: the check runs on every score the app reads. */
    private static String which(int c, List<String> classes) {
        return "scores[" + c + "]" + (c < classes.size() ? " (" + classes.get(c) + ")" : "");
    }

    /**
     * @param classes the class names, in order, to name a value by (a value past them is named by index alone)
     * @return the first rule {@code scores} breaks, or null
     */
    public static Problem check(List<Float> scores, ScoreType type, List<String> classes) {
        double sum = 0;
        for (int c = 0; c < scores.size(); c++) {
            Float boxed = scores.get(c);
            float v = boxed == null ? Float.NaN : boxed;
            if (!Float.isFinite(v)) {
                return new Problem(Broken.NOT_FINITE, which(c, classes) + " is " + v);
            }
            if (type == ScoreType.PROBABILITY && (v < 0f || v > 1f)) {
                return new Problem(Broken.OUT_OF_RANGE, which(c, classes) + " = " + v + " is not a probability in [0, 1]");
            }
            sum += v;
        }
        if (type == ScoreType.PROBABILITY && Math.abs(sum - 1) > SUM_TOLERANCE) {
            return new Problem(Broken.OUT_OF_RANGE, "PROBABILITY scores sum to " + (float) sum + ", not 1");
        }
        return null;
    }
}
