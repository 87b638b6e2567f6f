package io.latefuse.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/** Renders evaluation rows: a markdown table, results.json, and a self-contained report.html with inline SVG. */
public final class EvaluationReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final String title;
    private final List<Evaluation.Row> rows;
    private final int modalities;
    private final Map<String, Double> headDropout;
    private final List<LevelCost.Cost> costs;

    /** @param headDropout each learned head's training dropout, by strategy name */
    public EvaluationReport(String title, List<Evaluation.Row> rows, int modalities, Map<String, Double> headDropout) {
        this(title, rows, modalities, headDropout, List.of());
    }

    /** @param costs what each strategy costs per event, reported after the table (none: no such section) */
    public EvaluationReport(String title, List<Evaluation.Row> rows, int modalities, Map<String, Double> headDropout,
                            List<LevelCost.Cost> costs) {
        this.costs = costs;
        this.title = title;
        this.rows = rows;
        this.modalities = modalities;
        this.headDropout = headDropout;
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
                            + "%s (no dropout) %.4f. The head with dropout is %s.", (1 << modalities) - 2, pair[0],
                    headDropout.get(pair[0]), a, pair[1], b, a >= b ? "at least as good" : "worse"));
        }
        OptionalDouble bestSingle = rows.stream().filter(r -> r.subset().size() == 1).mapToDouble(Evaluation.Row::accuracy).max();
        Evaluation.Row bestFused = rows.stream().filter(r -> r.complete(modalities))
                .max((x, y) -> Double.compare(x.accuracy(), y.accuracy())).orElse(null);
        if (bestSingle.isPresent() && bestFused != null && modalities > 1) {
            out.add(String.format(Locale.ROOT, "With every modality present the best fusion (%s) has accuracy %.4f; the best "
                            + "single modality %.4f. Fusion is %s.", bestFused.strategy(), bestFused.accuracy(),
                    bestSingle.getAsDouble(), bestFused.accuracy() >= bestSingle.getAsDouble() ? "at least as good" : "worse"));
        }
        return out;
    }

    private double meanIncomplete(String strategy) {
        return rows.stream().filter(r -> r.strategy().equals(strategy) && !r.complete(modalities))
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
        ArrayNode checks = root.putArray("checks");
        checks().forEach(checks::add);
        JSON.writeValue(dir.resolve("results.json").toFile(), root);
        Files.writeString(dir.resolve("report.html"), html());
    }

    /** One grouped bar chart of accuracy: a group per subset, a bar per strategy. No scripts, no network. */
    String html() {
        List<String> strategies = new ArrayList<>(new LinkedHashSet<>(rows.stream().map(Evaluation.Row::strategy).toList()));
        Map<String, Map<String, Double>> bySubset = new LinkedHashMap<>();
        for (Evaluation.Row r : rows) {
            bySubset.computeIfAbsent(String.join(" + ", r.subset()), k -> new LinkedHashMap<>()).put(r.strategy(), r.accuracy());
        }
        String[] colours = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"};
        int bar = 12;
        int group = strategies.size() * bar + 14;
        int height = 260;
        int left = 40;
        int width = left + bySubset.size() * group + 20;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' font-size='10'>",
                width, height + 150));
        for (int t = 0; t <= 10; t += 2) {
            double y = height - t / 10.0 * height + 10;
            svg.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/><text x='4' y='%.1f'>%.1f</text>",
                    left, width, y, y, y + 3, t / 10.0));
        }
        int g = 0;
        for (Map.Entry<String, Map<String, Double>> e : bySubset.entrySet()) {
            int x0 = left + g * group + 7;
            for (int s = 0; s < strategies.size(); s++) {
                Double acc = e.getValue().get(strategies.get(s));
                if (acc == null) {
                    continue;
                }
                double h = acc * height;
                svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%.1f' width='%d' height='%.1f' fill='%s'><title>%s, %s: %.4f</title></rect>",
                        x0 + s * bar, height - h + 10, bar - 2, h, colours[s % colours.length], esc(e.getKey()),
                        esc(strategies.get(s)), acc));
            }
            svg.append(String.format(Locale.ROOT, "<text transform='translate(%d,%d) rotate(60)'>%s</text>", x0, height + 18, esc(e.getKey())));
            g++;
        }
        svg.append("</svg>");
        StringBuilder legend = new StringBuilder();
        for (int s = 0; s < strategies.size(); s++) {
            legend.append(String.format("<span style='display:inline-block;width:12px;height:12px;background:%s'></span> %s &nbsp; ",
                    colours[s % colours.length], esc(strategies.get(s))));
        }
        StringBuilder table = new StringBuilder("<table><tr><th>modalities present</th><th>n</th><th>strategy</th><th>accuracy</th>"
                + "<th>ROC-AUC</th><th>EER</th><th>FA @ FR 10%</th></tr>");
        for (Evaluation.Row r : rows) {
            table.append("<tr><td>").append(esc(String.join(" + ", r.subset()))).append("</td><td>").append(r.n())
                    .append("</td><td>").append(esc(r.strategy())).append("</td><td>").append(f(r.accuracy()))
                    .append("</td><td>").append(f(r.auc())).append("</td><td>").append(f(r.eer()))
                    .append("</td><td>").append(f(r.faAtFr10())).append("</td></tr>");
        }
        table.append("</table>");
        StringBuilder checks = new StringBuilder("<ul>");
        checks().forEach(c -> checks.append("<li>").append(esc(c)).append("</li>"));
        checks.append("</ul>");
        return "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + esc(title) + "</title><style>"
                + "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                + "padding:2px 6px;text-align:right}td:first-child,td:nth-child(3){text-align:left}</style></head><body>"
                + "<h1>" + esc(title) + "</h1><h2>Accuracy by modalities present</h2><p>" + legend + "</p>" + svg
                + "<h2>Checks</h2>" + checks + "<h2>All results</h2>" + table + "</body></html>\n";
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
