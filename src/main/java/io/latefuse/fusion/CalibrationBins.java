package io.latefuse.fusion;

/**
 * The ten calibration bins of a probability as a prediction carries it, a float: [0, 0.1) is 0, ..., [0.9, 1] is
 * 9, against the edges k/10 as floats, so that 0.9f (0.8999999762 as a double) is in bin 9, as written. The quality
 * app's expected calibration error and the evaluation report's reliability diagrams bin alike.
 */
public final class CalibrationBins {
    public static final int BINS = 10;

    private CalibrationBins() {}

    public static int of(float probability) {
        int b = 0;
        while (b < BINS - 1 && probability >= (b + 1) / (float) BINS) {
            b++;
        }
        return b;
    }
}
