package io.latefuse.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.latefuse.config.OperatingPoints;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Renders evaluation rows: a markdown table, results.json, and a self-contained report.html with inline SVG. */
public final class EvaluationReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String title;
    private final List<Evaluation.Row> rows;
    private final List<Evaluation.Outcome> outcomes;
    private final List<String> modalityNames;
    private final List<String> classes;
    private final Set<String> closedForm;
    private final Map<String, Double> headDropout;
    private final List<LevelCost.Cost> costs;
    private final Operating operating;

    /**
     * The operating point to mark on the curves, and what {@code evaluate --operating-points} compares.
     *
     * @param thresholdsByMask the subsets' own thresholds, by mask of the modalities present
     * @param positiveClass    the index of the points' positive class
     * @param rows             the false-reject and false-accept rates per subset present, global against own
     */
    public record Operating(OperatingPoints points, Map<Long, Double> thresholdsByMask, int positiveClass,
                            List<OperatingPointCalibration.Row> rows) {}

    /**
     * @param closedForm  the strategies with no learned parameters (one modality alone under them is that
     *                    modality's own calibrated model); the others are learned heads
     * @param headDropout each learned head's training dropout, by strategy name
     * @param costs       what each strategy costs per event, reported after the table (none: no such section)
     * @param operating   operating points to mark, or null
     */
    public EvaluationReport(String title, Evaluation.Result result, List<String> modalityNames, List<String> classes,
                            Set<String> closedForm, Map<String, Double> headDropout, List<LevelCost.Cost> costs,
                            Operating operating) {
        this.title = title;
        this.rows = result.rows();
        this.outcomes = result.outcomes();
        this.modalityNames = modalityNames;
        this.classes = classes;
        this.closedForm = closedForm;
        this.headDropout = headDropout;
        this.costs = costs;
        this.operating = operating;
    }

    private int modalities() {
        return modalityNames.size();
    }

    private static String f(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        boolean binary = rows.stream().anyMatch(r -> !Double.isNaN(r.auc()));
        sb.append("| modalities present | n | strategy | accuracy |").append(binary ? " ROC-AUC | EER | FA @ FR 10% |" : "").append('\n');
        sb.append("|---|---:|---|---:|").append(binary ? "---:|---:|---:|" : "").append('\n');
        for (Evaluation.Row r : rows) {
            sb.append("| ").append(String.join(" + ", r.subset())).append(" | ").append(r.n()).append(" | ")
                    .append(r.strategy()).append(" | ").append(f(r.accuracy())).append(" |");
            if (binary) {
                sb.append(' ').append(f(r.auc())).append(" | ").append(f(r.eer())).append(" | ").append(f(r.faAtFr10())).append(" |");
            }
            sb.append('\n');
        }
        sb.append('\n');
        checks().forEach(c -> sb.append("- ").append(c).append('\n'));
        List<Gain> gains = gains();
        if (!gains.isEmpty()) {
            sb.append("\nFusion gain per subset, on the events that have every modality of it: the best strategy "
                    + "against the best of those modalities alone.\n\n| modalities | events | best strategy | accuracy "
                    + "| best alone | accuracy | gain, points |\n|---|---:|---|---:|---|---:|---:|\n");
            for (Gain g : gains) {
                sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %.4f | %s | %.4f | %+.1f |%n",
                        String.join(" + ", g.subset()), g.events(), g.fused(), g.fusedAccuracy(), g.single(),
                        g.singleAccuracy(), g.points()));
            }
        }
        if (!costs.isEmpty()) {
            sb.append("\nCost per event (values read, in the registry wire format, with every present modality; one event "
                    + "fused alone, median, on this machine):\n\n| strategy | level | bytes per event | µs per event |\n"
                    + "|---|---|---:|---:|\n");
            for (LevelCost.Cost c : costs) {
                sb.append("| ").append(c.strategy()).append(" | ").append(c.level().code()).append(" | ")
                        .append(String.format(Locale.ROOT, "%.0f", c.bytesPerEvent())).append(" | ")
                        .append(String.format(Locale.ROOT, "%.1f", c.microsPerEvent())).append(" |\n");
            }
        }
        return sb.toString();
    }

    /** The two claims the study checks, stated with the numbers, whichever way they come out. */
    public List<String> checks() {
        List<String> out = new ArrayList<>();
        // Each head trained with dropout against its sibling trained without: "x-dropout" and "x-no-dropout" (the
        // studies' names), else the first head without dropout against the one with the most.
        List<String[]> pairs = new ArrayList<>();
        for (String h : headDropout.keySet()) {
            String sibling = h.endsWith("-no-dropout") ? h.substring(0, h.length() - "-no-dropout".length()) + "-dropout" : null;
            if (sibling != null && headDropout.containsKey(sibling)) {
                pairs.add(new String[] {sibling, h});
            }
        }
        if (pairs.isEmpty()) {
            String withDropout = null;
            String withoutDropout = null;
            for (Map.Entry<String, Double> h : headDropout.entrySet()) {
                if (h.getValue() == 0 && withoutDropout == null) {
                    withoutDropout = h.getKey();
                }
                if (h.getValue() > 0 && (withDropout == null || h.getValue() > headDropout.get(withDropout))) {
                    withDropout = h.getKey();
                }
            }
            if (withDropout != null && withoutDropout != null) {
                pairs.add(new String[] {withDropout, withoutDropout});
            }
        }
        for (String[] pair : pairs) {
            double a = meanIncomplete(pair[0]);
            double b = meanIncomplete(pair[1]);
            out.add(String.format(Locale.ROOT, "Mean accuracy over the %d subsets with a modality missing: %s (dropout %.2f) %.4f, "
                            + "%s (no dropout) %.4f. The head with dropout is %s.", (1 << modalities()) - 2, pair[0],
                    headDropout.get(pair[0]), a, pair[1], b, a >= b ? "at least as good" : "worse"));
        }
        if (modalities() > 1) {
            familyCheck(out, "closed-form", "fusion", closedForm::contains);
            familyCheck(out, "learned", "head", name -> !closedForm.contains(name));
        }
        return out;
    }

    /**
     * The best of a family of strategies with every modality present against the best single modality under the
     * same family, both named: a head given one modality is compared with heads, not with itself fusing all.
     */
    private void familyCheck(List<String> out, String family, String noun, java.util.function.Predicate<String> member) {
        Evaluation.Row fused = null;
        Evaluation.Row single = null;
        for (Evaluation.Row r : rows) {
            if (!member.test(r.strategy())) {
                continue;
            }
            if (r.complete(modalities()) && (fused == null || r.accuracy() > fused.accuracy())) {
                fused = r;
            }
            if (r.subset().size() == 1 && (single == null || r.accuracy() > single.accuracy())) {
                single = r;
            }
        }
        if (fused == null || single == null) {
            return;
        }
        out.add(String.format(Locale.ROOT, "Fusing every modality (each event's that it has), the best %s %s (%s, %d "
                        + "events) has accuracy %.4f; the best single modality under %s strategies (%s alone, by %s, %d events) %.4f: %+.1f "
                        + "points. Fusion is %s.", family, noun, fused.strategy(), fused.n(), fused.accuracy(), family,
                single.subset().get(0), single.strategy(), single.n(), single.accuracy(),
                100 * (fused.accuracy() - single.accuracy()), fused.accuracy() >= single.accuracy() ? "at least as good"
                        : "worse"));
    }

    /**
     * What fusion gains on one subset of two or more modalities, on the events that have every one of them: the
     * best strategy against the best of those modalities alone (under a closed-form strategy: the modality's own
     * calibrated model).
     */
    public record Gain(List<String> subset, int events, String fused, double fusedAccuracy, String single,
                       String singleStrategy, double singleAccuracy) {
        public double points() {
            return 100 * (fusedAccuracy - singleAccuracy);
        }
    }

    public List<Gain> gains() {
        List<Gain> out = new ArrayList<>();
        for (Map.Entry<Long, List<Evaluation.Outcome>> e : bySubset().entrySet()) {
            long subset = e.getKey();
            if (Long.bitCount(subset) < 2) {
                continue;
            }
            Evaluation.Outcome first = e.getValue().get(0);
            List<Integer> events = new ArrayList<>();
            for (int i = 0; i < first.size(); i++) {
                if (first.masks()[i] == subset) {
                    events.add(first.events()[i]);
                }
            }
            if (events.isEmpty()) {
                continue;
            }
            String fused = null;
            double fusedAccuracy = -1;
            for (Evaluation.Outcome o : e.getValue()) {
                double a = accuracyOn(o, events);
                if (a > fusedAccuracy) {
                    fused = o.strategy();
                    fusedAccuracy = a;
                }
            }
            String single = null;
            String singleStrategy = null;
            double singleAccuracy = -1;
            for (Evaluation.Outcome o : outcomes) {
                if (Long.bitCount(o.subset()) == 1 && (o.subset() & subset) != 0
                        && (closedForm.isEmpty() || closedForm.contains(o.strategy()))) {
                    double a = accuracyOn(o, events);
                    if (a > singleAccuracy) {
                        single = o.names().get(0);
                        singleStrategy = o.strategy();
                        singleAccuracy = a;
                    }
                }
            }
            if (single != null) {
                out.add(new Gain(first.names(), events.size(), fused, fusedAccuracy, single, singleStrategy, singleAccuracy));
            }
        }
        return out;
    }

    /** The accuracy of {@code o} on the given events (indexes into the data), each of which it evaluated. */
    private static double accuracyOn(Evaluation.Outcome o, List<Integer> events) {
        int right = 0;
        for (int event : events) {
            int i = java.util.Arrays.binarySearch(o.events(), event);
            if (i < 0) {
                throw new IllegalStateException("event " + event + " was not evaluated on " + o.names());
            }
            right += o.predicted(i) == o.labels()[i] ? 1 : 0;
        }
        return right / (double) events.size();
    }

    private double meanIncomplete(String strategy) {
        return rows.stream().filter(r -> r.strategy().equals(strategy) && !r.complete(modalities()))
                .mapToDouble(Evaluation.Row::accuracy).average().orElse(Double.NaN);
    }

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode root = JSON.createObjectNode().put("title", title);
        ArrayNode arr = root.putArray("rows");
        for (Evaluation.Row r : rows) {
            ObjectNode o = arr.addObject();
            ArrayNode subset = o.putArray("present");
            r.subset().forEach(subset::add);
            o.put("strategy", r.strategy()).put("n", r.n()).put("accuracy", r.accuracy());
            if (!Double.isNaN(r.auc())) {
                o.put("roc_auc", r.auc()).put("eer", r.eer()).put("fa_at_fr_10", r.faAtFr10());
            }
        }
        ArrayNode cost = root.putArray("costs");
        for (LevelCost.Cost c : costs) {
            cost.addObject().put("strategy", c.strategy()).put("level", c.level().code())
                    .put("bytes_per_event", c.bytesPerEvent()).put("micros_per_event", c.microsPerEvent());
        }
        ArrayNode gain = root.putArray("fusion_gain");
        for (Gain g : gains()) {
            ObjectNode o = gain.addObject();
            g.subset().forEach(o.putArray("present")::add);
            o.put("events", g.events()).put("best_strategy", g.fused()).put("best_accuracy", g.fusedAccuracy())
                    .put("best_single", g.single()).put("best_single_accuracy", g.singleAccuracy())
                    .put("gain_points", g.points());
        }
        ArrayNode checks = root.putArray("checks");
        checks().forEach(checks::add);
        JSON.writeValue(dir.resolve("results.json").toFile(), root);
        Files.writeString(dir.resolve("report.html"), html());
    }

    /**
     * One self-contained page, inline SVG, no scripts: the checks; accuracy per subset as a dot plot on a zoomed axis;
     * the fusion gain per subset; with two classes, DET curves per subset (operating points marked) and a reliability
     * diagram per strategy; with more, a reliability diagram per strategy and a confusion matrix per subset; then
     * the operating points, costs and the whole table.
     */
    String html() {
        List<String> strategies = new ArrayList<>(new LinkedHashSet<>(rows.stream().map(Evaluation.Row::strategy).toList()));
        StringBuilder body = new StringBuilder();
        int events = outcomes.stream().mapToInt(o -> o.events().length == 0 ? 0 : o.events()[o.size() - 1] + 1).max().orElse(0);
        body.append("<h1>").append(esc(title)).append("</h1>\n<p>").append(esc(String.format(Locale.ROOT,
                "%d events; modalities %s; classes %s; strategies %s. Each subset of the modalities is evaluated on the "
                        + "events that have any of them, fused from those they have, as if the others had not arrived.",
                events, String.join(", ", modalityNames), String.join(", ", classes), String.join(", ", strategies))))
                .append("</p>\n");
        body.append("<h2 id='checks'>Checks</h2>\n<ul>");
        checks().forEach(c -> body.append("<li>").append(esc(c)).append("</li>"));
        body.append("</ul>\n");

        body.append("<h2 id='accuracy'>Accuracy by modalities present</h2>\n").append(legend(strategies));
        List<Evaluation.Row> ordered = new ArrayList<>(rows);
        ordered.sort((x, y) -> SUBSET_ORDER.compare(mask(x.subset()), mask(y.subset())));
        Map<List<String>, double[]> bySubset = new LinkedHashMap<>();
        Map<List<String>, Integer> nBySubset = new LinkedHashMap<>();
        for (Evaluation.Row r : ordered) {
            double[] v = bySubset.computeIfAbsent(r.subset(), k -> nan(strategies.size()));
            v[strategies.indexOf(r.strategy())] = r.accuracy();
            nBySubset.put(r.subset(), r.n());
        }
        List<EvaluationCharts.DotRow> dots = new ArrayList<>();
        for (Map.Entry<List<String>, double[]> e : bySubset.entrySet()) {
            double best = java.util.Arrays.stream(e.getValue()).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
            int n = nBySubset.get(e.getKey());
            double half = 1.96 * Math.sqrt(best * (1 - best) / n);
            dots.add(new EvaluationCharts.DotRow(String.join(" + ", e.getKey()) + " (" + n + ")", e.getValue(),
                    best - half, best + half));
        }
        body.append(EvaluationCharts.dotPlot("accuracy", strategies, dots, "accuracy (axis zoomed to the results)"));
        body.append("<p class='note'>In brackets, the events evaluated. The grey bar is the 95% interval of the best "
                + "strategy's accuracy on that many events: dots inside it are not told apart by this data.</p>\n");

        List<Gain> gains = gains();
        if (!gains.isEmpty()) {
            body.append("<h2 id='gain'>Fusion gain per subset</h2>\n<p>On the events that have every modality of the "
                    + "subset: the best strategy against the best of those modalities alone (its own calibrated "
                    + "model, under a closed-form strategy).</p>\n");
            List<String> labels = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            double[] points = new double[gains.size()];
            for (int i = 0; i < gains.size(); i++) {
                Gain g = gains.get(i);
                labels.add(String.join(" + ", g.subset()) + " (" + g.events() + ")");
                points[i] = g.points();
                notes.add(String.format(Locale.ROOT, "%s %.4f against %s alone %.4f: %+.1f points", g.fused(),
                        g.fusedAccuracy(), g.single(), g.singleAccuracy(), g.points()));
            }
            body.append(EvaluationCharts.gainChart(labels, points, notes, "gain in accuracy, points"));
        }

        int positive = operating == null ? 0 : operating.positiveClass();
        if (classes.size() == 2) {
            body.append(detSection(strategies, positive));
        }
        body.append(reliabilitySection(strategies, positive));
        if (classes.size() > 2) {
            body.append(confusionSection());
        }
        if (operating != null) {
            body.append(operatingSection());
        }
        if (!costs.isEmpty()) {
            body.append("<h2 id='cost'>Cost per event</h2>\n<div class='scroll'><table><tr><th>strategy</th><th>level</th>"
                    + "<th>bytes per event</th><th>µs per event</th></tr>");
            for (LevelCost.Cost c : costs) {
                body.append("<tr><td>").append(esc(c.strategy())).append("</td><td>").append(esc(c.level().code()))
                        .append("</td><td>").append(String.format(Locale.ROOT, "%.0f", c.bytesPerEvent())).append("</td><td>")
                        .append(String.format(Locale.ROOT, "%.1f", c.microsPerEvent())).append("</td></tr>");
            }
            body.append("</table></div>\n");
        }
        body.append("<h2 id='results'>All results</h2>\n<div class='scroll'><table><tr><th>modalities present</th><th>n</th>"
                + "<th>strategy</th><th>accuracy</th><th>ROC-AUC</th><th>EER</th><th>FA @ FR 10%</th></tr>");
        for (Evaluation.Row r : rows) {
            body.append("<tr><td>").append(esc(String.join(" + ", r.subset()))).append("</td><td>").append(r.n())
                    .append("</td><td>").append(esc(r.strategy())).append("</td><td>").append(f(r.accuracy()))
                    .append("</td><td>").append(f(r.auc())).append("</td><td>").append(f(r.eer()))
                    .append("</td><td>").append(f(r.faAtFr10())).append("</td></tr>");
        }
        body.append("</table></div>\n");
        return "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>" + esc(title) + "</title><style>"
                + "body{font-family:sans-serif;margin:20px;color:#222;max-width:1060px}svg{max-width:100%;height:auto}"
                + ".grid{display:flex;flex-wrap:wrap;gap:10px 14px}.scroll{overflow-x:auto;max-width:100%}"
                + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
                + "td:first-child,th:first-child{text-align:left}.legend .key{margin-right:14px;white-space:nowrap}"
                + ".swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}"
                + ".note{color:#555;font-size:90%}.tick{fill:#555;font-size:10px}"
                + ".confusion td{min-width:22px;text-align:center}.confusion caption{font-weight:bold;text-align:left}"
                + "</style></head><body>\n" + body + "</body></html>\n";
    }

    private String legend(List<String> strategies) {
        StringBuilder sb = new StringBuilder("<p class='legend'>");
        for (int s = 0; s < strategies.size(); s++) {
            sb.append("<span class='key' data-series='").append(esc(strategies.get(s))).append("'><span class='swatch' "
                    + "style='background:").append(EvaluationCharts.colour(s)).append("'></span>")
                    .append(esc(strategies.get(s))).append("</span> ");
        }
        return sb.append("</p>\n").toString();
    }

    private String detSection(List<String> strategies, int positive) {
        Map<Long, List<Evaluation.Outcome>> bySubset = bySubset();
        Map<Evaluation.Outcome, ErrorTradeoff> tradeoffs = new java.util.IdentityHashMap<>();
        for (Evaluation.Outcome o : outcomes) {
            float[] p = new float[o.size()];
            boolean[] pos = new boolean[o.size()];
            for (int i = 0; i < o.size(); i++) {
                p[i] = o.probability(i, positive);
                pos[i] = o.labels()[i] == positive;
            }
            try {
                tradeoffs.put(o, ErrorTradeoff.of(p, pos));
            } catch (IllegalArgumentException oneClass) {
                // a subset whose events are all of one class has no trade-off to draw
            }
        }
        // One floor for every chart, so that subsets compare at a glance.
        double floor = EvaluationCharts.detFloor(new ArrayList<>(tradeoffs.values()));
        String marked = operating == null ? null : operating.points().strategy();
        StringBuilder sb = new StringBuilder("<h2 id='det'>Detection error trade-off per subset</h2>\n<p>The false-reject "
                + "rate of " + esc(classes.get(positive)) + " against the false-accept rate, at every threshold on its "
                + "fused probability, on normal-deviate axes (a DET curve: lower left is better; the dashed diagonal is "
                + "where the two rates are equal). A rate of 0 is drawn on the axis.");
        if (operating != null) {
            sb.append(strategies.contains(marked)
                    ? " Operating point " + esc(operating.points().name()) + " on " + esc(marked) + ": the filled dot is "
                    + "what the stream decides, each event against its subset's own threshold (or the global one); "
                    + "the open dot is the global threshold alone; the dotted red line is the target."
                    : " The operating points are for " + esc(marked) + ", which is not evaluated here: none is marked.");
        }
        sb.append("</p>\n").append(legend(strategies)).append("<div class='grid'>");
        for (List<Evaluation.Outcome> os : bySubset.values()) {
            List<EvaluationCharts.Curve> curves = new ArrayList<>();
            List<EvaluationCharts.Mark> marks = new ArrayList<>();
            Evaluation.Outcome first = os.get(0);
            for (Evaluation.Outcome o : os) {
                ErrorTradeoff t = tradeoffs.get(o);
                if (t == null) {
                    continue;
                }
                float[] p = new float[o.size()];
                boolean[] pos = new boolean[o.size()];
                for (int i = 0; i < o.size(); i++) {
                    p[i] = o.probability(i, positive);
                    pos[i] = o.labels()[i] == positive;
                }
                int colour = strategies.indexOf(o.strategy());
                curves.add(new EvaluationCharts.Curve(o.strategy(), colour, t));
                if (operating != null && o.strategy().equals(marked)) {
                    double global = operating.points().globalThreshold();
                    double[] own = new double[o.size()];
                    double[] all = new double[o.size()];
                    for (int i = 0; i < o.size(); i++) {
                        own[i] = operating.thresholdsByMask().getOrDefault(o.masks()[i], global);
                        all[i] = global;
                    }
                    double[] g = ErrorTradeoff.at(p, pos, all);
                    double[] s = ErrorTradeoff.at(p, pos, own);
                    marks.add(new EvaluationCharts.Mark("global threshold " + f(global), g[0], g[1], colour, false));
                    marks.add(new EvaluationCharts.Mark("as the stream decides", s[0], s[1], colour, true));
                }
            }
            if (curves.isEmpty()) {
                continue;
            }
            OperatingPoints points = operating == null ? null : operating.points();
            Double targetFrr = points != null && points.metric() == OperatingPoints.Metric.FRR ? points.target() : null;
            Double targetFar = points != null && points.metric() == OperatingPoints.Metric.FAR ? points.target() : null;
            sb.append(EvaluationCharts.det(String.join(" + ", first.names()) + " (" + first.size() + ")", curves, marks,
                    floor, targetFrr, targetFar));
        }
        return sb.append("</div>\n").toString();
    }

    private String reliabilitySection(List<String> strategies, int positive) {
        long all = (1L << modalities()) - 1;
        List<Evaluation.Outcome> complete = outcomes.stream().filter(o -> o.subset() == all).toList();
        if (complete.isEmpty()) {
            return "";
        }
        boolean binary = classes.size() == 2;
        StringBuilder sb = new StringBuilder("<h2 id='reliability'>Calibration: reliability per strategy</h2>\n<p>With "
                + "every modality that each event has, as the stream fuses it: ");
        sb.append(binary ? "the predicted probability of " + esc(classes.get(positive)) + " against how often the event "
                + "was " + esc(classes.get(positive))
                : "the probability of the predicted class against how often it was right");
        sb.append(", in tenths (a dot per tenth, sized by its events; the bars underneath count them). On the dashed "
                + "diagonal a probability means what it says. ECE: the expected calibration error, each tenth's gap "
                + "weighed by its events.</p>\n<div class='grid'>");
        for (Evaluation.Outcome o : complete) {
            Reliability r = Reliability.of(o, positive);
            sb.append(EvaluationCharts.reliability(o.strategy() + ": ECE " + f(r.ece()), r,
                    strategies.indexOf(o.strategy()), binary ? "predicted P(" + classes.get(positive) + ")"
                            : "confidence of the predicted class", binary ? "observed share" : "share right"));
        }
        return sb.append("</div>\n").toString();
    }

    /** Per subset, the confusion matrix of its best strategy: rows the true class, columns the predicted. */
    private String confusionSection() {
        StringBuilder sb = new StringBuilder("<h2 id='confusion'>Confusion per subset</h2>\n<p>For each subset, its best "
                + "strategy's counts: a row per true class, a column per predicted class, shaded by the share of the "
                + "row.</p>\n<div class='grid'>");
        for (List<Evaluation.Outcome> os : bySubset().values()) {
            Evaluation.Outcome best = null;
            double bestAccuracy = -1;
            for (Evaluation.Outcome o : os) {
                int right = 0;
                for (int i = 0; i < o.size(); i++) {
                    right += o.predicted(i) == o.labels()[i] ? 1 : 0;
                }
                double a = right / (double) Math.max(1, o.size());
                if (a > bestAccuracy) {
                    best = o;
                    bestAccuracy = a;
                }
            }
            int c = classes.size();
            int[][] m = new int[c][c];
            for (int i = 0; i < best.size(); i++) {
                m[best.labels()[i]][best.predicted(i)]++;
            }
            sb.append("<div class='scroll'><table class='confusion'><caption>").append(esc(String.join(" + ", best.names())))
                    .append(": ").append(esc(best.strategy())).append(", ").append(f(bestAccuracy))
                    .append("</caption><tr><th>true \\ predicted</th>");
            for (String k : classes) {
                sb.append("<th>").append(esc(k)).append("</th>");
            }
            sb.append("</tr>");
            for (int t = 0; t < c; t++) {
                int row = java.util.Arrays.stream(m[t]).sum();
                sb.append("<tr><th>").append(esc(classes.get(t))).append("</th>");
                for (int p = 0; p < c; p++) {
                    double share = row == 0 ? 0 : m[t][p] / (double) row;
                    sb.append(String.format(Locale.ROOT, "<td style='background:rgba(%s,%.2f)'>%d</td>",
                            t == p ? "78,121,167" : "225,87,89", Math.min(1, share * (t == p ? 0.8 : 2.5)), m[t][p]));
                }
                sb.append("</tr>");
            }
            sb.append("</table></div>");
        }
        return sb.append("</div>\n").toString();
    }

    private String operatingSection() {
        OperatingPoints p = operating.points();
        StringBuilder sb = new StringBuilder("<h2 id='operating-points'>Operating point ").append(esc(p.name()))
                .append("</h2>\n<p>").append(esc(String.format(Locale.ROOT, "%s %.2f on %s, for %s: one global threshold "
                        + "(%s) against one per subset, per subset of modalities present in the data.", p.metric().name(),
                        p.target(), p.positiveClass(), p.strategy(), f(p.globalThreshold()))))
                .append("</p>\n<div class='scroll'><table><tr><th>present</th><th>events</th><th>FRR, global</th>"
                        + "<th>FRR, per subset</th><th>FAR, global</th><th>FAR, per subset</th></tr>");
        for (OperatingPointCalibration.Row r : operating.rows()) {
            sb.append("<tr><td>").append(esc(String.join(" + ", r.present()))).append(r.own() ? "" : " (global)")
                    .append("</td><td>").append(r.events()).append("</td><td>").append(f(r.frrGlobal())).append("</td><td>")
                    .append(f(r.frrOwn())).append("</td><td>").append(f(r.farGlobal())).append("</td><td>")
                    .append(f(r.farOwn())).append("</td></tr>");
        }
        return sb.append("</table></div>\n").toString();
    }

    /** The outcomes by subset, subsets ordered by size, then as configured. */
    private Map<Long, List<Evaluation.Outcome>> bySubset() {
        Map<Long, List<Evaluation.Outcome>> out = new java.util.TreeMap<>(SUBSET_ORDER);
        for (Evaluation.Outcome o : outcomes) {
            out.computeIfAbsent(o.subset(), k -> new ArrayList<>()).add(o);
        }
        return out;
    }

    /** Subsets by size, then in config order: acoustic + lexical before acoustic + prosody before lexical + prosody. */
    static final java.util.Comparator<Long> SUBSET_ORDER = java.util.Comparator.<Long>comparingInt(Long::bitCount)
            .thenComparing((a, b) -> Long.compareUnsigned(Long.reverse(b), Long.reverse(a)));

    private long mask(List<String> subset) {
        long m = 0;
        for (String s : subset) {
            m |= 1L << modalityNames.indexOf(s);
        }
        return m;
    }

    private static double[] nan(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, Double.NaN);
        return v;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
