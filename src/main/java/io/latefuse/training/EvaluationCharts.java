package io.latefuse.training;

import org.apache.commons.math3.distribution.NormalDistribution;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The evaluation report's charts, each an inline SVG string: no scripts, no fonts or styles fetched. Every chart
 * scales down with its box ({@code viewBox}, {@code max-width:100%}), so none overflows a narrow window. Classes and
 * {@code data-} attributes name what each mark is, for a test to find it in a browser.
 */
final class EvaluationCharts {
    static final List<String> COLOURS = List.of("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2",
            "#edc948", "#9c755f", "#17becf", "#7f7f7f");
    private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1,
            NormalDistribution.DEFAULT_INVERSE_ABSOLUTE_ACCURACY);
    /** The ticks a DET axis may have: the rates readers know. */
    private static final double[] DET_TICKS = {0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
            0.2, 0.3, 0.4, 0.5};

    private EvaluationCharts() {}

    static String colour(int i) {
        return COLOURS.get(i % COLOURS.size());
    }

    /** One row of a dot plot: a label, and a value per series (NaN: none), with an interval around one of them. */
    record DotRow(String label, double[] values, double lo, double hi) {}

    /**
     * A dot plot of values in [0, 1], one row per label and a dot per series, on an axis zoomed to the values: a bar
     * from 0 would hide differences of a point or two, and a bar with a cut base would lie about its length.
     */
    static String dotPlot(String cssClass, List<String> series, List<DotRow> rows, String axisLabel) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (DotRow r : rows) {
            for (double v : r.values()) {
                if (!Double.isNaN(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            if (!Double.isNaN(r.lo())) {
                min = Math.min(min, r.lo());
                max = Math.max(max, r.hi());
            }
        }
        if (min > max) {
            return "<p>No values.</p>";
        }
        double[] axis = niceAxis(Math.max(0, min), Math.min(1, max));
        int left = 260;
        int plotW = 700;
        int rowH = 20;
        int top = 10;
        int height = top + rows.size() * rowH + 44;
        int width = left + plotW + 20;
        StringBuilder svg = svgOpen(cssClass, width, height);
        for (double t = axis[0]; t <= axis[1] + axis[2] / 2; t += axis[2]) {
            double x = left + (t - axis[0]) / (axis[1] - axis[0]) * plotW;
            svg.append(fmt("<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='#ddd'/>"
                    + "<text x='%.1f' y='%d' text-anchor='middle' class='tick'>%s</text>", x, x, top, top + rows.size() * rowH,
                    x, top + rows.size() * rowH + 14, trim(t, axis[2])));
        }
        svg.append(fmt("<text x='%.1f' y='%d' text-anchor='middle'>%s</text>", left + plotW / 2.0,
                top + rows.size() * rowH + 32, esc(axisLabel)));
        for (int r = 0; r < rows.size(); r++) {
            DotRow row = rows.get(r);
            double y = top + r * rowH + rowH / 2.0;
            if (r % 2 == 0) {
                svg.append(fmt("<rect x='0' y='%.1f' width='%d' height='%d' fill='#f6f6f6'/>", y - rowH / 2.0, width, rowH));
            }
            svg.append(fmt("<text x='%d' y='%.1f' text-anchor='end'>%s</text>", left - 8, y + 4, esc(row.label())));
            if (!Double.isNaN(row.lo())) {
                svg.append(fmt("<line class='interval' x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#999' "
                        + "stroke-width='3'/>", xOf(row.lo(), axis, left, plotW), xOf(row.hi(), axis, left, plotW), y, y));
            }
            for (int s = 0; s < series.size(); s++) {
                double v = row.values()[s];
                if (!Double.isNaN(v)) {
                    // each series a little above or below the next, so that equal values do not hide each other
                    double dy = (s - (series.size() - 1) / 2.0) * Math.min(3, 12.0 / series.size());
                    svg.append(fmt("<circle class='dot' data-series='%s' cx='%.1f' cy='%.1f' r='4.5' fill='%s' "
                                    + "fill-opacity='0.85'><title>%s, %s: %.4f</title></circle>", esc(series.get(s)),
                            xOf(v, axis, left, plotW), y + dy, colour(s), esc(row.label()), esc(series.get(s)), v));
                }
            }
        }
        return svg.append("</svg>").toString();
    }

    /** A diverging bar per row from 0, on an axis zoomed to the values (which may be negative). */
    static String gainChart(List<String> labels, double[] gains, List<String> notes, String axisLabel) {
        double min = 0;
        double max = 0;
        for (double g : gains) {
            min = Math.min(min, g);
            max = Math.max(max, g);
        }
        if (min == max) {
            max = 1;
        }
        double[] axis = niceAxis(min, max);
        int left = 220;
        int plotW = 360;
        int rowH = 22;
        int top = 10;
        int height = top + labels.size() * rowH + 44;
        int width = left + plotW + 400;
        StringBuilder svg = svgOpen("gain", width, height);
        for (double t = axis[0]; t <= axis[1] + axis[2] / 2; t += axis[2]) {
            double x = xOf(t, axis, left, plotW);
            svg.append(fmt("<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='%s'/>"
                            + "<text x='%.1f' y='%d' text-anchor='middle' class='tick'>%s</text>", x, x, top,
                    top + labels.size() * rowH, Math.abs(t) < axis[2] / 2 ? "#333" : "#ddd", x,
                    top + labels.size() * rowH + 14, (t > axis[2] / 2 ? "+" : "") + trim(Math.abs(t) < axis[2] / 2 ? 0 : t, axis[2])));
        }
        svg.append(fmt("<text x='%.1f' y='%d' text-anchor='middle'>%s</text>", left + plotW / 2.0,
                top + labels.size() * rowH + 32, esc(axisLabel)));
        double zero = xOf(0, axis, left, plotW);
        for (int r = 0; r < labels.size(); r++) {
            double y = top + r * rowH + 3;
            double x = xOf(gains[r], axis, left, plotW);
            svg.append(fmt("<text x='%d' y='%.1f' text-anchor='end'>%s</text>", left - 8, y + 12, esc(labels.get(r))));
            svg.append(fmt("<rect class='bar' x='%.1f' y='%.1f' width='%.1f' height='%d' fill='%s'><title>%s</title></rect>",
                    Math.min(x, zero), y, Math.max(1, Math.abs(x - zero)), rowH - 6, gains[r] >= 0 ? "#59a14f" : "#e15759",
                    esc(notes.get(r))));
            svg.append(fmt("<text x='%d' y='%.1f' font-size='11' fill='#444'>%s</text>", left + plotW + 10, y + 12,
                    esc(notes.get(r))));
        }
        return svg.append("</svg>").toString();
    }

    /** A curve on a DET chart. */
    record Curve(String series, int colour, ErrorTradeoff tradeoff) {}

    /** A point marked on a DET chart: an operating point. */
    record Mark(String label, double far, double frr, int colour, boolean filled) {}

    /**
     * The lowest DET axis tick for these curves: a tenth of the lowest equal error rate among them, where the curves
     * that matter run, but no lower than {@code 1/events} of the largest class allows (a rate cannot be finer), and
     * no higher than 5%. Zoomed to the data: curves of a few hundred events do not hug a corner of 0.01%.
     */
    static double detFloor(List<ErrorTradeoff> curves) {
        double lowest = 0.5;
        int finest = 1;
        for (ErrorTradeoff t : curves) {
            finest = Math.max(finest, Math.max(t.positives(), t.negatives()));
            lowest = Math.min(lowest, t.equalErrorRate() / 10);
        }
        lowest = Math.max(lowest, 1.0 / finest);
        double floor = DET_TICKS[0];
        for (double t : DET_TICKS) {
            if (t <= lowest) {
                floor = t;
            }
        }
        return Math.min(floor, 0.05);
    }

    /**
     * A detection error trade-off chart: the false-reject rate against the false-accept rate, both on normal-deviate
     * axes from {@code floor} to 50%, where the curves of good systems are nearly straight and the region readers
     * care about is not squeezed into a corner. A rate of 0 is drawn on the floor.
     */
    static String det(String title, List<Curve> curves, List<Mark> marks, double floor, Double targetFrr, Double targetFar) {
        int size = 250;
        int left = 46;
        int top = 24;
        int width = left + size + 12;
        int height = top + size + 40;
        double lo = NORMAL.inverseCumulativeProbability(floor);
        double hi = NORMAL.inverseCumulativeProbability(0.5);
        StringBuilder svg = svgOpen("det", width, height);
        svg.append(fmt("<text x='%d' y='14' font-weight='bold'>%s</text>", left, esc(title)));
        svg.append(fmt("<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>", left, top, size, size));
        double labelled = Double.NEGATIVE_INFINITY;
        for (double t : DET_TICKS) {
            if (t < floor || t > 0.5) {
                continue;
            }
            double x = left + (NORMAL.inverseCumulativeProbability(t) - lo) / (hi - lo) * size;
            double y = top + size - (NORMAL.inverseCumulativeProbability(t) - lo) / (hi - lo) * size;
            svg.append(fmt("<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='#eee'/><line x1='%d' x2='%d' y1='%.1f' "
                    + "y2='%.1f' stroke='#eee'/>", x, x, top, top + size, left, left + size, y, y));
            if (x - labelled < 24) {
                continue; // too close to the last label to be read: the grid line alone
            }
            labelled = x;
            svg.append(fmt("<text x='%.1f' y='%d' text-anchor='middle' class='tick'>%s</text>", x, top + size + 12, tickPct(t)));
            svg.append(fmt("<text x='%d' y='%.1f' text-anchor='end' class='tick'>%s</text>", left - 3, y + 3, tickPct(t)));
        }
        svg.append(fmt("<text x='%.1f' y='%d' text-anchor='middle'>false-accept rate</text>", left + size / 2.0, top + size + 28));
        svg.append(fmt("<text transform='translate(11,%.1f) rotate(-90)' text-anchor='middle'>false-reject rate</text>",
                top + size / 2.0));
        svg.append(fmt("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#bbb' stroke-dasharray='4 3'><title>equal error "
                + "rates</title></line>", left, top + size, left + size, top));
        if (targetFrr != null && targetFrr >= floor && targetFrr <= 0.5) {
            double y = top + size - (NORMAL.inverseCumulativeProbability(targetFrr) - lo) / (hi - lo) * size;
            svg.append(fmt("<line class='target' x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#d00' stroke-dasharray='2 3'/>",
                    left, left + size, y, y));
        }
        if (targetFar != null && targetFar >= floor && targetFar <= 0.5) {
            double x = left + (NORMAL.inverseCumulativeProbability(targetFar) - lo) / (hi - lo) * size;
            svg.append(fmt("<line class='target' x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='#d00' stroke-dasharray='2 3'/>",
                    x, x, top, top + size));
        }
        svg.append(fmt("<svg x='%d' y='%d' width='%d' height='%d' viewBox='0 0 %d %d' overflow='hidden'>", left, top,
                size, size, size, size));
        for (Curve c : curves) {
            StringBuilder pts = new StringBuilder();
            double lastX = Double.NaN;
            double lastY = Double.NaN;
            double[] far = c.tradeoff().far();
            double[] frr = c.tradeoff().frr();
            for (int i = 0; i < far.length; i++) {
                double x = (deviate(far[i], floor) - lo) / (hi - lo) * size;
                double y = size - (deviate(frr[i], floor) - lo) / (hi - lo) * size;
                if (i == far.length - 1 || Double.isNaN(lastX) || Math.abs(x - lastX) + Math.abs(y - lastY) >= 0.7) {
                    pts.append(fmt("%.1f,%.1f ", x, y));
                    lastX = x;
                    lastY = y;
                }
            }
            svg.append(fmt("<polyline class='curve' data-series='%s' fill='none' stroke='%s' stroke-width='1.8' "
                    + "points='%s'><title>%s</title></polyline>", esc(c.series()), colour(c.colour()),
                    pts.toString().trim(), esc(c.series())));
        }
        for (Mark m : marks) {
            double x = (deviate(m.far(), floor) - lo) / (hi - lo) * size;
            double y = size - (deviate(m.frr(), floor) - lo) / (hi - lo) * size;
            svg.append(fmt("<circle class='mark' cx='%.1f' cy='%.1f' r='5' fill='%s' stroke='#000' stroke-width='1.5'>"
                            + "<title>%s: FAR %s, FRR %s</title></circle>", x, y, m.filled() ? colour(m.colour()) : "#fff",
                    esc(m.label()), pct(m.far()), pct(m.frr())));
        }
        svg.append("</svg>");
        return svg.append("</svg>").toString();
    }

    /** A rate's normal deviate, with 0 drawn on the floor and 1 far off the chart (it is clipped). */
    private static double deviate(double rate, double floor) {
        return NORMAL.inverseCumulativeProbability(Math.max(floor, Math.min(0.999999, rate)));
    }

    /**
     * A reliability diagram: each tenth's mean predicted probability against how often it happened, a dot sized by
     * its events, with the diagonal of perfect calibration and the events per tenth as a histogram underneath.
     */
    static String reliability(String title, Reliability r, int colour, String xLabel, String yLabel) {
        int size = 200;
        int left = 40;
        int top = 24;
        int hist = 36;
        int width = left + size + 12;
        int height = top + size + hist + 40;
        StringBuilder svg = svgOpen("reliability", width, height);
        svg.append(fmt("<text x='%d' y='14' font-weight='bold'>%s</text>", left, esc(title)));
        svg.append(fmt("<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>", left, top, size, size));
        for (int t = 0; t <= 10; t += 2) {
            double x = left + t / 10.0 * size;
            double y = top + size - t / 10.0 * size;
            svg.append(fmt("<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='#eee'/><line x1='%d' x2='%d' y1='%.1f' "
                            + "y2='%.1f' stroke='#eee'/><text x='%d' y='%.1f' text-anchor='end' class='tick'>%.1f</text>",
                    x, x, top, top + size, left, left + size, y, y, left - 3, y + 3, t / 10.0));
        }
        svg.append(fmt("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#bbb' stroke-dasharray='4 3'/>", left, top + size,
                left + size, top));
        int total = 0;
        int most = 1;
        for (int n : r.events()) {
            total += n;
            most = Math.max(most, n);
        }
        StringBuilder pts = new StringBuilder();
        StringBuilder dots = new StringBuilder();
        for (int b = 0; b < r.events().length; b++) {
            double bx = left + b / 10.0 * size;
            double bh = hist * r.events()[b] / (double) most;
            svg.append(fmt("<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='#ccc'><title>%d events with %.1f-%.1f"
                            + "</title></rect>", bx + 1, top + size + 6 + hist - bh, size / 10.0 - 2, bh, r.events()[b],
                    b / 10.0, (b + 1) / 10.0));
            if (r.events()[b] == 0) {
                continue;
            }
            double x = left + r.meanPredicted()[b] * size;
            double y = top + size - r.observed()[b] * size;
            pts.append(fmt("%.1f,%.1f ", x, y));
            double radius = 2 + 5 * Math.sqrt(r.events()[b] / (double) Math.max(1, total));
            dots.append(fmt("<circle class='bin' cx='%.1f' cy='%.1f' r='%.1f' fill='%s'><title>%d events: predicted %.3f, "
                            + "observed %.3f</title></circle>", x, y, radius, colour(colour), r.events()[b],
                    r.meanPredicted()[b], r.observed()[b]));
        }
        svg.append(fmt("<polyline class='curve' fill='none' stroke='%s' stroke-width='1.5' points='%s'/>", colour(colour),
                pts.toString().trim())).append(dots);
        for (int t = 0; t <= 10; t += 2) {
            svg.append(fmt("<text x='%.1f' y='%d' text-anchor='middle' class='tick'>%.1f</text>", left + t / 10.0 * size,
                    top + size + hist + 18, t / 10.0));
        }
        svg.append(fmt("<text x='%.1f' y='%d' text-anchor='middle'>%s</text>", left + size / 2.0, top + size + hist + 34,
                esc(xLabel)));
        svg.append(fmt("<text transform='translate(10,%.1f) rotate(-90)' text-anchor='middle'>%s</text>",
                top + size / 2.0, esc(yLabel)));
        return svg.append("</svg>").toString();
    }

    /** {from, to, step}: ticks of 1, 2 or 5 times a power of ten around [min, max], at most about 8 of them. */
    static double[] niceAxis(double min, double max) {
        if (max <= min) {
            double pad = Math.max(0.005, Math.abs(min) * 0.01);
            min -= pad;
            max += pad;
        }
        double span = max - min;
        double raw = span / 6;
        double pow = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = pow;
        for (double m : new double[] {1, 2, 5, 10}) {
            step = m * pow;
            if (step >= raw) {
                break;
            }
        }
        double from = Math.floor(min / step + 1e-9) * step;
        double to = Math.ceil(max / step - 1e-9) * step;
        if (to - from < 2 * step) {
            to = from + 2 * step;
        }
        return new double[] {from, to, step};
    }

    private static double xOf(double v, double[] axis, int left, int plotW) {
        return left + (v - axis[0]) / (axis[1] - axis[0]) * plotW;
    }

    private static StringBuilder svgOpen(String cssClass, int width, int height) {
        return new StringBuilder(fmt("<svg class='%s' xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %d %d' width='%d' "
                + "height='%d' font-family='sans-serif' font-size='11'>", cssClass, width, height, width, height));
    }

    private static String trim(double v, double step) {
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A rate as a percentage with a tenth of a point: what a mark's title says. */
    static String pct(double rate) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * rate);
    }

    /** An axis tick's rate as a percentage, as short as it is exact: 0.01%, 0.5%, 2%, 40%. */
    static String tickPct(double rate) {
        return java.math.BigDecimal.valueOf(100 * rate).round(new java.math.MathContext(3)).stripTrailingZeros()
                .toPlainString() + "%";
    }

    static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }

    /** The deviate axis ticks from {@code floor} to 50%, for tests. */
    static List<Double> detTicks(double floor) {
        List<Double> out = new ArrayList<>();
        for (double t : DET_TICKS) {
            if (t >= floor && t <= 0.5) {
                out.add(t);
            }
        }
        return out;
    }
}
