package io.latefuse.training;

/** A trained head's parameters are finite, or the head is refused before it can be written and deployed. */
final class HeadWeights {
    private HeadWeights() {}

    /** Throws naming {@code what}[r][c] if a value is NaN or infinite. */
    static void requireFinite(String what, float[][] w) {
        for (int r = 0; r < w.length; r++) {
            for (int c = 0; c < w[r].length; c++) {
                if (!Float.isFinite(w[r][c])) {
                    throw new IllegalStateException("the trained head's " + what + "[" + r + "][" + c + "] is " + w[r][c]
                            + ": training diverged (try a lower learning rate), and a head that is not finite answers "
                            + "NaN for every event; it is not written");
                }
            }
        }
    }

    static void requireFinite(String what, float[] b) {
        requireFinite(what, new float[][] {b});
    }
}
