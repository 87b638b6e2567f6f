package io.latefuse.training;

import java.util.List;
import java.util.Locale;

/**
 * {@code latefuse advise --report}: one self-contained HTML page, its curve an inline SVG (no script, nothing
 * fetched), of completeness against {@code max.wait}: one line per modality, and one for whole events.
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
        svg.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                + "role='img' aria-label='completeness against max.wait'>", W, H));
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
            svg.append(String.format(Locale.ROOT, "<polyline fill='none' stroke='%s' stroke-width='%s' %s points='%s'/>",
                    colour, events ? "2.5" : "2", events ? "stroke-dasharray='6 3'" : "", points.toString().trim()));
            double ly = TOP + 14 + 18 * l;
            svg.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='3'/>"
                    + "<text x='%d' y='%.1f' font-size='12'>%s</text>", LEFT + plotW + 12, LEFT + plotW + 36, ly, ly,
                    colour, LEFT + plotW + 42, ly + 4, esc(events ? "whole events" : d.modalities().get(l))));
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
                + "<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse}"
                + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child"
                + "{text-align:left}</style></head><body>\n<h1>" + esc(title) + "</h1>\n"
                + "<p>Completeness: of the scores that came, the share that came within max.wait of their event's "
                + "first score; for whole events, the share whose every score that came, came within it. Scores "
                + "that never came are not waited for by any max.wait and are reported apart.</p>\n"
                + svg + "\n<pre>" + esc(summaryTable) + "</pre>\n</body></html>\n";
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
