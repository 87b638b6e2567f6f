package io.latefuse.cli;

import io.latefuse.config.Durations;
import picocli.CommandLine;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A duration on the command line, with its unit: {@code 250ms}, {@code 40s}, {@code 5m}, {@code 1h}, or ISO-8601. A
 * plain number other than 0 is refused rather than guessed at: {@code --duration 40} once ran the demo for 40
 * milliseconds. (The config file keeps its own rule, in {@link Durations}.)
 *
 * <p>Every duration flag counts whole milliseconds, and none can be negative: {@code PT-1S} and {@code 0.4ms} (which
 * would round to 0) are refused, not rounded. A flag that needs at least a millisecond (one used as a scheduling
 * interval) takes {@link AtLeastOneMillisecond}. Picocli names the flag in the refusal, and exits with code 2.
 */
public class DurationFlag implements CommandLine.ITypeConverter<Duration> {
    /** As {@link Durations}' human form; read here exactly, as it rounds to milliseconds. */
    private static final Pattern HUMAN = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");

    private final Duration min;

    public DurationFlag() {
        this(Duration.ZERO);
    }

    DurationFlag(Duration min) {
        this.min = min;
    }

    /** For a flag used as a scheduling interval or a sleep that must pass time: 1ms or more. */
    public static final class AtLeastOneMillisecond extends DurationFlag {
        public AtLeastOneMillisecond() {
            super(Duration.ofMillis(1));
        }
    }

    @Override
    public Duration convert(String value) {
        String t = value.trim();
        if (t.matches("\\d+(\\.\\d+)?") && !t.matches("0+")) {
            throw new CommandLine.TypeConversionException("'" + value + "' has no unit: write " + t + "s for seconds, "
                    + t + "ms for milliseconds");
        }
        Duration d;
        try {
            d = t.matches("0+") ? Duration.ZERO : exact(t);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is " + e.getMessage());
        }
        if (d.compareTo(min) < 0) {
            throw new CommandLine.TypeConversionException(min.isZero() ? "'" + value + "' is negative"
                    : "'" + value + "' is less than the minimum, " + Durations.format(min));
        }
        if (d.getNano() % 1_000_000 != 0) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number of milliseconds");
        }
        return d;
    }

    /** The duration as written, not rounded: {@code 0.4ms} is 400 microseconds here. */
    private static Duration exact(String t) {
        Matcher m = HUMAN.matcher(t.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return Durations.parse(t); // ISO-8601, exact; or a refusal that says what a duration looks like
        }
        long unitNanos = switch (m.group(2)) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 86_400_000_000_000L;
        };
        // A fraction of a nanosecond counts as one: not a whole millisecond, nor 0.
        BigDecimal[] secondsAndNanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos))
                .setScale(0, RoundingMode.CEILING).divideAndRemainder(BigDecimal.valueOf(1_000_000_000L));
        try {
            return Duration.ofSeconds(secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValue());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("too long");
        }
    }
}
