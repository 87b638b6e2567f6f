package io.latefuse.topology;

/** Deadline arithmetic that sticks at {@code Long.MAX_VALUE} instead of wrapping to a time in the past. */
final class Saturating {
    private Saturating() {}

    /** {@code a + b}, or {@code Long.MAX_VALUE} (or {@code MIN_VALUE}) if that overflows. */
    static long add(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? (b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : sum;
    }
}
