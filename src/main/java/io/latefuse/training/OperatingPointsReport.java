package io.latefuse.training;

import io.latefuse.config.InvalidConfigException;
import io.latefuse.config.OperatingPoints;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The achieved false-reject and false-accept rates per subset present, with one global threshold and with the
 * per-subset thresholds, side by side, on test events grouped by the modalities they have.
 */
public final class OperatingPointsReport {
    /** Subsets with fewer test events are listed, but their rates are too noisy to judge a threshold by. */
    public static final int MIN_EVENTS = 200;

    private OperatingPointsReport() {}

    public static List<OperatingPointCalibration.Row> rows(PipelineConfig config, List<LabelledScores.Event> events,
                                                           OperatingPoints points) {
        List<String> problems = points.problems(config.classes(), config.strategy(), config.modalityNames());
        if (!problems.isEmpty()) {
            throw new InvalidConfigException("--operating-points", problems);
        }
        try (FusionStrategy strategy = FusionStrategies.create(config)) {
            List<OperatingPointCalibration.Scored> scored = OperatingPointCalibration.score(config, events, strategy,
                    config.classes().indexOf(points.positiveClass()));
            return OperatingPointCalibration.compare(config, scored, points);
        }
    }

    public static String markdown(PipelineConfig config, List<LabelledScores.Event> events, OperatingPoints points) {
        return markdown(points, rows(config, events, points));
    }

    /** The table of {@link #rows}, and how far each way is from the target. */
    public static String markdown(OperatingPoints points, List<OperatingPointCalibration.Row> rows) {
        boolean frr = points.metric() == OperatingPoints.Metric.FRR;
        List<String> out = new ArrayList<>();
        out.add("");
        out.add(String.format(Locale.ROOT, "## Operating point %s: %s %.2f on %s, one global threshold against one per subset",
                points.name(), points.metric().name(), points.target(), points.positiveClass()));
        out.add("");
        out.add("| present | events | FRR, global | FRR, per subset | FAR, global | FAR, per subset |");
        out.add("|---|---:|---:|---:|---:|---:|");
        double worstGlobal = 0;
        double worstOwn = 0;
        for (OperatingPointCalibration.Row r : rows) {
            out.add(String.format(Locale.ROOT, "| %s%s | %d | %s | %s | %s | %s |", String.join("+", r.present()),
                    r.own() ? "" : " (global)", r.events(), pct(r.frrGlobal()), pct(r.frrOwn()), pct(r.farGlobal()),
                    pct(r.farOwn())));
            if (r.events() >= MIN_EVENTS) {
                worstGlobal = Math.max(worstGlobal, Math.abs((frr ? r.frrGlobal() : r.farGlobal()) - points.target()));
                worstOwn = Math.max(worstOwn, Math.abs((frr ? r.frrOwn() : r.farOwn()) - points.target()));
            }
        }
        out.add("");
        out.add(String.format(Locale.ROOT, "Over the subsets with at least %d events, the %s is at most %.1f points from "
                + "its target %.1f%% with one global threshold, and at most %.1f points with a threshold per subset. "
                + "\"(global)\": a subset with no threshold of its own.", MIN_EVENTS, points.metric().name(),
                100 * worstGlobal, 100 * points.target(), 100 * worstOwn));
        return String.join("\n", out) + "\n";
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }
}
