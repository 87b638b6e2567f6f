package io.latefuse.training;

import io.latefuse.config.Durations;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * What {@code latefuse advise} prints ({@link #table}), and {@code --report}: one self-contained HTML page, its curve
 * an inline SVG (no script, nothing fetched), of completeness against {@code max.wait}: one line per modality (an
 * optional one dotted and labelled so), and one for whole events.
 */
public final class ArrivalDelayReport {
    /** One colour per modality, then the events' line in black. Distinct in print and for common colour blindness. */
    public static final List<String> COLOURS = List.of("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
            "#f0e442", "#999999");
    private static final int W = 760;
    private static final int H = 420;
    private static final int LEFT = 60;
    private static final int RIGHT = 170;
    private static final int TOP = 20;
    private static final int BOTTOM = 50;

    private ArrivalDelayReport() {}

    /**
     * @param xMaxMs the right end of the curve
     * @param configuredMs the max.wait configured now, marked too; -1 for none
     */
    public static String html(String title, ArrivalDelays d, long xMaxMs, long recommendedMs, long configuredMs,
                              double target, String summaryTable) {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %d %d' width='%d' "
                + "height='%d' role='img' aria-label='completeness against max.wait'>", W, H, W, H));
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='#fff' stroke='#333'/>",
                LEFT, TOP, plotW, plotH));
        for (int i = 0; i <= 10; i++) {
            double y = TOP + plotH - plotH * i / 10.0;
            svg.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/>"
                    + "<text x='%d' y='%.1f' font-size='11' text-anchor='end'>%d%%</text>", LEFT, LEFT + plotW, y, y,
                    LEFT - 6, y + 4, i * 10));
        }
        for (int i = 0; i <= 8; i++) {
            double x = LEFT + plotW * i / 8.0;
            svg.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%d ms</text>",
                    x, TOP + plotH + 16, Math.round(xMaxMs * i / 8.0)));
        }
        svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='12' text-anchor='middle'>max.wait</text>",
                LEFT + plotW / 2, H - 10));
        int lines = d.modalities().size() + 1;
        for (int l = 0; l < lines; l++) {
            boolean events = l == d.modalities().size();
            String colour = events ? "#000" : COLOURS.get(l % COLOURS.size());
            StringBuilder points = new StringBuilder();
            for (int i = 0; i <= 200; i++) {
                long wait = Math.round(xMaxMs * i / 200.0);
                double c = events ? d.completeness(wait) : d.completeness(l, wait);
                if (Double.isNaN(c)) {
                    continue;
                }
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", LEFT + plotW * i / 200.0, TOP + plotH - plotH * c));
            }
            String dash = events ? "stroke-dasharray='6 3'" : d.required(l) ? "" : "stroke-dasharray='2 3'";
            svg.append(String.format(Locale.ROOT, "<polyline fill='none' stroke='%s' stroke-width='%s' %s points='%s'/>",
                    colour, events ? "2.5" : "2", dash, points.toString().trim()));
            double ly = TOP + 14 + 18 * l;
            svg.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='3'/>"
                    + "<text x='%d' y='%.1f' font-size='12'>%s</text>", LEFT + plotW + 12, LEFT + plotW + 36, ly, ly,
                    colour, LEFT + plotW + 42, ly + 4, esc(events ? "whole events" : label(d, l))));
        }
        mark(svg, recommendedMs, xMaxMs, plotW, plotH, "#d00", "advised " + recommendedMs + " ms", 8);
        if (configuredMs >= 0 && configuredMs <= xMaxMs) {
            mark(svg, configuredMs, xMaxMs, plotW, plotH, "#555", "max.wait now " + configuredMs + " ms", 24);
        }
        double ty = TOP + plotH - plotH * target;
        svg.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#d00' "
                + "stroke-dasharray='2 3'/>", LEFT, LEFT + plotW, ty, ty));
        svg.append("</svg>");
        return "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>" + esc(title) + "</title>"
                + "<style>body{font-family:sans-serif;margin:24px;color:#222}svg{max-width:100%;height:auto}"
                // the text table is as wide as its longest modality name: it scrolls in its own box, not the page
                + ".table{overflow-x:auto;max-width:100%;border:1px solid #eee}pre{margin:8px}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child"
                + "{text-align:left}</style></head><body>\n<h1>" + esc(title) + "</h1>\n"
                + (d.hasOptional() ? "<p>Completeness: of a required modality's scores that came, the share that came "
                + "within max.wait of their event's first score; of an optional modality's (dotted), the share that "
                + "came before their event was answered; for whole events, the share whose every required score that "
                + "came, came within it. Optional modalities are awaited only while a required one is missing, then "
                + "for at most optional.wait (" + Durations.format(Duration.ofMillis(d.optionalWaitMs())) + "): they "
                + "do not drive the advice. Scores that never came are not waited for by any max.wait and are "
                + "reported apart.</p>\n"
                : "<p>Completeness: of the scores that came, the share that came within max.wait of their event's "
                + "first score; for whole events, the share whose every score that came, came within it. Scores "
                + "that never came are not waited for by any max.wait and are reported apart.</p>\n")
                + svg + "\n<div class='table'><pre>" + esc(summaryTable) + "</pre></div>\n</body></html>\n";
    }

    /**
     * The text {@code advise} prints: per modality, its delays and the share of events it never came for; the
     * completeness and mean wait of each candidate {@code max.wait}; the advice, and what the events that lack a
     * modality do. Optional modalities are labelled so and reported apart: they do not drive the advice.
     *
     * @param candidatesMs the max.wait values to tabulate; the one configured and the advice are added
     */
    public static String table(ArrivalDelays d, Instant from, long horizon, Collection<Long> candidatesMs,
                               long maxWaitMs, long advised, double target) {
        StringBuilder out = new StringBuilder();
        int n = d.modalities().size();
        List<String> labels = new ArrayList<>();
        List<String> requiredNames = new ArrayList<>();
        List<String> optionalNames = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            labels.add(label(d, m));
            (d.required(m) ? requiredNames : optionalNames).add(d.modalities().get(m));
        }
        int width = Math.max(14, labels.stream().mapToInt(String::length).max().orElse(0));
        out.append(String.format(Locale.ROOT, "Arrival delay after each event's first score, over %,d events first "
                + "seen since %s (%,d left out: first seen within %d ms of the last score read):%n", d.events(), from,
                d.leftOut(), horizon));
        out.append(String.format(Locale.ROOT, "  %-" + width + "s %9s %9s %9s %9s %11s%n", "modality", "p50", "p90",
                "p99", "p99.9", "never came"));
        for (int m = 0; m < n; m++) {
            out.append(String.format(Locale.ROOT, "  %-" + width + "s %9s %9s %9s %9s %10.1f%%%n", labels.get(m),
                    ms(d.quantile(m, 0.5)), ms(d.quantile(m, 0.9)), ms(d.quantile(m, 0.99)), ms(d.quantile(m, 0.999)),
                    100 * d.neverShare(m)));
        }
        TreeSet<Long> waits = new TreeSet<>(candidatesMs);
        waits.add(maxWaitMs);
        waits.add(advised);
        out.append(String.format(Locale.ROOT, "Completeness by max.wait (of the scores that came; whole events: every "
                + (d.hasOptional() ? "required score that came; an optional modality: its scores that came before "
                + "their event was answered" : "score that came") + ") and the mean wait it costs an event:%n"));
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-10s %13s", "max.wait", "whole events"));
        labels.forEach(l -> head.append(String.format(Locale.ROOT, " %" + Math.max(10, l.length()) + "s", l)));
        out.append(head).append(String.format(Locale.ROOT, " %10s%n", "mean wait"));
        for (long w : waits) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "  %-10s %12.2f%%", w + " ms",
                    100 * d.completeness(w)));
            for (int m = 0; m < n; m++) {
                row.append(String.format(Locale.ROOT, " %" + (Math.max(10, labels.get(m).length()) - 1) + ".2f%%",
                        100 * d.completeness(m, w)));
            }
            String note = w == advised ? "  <- advised" : w == maxWaitMs ? "  <- max.wait now" : "";
            out.append(row).append(String.format(Locale.ROOT, " %7.0f ms%s%n", d.meanWait(w), note));
        }
        out.append(String.format(Locale.ROOT, "Advised max.wait for %.1f%% completeness: %d ms (max.wait is now %s).%n",
                100 * target, advised, Durations.format(Duration.ofMillis(maxWaitMs))));
        String optionalWait = Durations.format(Duration.ofMillis(d.optionalWaitMs()));
        if (d.hasOptional()) {
            out.append(String.format(Locale.ROOT, "  From the required modalities only (%s). Optional: %s, awaited "
                    + "only while a required score is missing, then for at most optional.wait (%s).%n",
                    String.join(", ", requiredNames), String.join(", ", optionalNames), optionalWait));
        }
        for (int m = 0; m < n; m++) {
            if (d.required(m) && d.neverShare(m) > 0) {
                out.append(String.format(Locale.ROOT, "  %s never came for %.1f%% of events: no max.wait waits for "
                        + "those, and each waits out its deadline.%n", d.modalities().get(m), 100 * d.neverShare(m)));
            }
        }
        for (int m = 0; m < n; m++) {
            if (d.required(m)) {
                continue;
            }
            out.append(String.format(Locale.ROOT, "  %s: at the advised %d ms, %.1f%% of events are answered "
                    + "before its score arrives", labels.get(m), advised, 100 * d.answeredWithoutShare(m, advised)));
            if (maxWaitMs != advised) {
                out.append(String.format(Locale.ROOT, " (%.1f%% at max.wait now)",
                        100 * d.answeredWithoutShare(m, maxWaitMs)));
            }
            out.append(String.format(Locale.ROOT, ", %.1f%% because it never came. Those are answered COMPLETE "
                    + "without it once the required scores are in (after optional.wait %s), not at their deadline.%n",
                    100 * d.neverShare(m), optionalWait));
        }
        return out.toString();
    }

    /** The modality's name, with {@code (optional)} after an optional one's. */
    static String label(ArrivalDelays d, int m) {
        return d.required(m) ? d.modalities().get(m) : d.modalities().get(m) + " (optional)";
    }

    private static String ms(long v) {
        return v < 0 ? "-" : v + " ms";
    }

    /** @param above how far above the plot's bottom its label sits, so that two marks' labels do not overlap */
    private static void mark(StringBuilder svg, long ms, long xMaxMs, int plotW, int plotH, String colour, String label,
                             int above) {
        double x = LEFT + plotW * Math.min(1.0, (double) ms / xMaxMs);
        svg.append(String.format(Locale.ROOT, "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='%s' stroke-width='1.5'/>"
                + "<text x='%.1f' y='%d' font-size='11' fill='%s' text-anchor='end'>%s</text>", x, x, TOP, TOP + plotH,
                colour, x - 4, TOP + plotH - above, colour, esc(label)));
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
