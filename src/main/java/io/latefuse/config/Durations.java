package io.latefuse.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses human durations: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1d}, ISO-8601 {@code PT0.25S}, or plain milliseconds. */
public final class Durations {
    private static final Pattern HUMAN = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");

    private Durations() {}

    /** @throws IllegalArgumentException when {@code text} is not a duration */
    public static Duration parse(String text) {
        String t = text.trim().toLowerCase();
        if (t.matches("\\d+")) {
            return Duration.ofMillis(Long.parseLong(t));
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
            return Duration.ofMillis(Math.round(v * unitMs));
        }
        if (t.startsWith("pt") || t.startsWith("p")) {
            try {
                return Duration.parse(text.trim().toUpperCase());
            } catch (DateTimeParseException e) {
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
