package io.latefuse.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Summarizes repeated, interleaved runs: the median and range of a figure over the repetitions, and of a ratio
 * between two variants taken within each repetition first (both ran back to back, on the same machine weather),
 * then summarized.
 */
public final class BenchSummary {
    private BenchSummary() {}

    /** The median and the range of some values. */
    public record Spread(int n, double median, double min, double max) {
        public static Spread of(List<Double> values) {
            if (values.isEmpty()) {
                throw new IllegalArgumentException("no values");
            }
            List<Double> v = new ArrayList<>(values);
            v.sort(null);
            int n = v.size();
            double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
            return new Spread(n, median, v.get(0), v.get(n - 1));
        }

        /** "median (min-max)", each with {@code format}; just the value for a single run. */
        public String format(String format) {
            String m = String.format(Locale.ROOT, format, median);
            return n == 1 ? m : m + " (" + String.format(Locale.ROOT, format, min) + "-"
                    + String.format(Locale.ROOT, format, max) + ")";
        }
    }

    /** The runs of each variant, in the order the variants first ran. */
    public static Map<String, List<VariantResult>> byVariant(List<VariantResult> runs) {
        Map<String, List<VariantResult>> by = new LinkedHashMap<>();
        for (VariantResult r : runs) {
            by.computeIfAbsent(r.variant(), k -> new ArrayList<>()).add(r);
        }
        return by;
    }

    /** A figure of one variant over its repetitions. */
    public static Spread of(List<VariantResult> runsOfOne, ToDoubleFunction<VariantResult> figure) {
        return Spread.of(runsOfOne.stream().map(figure::applyAsDouble).toList());
    }

    /**
     * {@code figure(a) / figure(b)} in every repetition where both ran, summarized; empty where they never ran in
     * the same repetition.
     */
    public static Optional<Spread> ratio(List<VariantResult> runs, String a, String b,
                                         ToDoubleFunction<VariantResult> figure) {
        List<Double> ratios = new ArrayList<>();
        for (VariantResult x : runs) {
            if (!x.variant().equals(a)) {
                continue;
            }
            for (VariantResult y : runs) {
                if (y.variant().equals(b) && y.repetition() == x.repetition()) {
                    double below = figure.applyAsDouble(y);
                    if (below > 0) {
                        ratios.add(figure.applyAsDouble(x) / below);
                    }
                }
            }
        }
        return ratios.isEmpty() ? Optional.empty() : Optional.of(Spread.of(ratios));
    }

    /** The guarantee suffix of a variant's name: "-alos" or "-eos", before any tag. */
    static String guarantee(String variant) {
        String name = variant.contains(" ") ? variant.substring(0, variant.indexOf(' ')) : variant;
        return name.substring(name.lastIndexOf('-'));
    }
}
