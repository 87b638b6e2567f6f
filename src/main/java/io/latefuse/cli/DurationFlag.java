package io.latefuse.cli;

import io.latefuse.config.Durations;
import picocli.CommandLine;

import java.time.Duration;

/**
 * A duration on the command line, with its unit: {@code 250ms}, {@code 40s}, {@code 5m}, {@code 1h}, or ISO-8601. A
 * plain number other than 0 is refused rather than guessed at: {@code --duration 40} once ran the demo for 40
 * milliseconds. (The config file keeps its own rule, in {@link Durations}.)
 */
public final class DurationFlag implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String t = value.trim();
        if (t.matches("0+")) {
            return Duration.ZERO;
        }
        if (t.matches("\\d+(\\.\\d+)?")) {
            throw new CommandLine.TypeConversionException("'" + value + "' has no unit: write " + t + "s for seconds, "
                    + t + "ms for milliseconds");
        }
        try {
            return Durations.parse(t);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is " + e.getMessage());
        }
    }
}
