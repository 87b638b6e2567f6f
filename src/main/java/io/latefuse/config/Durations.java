package io.latefuse.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses human durations: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d}, ISO-8601 {@code PT0.25S}, or plain milliseconds. */
public final class Durations {
    private static final Pattern HUMAN = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");

    /**
     * The longest duration a config key takes: 365 days, 3.2e10 ms. The app counts time in long milliseconds (Kafka
     * Streams too): a deadline is an event's time plus {@code max.wait}, the emitted store keeps events for
     * {@code late.retention} and an eighth more. All eight duration keys at this bound add up to 2.5e11 ms, far from
     * a long's 9.2e18, so no sum of them and a timestamp can overflow, while a year is longer than any of them needs.
     */
    public static final Duration MAX = Duration.ofDays(365);

    private Durations() {}

    /** A duration past what milliseconds in a long can hold. */
    public static final class TooLongException extends IllegalArgumentException {
        TooLongException() {
            super("too long to be a duration in milliseconds");
        }
    }

    /**
     * @throws TooLongException         when {@code text} is a duration too long for milliseconds in a long
     * @throws IllegalArgumentException when {@code text} is not a duration
     */
    public static Duration parse(String text) {
        String t = text.trim().toLowerCase();
        if (t.matches("\\d+")) {
            try {
                return Duration.ofMillis(Long.parseLong(t));
            } catch (NumberFormatException e) {
                throw new TooLongException();
            }
        }
        Matcher m = HUMAN.matcher(t);
        if (m.matches()) {
            double v = Double.parseDouble(m.group(1));
            long unitMs = switch (m.group(2)) {
                case "ms" -> 1L;
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                default -> 86_400_000L;
            };
            double ms = v * unitMs;
            if (!(ms < Long.MAX_VALUE)) {
                throw new TooLongException(); // Math.round would make it Long.MAX_VALUE
            }
            return Duration.ofMillis(Math.round(ms));
        }
        if (t.startsWith("pt") || t.startsWith("p")) {
            try {
                return Duration.parse(text.trim().toUpperCase());
            } catch (DateTimeParseException e) {
                if (e.getCause() instanceof ArithmeticException || e.getCause() instanceof NumberFormatException) {
                    throw new TooLongException(); // the form is right, the number too large for a Duration
                }
                // fall through
            }
        }
        throw new IllegalArgumentException("not a duration (use e.g. 250ms, 5s, 2m, 1h or PT0.25S)");
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1_000 == 0 && ms > 0) {
            return ms / 1_000 + "s";
        }
        return ms + "ms";
    }
}
