package io.latefuse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.List;

/**
 * Range checks on a command's numeric options, made before the command does anything: each refusal is picocli's
 * usage error (a {@link CommandLine.ParameterException}, exit code 2) naming the option and the value as given, e.g.
 * {@code --epochs 0: must be at least 1}. The values are read from the parsed command, so an option is named once,
 * where it is checked; an option left unset (null) passes. Every check also refuses NaN and the infinities.
 *
 * <pre>{@code OptionChecks.of(spec).atLeast("--epochs", 1).within("--dropout", 0, true, 1, false);}</pre>
 */
public final class OptionChecks {
    private final CommandSpec spec;

    private OptionChecks(CommandSpec spec) {
        this.spec = spec;
    }

    public static OptionChecks of(CommandSpec spec) {
        return new OptionChecks(spec);
    }

    /** At least {@code min}: a count or a size ({@code atLeast("--epochs", 1)}), or a finite number. */
    public OptionChecks atLeast(String option, double min) {
        Double v = value(option);
        if (v != null && !(Double.isFinite(v) && v >= min)) {
            throw refused(option, "must be at least " + fmt(min));
        }
        return this;
    }

    /** Greater than {@code min}, and finite: a rate, say ({@code greaterThan("--rate", 0)}). */
    public OptionChecks greaterThan(String option, double min) {
        Double v = value(option);
        if (v != null && !(Double.isFinite(v) && v > min)) {
            throw refused(option, "must be greater than " + fmt(min));
        }
        return this;
    }

    /** In the interval, each end included or not: a probability, a share. */
    public OptionChecks within(String option, double low, boolean lowIncluded, double high, boolean highIncluded) {
        Double v = value(option);
        if (v != null) {
            double d = v;
            boolean in = (lowIncluded ? d >= low : d > low) && (highIncluded ? d <= high : d < high);
            if (!in) { // NaN compares false both ways
                throw refused(option, "must be in " + (lowIncluded ? "[" : "(") + fmt(low) + ", " + fmt(high)
                        + (highIncluded ? "]" : ")"));
            }
        }
        return this;
    }

    /** The option's value as a double (exact for any count below 2^53), or null when it has none. */
    private Double value(String option) {
        OptionSpec o = spec.findOption(option);
        if (o == null) {
            throw new IllegalArgumentException(spec.qualifiedName() + " has no option " + option);
        }
        Object v = o.getValue();
        if (v != null && !(v instanceof Number)) {
            throw new IllegalArgumentException(option + " is not numeric: " + v.getClass().getSimpleName());
        }
        return v == null ? null : ((Number) v).doubleValue();
    }

    private CommandLine.ParameterException refused(String option, String rule) {
        OptionSpec o = spec.findOption(option);
        List<String> given = o.originalStringValues();
        String value = given.isEmpty() ? String.valueOf(o.getValue()) : given.get(given.size() - 1);
        return new CommandLine.ParameterException(spec.commandLine(), option + " " + value + ": " + rule);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
