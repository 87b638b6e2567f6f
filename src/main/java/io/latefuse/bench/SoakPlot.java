package io.latefuse.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A line chart as SVG, in plain Java: one line per instance over the run's time, with the schedule's actions as
 * labelled vertical lines. Small on purpose; it draws what the soak samples, nothing more.
 */
final class SoakPlot {
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
    /** The same line has the same colour on every chart. */
    private static final Map<String, String> NAMED = Map.of("soak-0", COLOURS[0], "soak-1", COLOURS[1],
            "soak-2", COLOURS[2], "all", "#000000");
    private static final int W = 900;
    private static final int H = 320;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 40;

    private SoakPlot() {}

    /** A point of one line: seconds since the traffic started, and the value. */
    record Point(double t, double value) {}

    /** A mark on the time axis: an action of the schedule. */
    record Mark(double t, String label) {}

    /**
     * @param lines  per line name (an instance), its points in time order
     * @param scale  the values are divided by it for the axis (e.g. 2^20 for MiB)
     */
    static String svg(String title, String subtitle, String unit, double scale, Map<String, List<Point>> lines, List<Mark> marks,
                      double seconds) {
        double maxY = 0;
        for (List<Point> ps : lines.values()) {
            for (Point p : ps) {
                maxY = Math.max(maxY, p.value() / scale);
            }
        }
        double top = niceCeiling(maxY);
        double right = Math.max(1, seconds);
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n", W, H, W, H));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\" font-size=\"14\">%s (%s)</text>%n", 10,
                esc(title), esc(unit)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#555\">%s</text>%n", 10, H - 6,
                esc(subtitle)));
        // Axes, with 5 ticks on each.
        int x0 = LEFT;
        int x1 = W - RIGHT;
        int y0 = H - BOTTOM;
        int y1 = TOP;
        for (int i = 0; i <= 5; i++) {
            double v = top * i / 5;
            double y = y0 - (y0 - y1) * i / 5.0;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    x0, y, x1, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", x0 - 5,
                    y + 4, number(v)));
            double t = right * i / 5;
            double x = x0 + (x1 - x0) * i / 5.0;
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x,
                    y0 + 15, t >= 120 ? String.format(Locale.ROOT, "%.0f min", t / 60) : String.format(Locale.ROOT, "%.0f s", t)));
        }
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", x0, y0, x1, y0));
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", x0, y0, x0, y1));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">time since the traffic started</text>%n",
                x1, H - 6));
        for (Mark m : marks) {
            double x = x0 + (x1 - x0) * Math.min(1, m.t() / right);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" "
                    + "stroke-dasharray=\"3,3\"/>%n", x, y0, x, y1 - 4));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>%n",
                    x, y1 - 7, esc(m.label())));
        }
        int i = 0;
        for (Map.Entry<String, List<Point>> line : new TreeMap<>(lines).entrySet()) {
            String colour = NAMED.getOrDefault(line.getKey(), COLOURS[(3 + i) % COLOURS.length]);
            List<String> pts = new ArrayList<>();
            for (Point p : line.getValue()) {
                double x = x0 + (x1 - x0) * Math.min(1, Math.max(0, p.t() / right));
                double y = y0 - (y0 - y1) * (top == 0 ? 0 : p.value() / scale / top);
                pts.add(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
            }
            s.append(polylines(line.getValue(), pts, colour));
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", x1 - 110, y1 + 4 + 14 * i, colour, x1 - 96, y1 + 13 + 14 * i,
                    esc(line.getKey())));
            i++;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    /** A gap of more than three sample intervals (the instance was down) breaks the line. */
    private static String polylines(List<Point> points, List<String> xy, String colour) {
        StringBuilder s = new StringBuilder();
        double[] steps = new double[Math.max(0, points.size() - 1)];
        for (int k = 1; k < points.size(); k++) {
            steps[k - 1] = points.get(k).t() - points.get(k - 1).t();
        }
        java.util.Arrays.sort(steps);
        double spacing = steps.length == 0 ? 0 : steps[steps.length / 2];
        int from = 0;
        for (int k = 1; k <= points.size(); k++) {
            boolean end = k == points.size() || (spacing > 0 && points.get(k).t() - points.get(k - 1).t() > 3 * spacing);
            if (end) {
                s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\" points=\"%s\"/>%n",
                        colour, String.join(" ", xy.subList(from, k))));
                from = k;
            }
        }
        return s.toString();
    }

    /** 1, 2 or 5 times a power of ten, at or above {@code v}. */
    static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String number(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%,.1f", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
