package io.latefuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latefuse.testkit.HeadlessChromium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code evaluate --report} as a reader sees it: the page drawn by a real headless Chromium in a window 1100
 * pixels wide. For two classes, a DET chart per subset with a curve per strategy and the operating point marked,
 * axes zoomed to the data, and a legend that names exactly the curves drawn; for more classes, a confusion matrix
 * per subset; and nothing wider than the window.
 */
class EvaluateReportIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> STRATEGIES = List.of("weighted_mean", "log_odds", "vote");
    /** Everything the assertions read from the page, measured by the browser. */
    private static final String PROBE = """
            ({
              scrollWidth: document.documentElement.scrollWidth,
              clientWidth: document.documentElement.clientWidth,
              scripts: document.querySelectorAll('script:not([id=probe-out])').length - 1,
              legend: [...document.querySelectorAll('p.legend .key')].map(k => k.dataset.series),
              det: [...document.querySelectorAll('svg.det')].map(s => ({
                title: s.querySelector('text').textContent,
                ticks: [...s.querySelectorAll('text.tick')].map(t => t.textContent),
                marks: s.querySelectorAll('circle.mark').length,
                curves: [...s.querySelectorAll('polyline.curve')].map(c => {
                  const b = c.getBBox();
                  return {series: c.dataset.series, width: b.width, height: b.height, points: c.points.numberOfItems};
                })
              })),
              accuracy: {
                ticks: [...document.querySelectorAll('svg.accuracy text.tick')].map(t => parseFloat(t.textContent)),
                dots: [...document.querySelectorAll('svg.accuracy circle.dot')].map(c => parseFloat(c.getAttribute('cx'))),
                series: [...document.querySelectorAll('svg.accuracy circle.dot')].map(c => c.dataset.series)
              },
              gainBars: document.querySelectorAll('svg.gain rect.bar').length,
              reliability: document.querySelectorAll('svg.reliability').length,
              confusion: document.querySelectorAll('table.confusion').length,
              checks: [...document.querySelectorAll('#checks + ul li')].map(l => l.textContent)
            })""";

    private record Ran(int exit, String out, String err) {}

    private static Ran latefuse(String... args) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        PrintStream saved = System.out;
        System.setOut(new PrintStream(stdout, true));
        try {
            int exit = Main.commandLine().setErr(new PrintWriter(err)).execute(args);
            return new Ran(exit, stdout.toString(), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void twoClassesDrawADetChartPerSubsetWithTheOperatingPointOnZoomedAxes(@TempDir Path dir) throws Exception {
        assumeTrue(HeadlessChromium.available(), "no " + HeadlessChromium.BINARY + " here (.ci/run installs it)");
        Path config = Path.of("config/ddsd.yaml").toAbsolutePath();
        Path validation = dir.resolve("validation.csv");
        Path test = dir.resolve("test.csv");
        Path points = dir.resolve("frr.json");
        assertThat(latefuse("generate", "ddsd", "--config", config.toString(), "--seed", "11", "--events", "4000",
                "--out", validation.toString()).exit()).isZero();
        assertThat(latefuse("generate", "ddsd", "--config", config.toString(), "--seed", "12", "--events", "3000",
                "--out", test.toString()).exit()).isZero();
        Ran calibrated = latefuse("calibrate", "--config", config.toString(), "--data", validation.toString(),
                "--target-frr", "0.1", "--out", points.toString());
        assertThat(calibrated.exit()).as(calibrated.err()).isZero();
        Path report = dir.resolve("report");
        Ran r = latefuse("evaluate", "--config", config.toString(), "--data", test.toString(), "--operating-points",
                points.toString(), "--report", report.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        Path page = report.resolve("report.html");
        JsonNode results = JSON.readTree(report.resolve("results.json").toFile());

        JsonNode seen = HeadlessChromium.probe(page, 1100, PROBE, dir);
        assertThat(seen.path("scrollWidth").asInt()).as("the page fits a 1100-pixel window")
                .isLessThanOrEqualTo(seen.path("clientWidth").asInt());
        assertThat(seen.path("scripts").asInt()).as("the report has no script of its own").isZero();

        // A DET chart for each of the 15 subsets of 4 modalities, each with a curve per strategy spanning its plot.
        assertThat(seen.path("det")).hasSize(15);
        double lowestEer = 1;
        for (JsonNode row : results.path("rows")) {
            lowestEer = Math.min(lowestEer, row.path("eer").asDouble());
        }
        for (JsonNode chart : seen.path("det")) {
            Set<String> series = new HashSet<>();
            for (JsonNode c : chart.path("curves")) {
                series.add(c.path("series").asText());
                assertThat(c.path("width").asDouble()).as("%s: %s's curve", chart.path("title"), c.path("series"))
                        .isGreaterThan(60);
                assertThat(c.path("height").asDouble()).as("%s: %s's curve", chart.path("title"), c.path("series"))
                        .isGreaterThan(60);
                assertThat(c.path("points").asInt()).isGreaterThan(2);
            }
            assertThat(series).as(chart.path("title").asText()).containsExactlyInAnyOrderElementsOf(STRATEGIES);
            assertThat(chart.path("marks").asInt()).as("the operating point, per subset and global, on log_odds")
                    .isEqualTo(2);
            // The axes start at a tenth of the lowest equal error rate or above, not at 0.01%: zoomed to the data.
            double floor = percent(chart.path("ticks").get(0).asText());
            assertThat(floor).as("the DET axes' lowest tick").isLessThanOrEqualTo(lowestEer / 10 + 1e-12)
                    .isGreaterThanOrEqualTo(1.0 / 3000 / 2.5);
            assertThat(percent(chart.path("ticks").get(chart.path("ticks").size() - 1).asText())).isEqualTo(0.5);
        }
        // The legend names exactly the strategies drawn.
        assertThat(new TreeSet<>(JSON.convertValue(seen.path("legend"), List.class))).containsExactlyElementsOf(new TreeSet<>(STRATEGIES));

        // Accuracy on an axis zoomed to the results: its ticks start above 0.5 and the dots use most of the width.
        JsonNode acc = seen.path("accuracy");
        double minAcc = 1;
        double maxAcc = 0;
        for (JsonNode row : results.path("rows")) {
            minAcc = Math.min(minAcc, row.path("accuracy").asDouble());
            maxAcc = Math.max(maxAcc, row.path("accuracy").asDouble());
        }
        double firstTick = acc.path("ticks").get(0).asDouble();
        double lastTick = acc.path("ticks").get(acc.path("ticks").size() - 1).asDouble();
        assertThat(firstTick).isLessThanOrEqualTo(minAcc).isGreaterThan(minAcc - 0.1).isGreaterThan(0.5);
        assertThat(lastTick).isGreaterThanOrEqualTo(maxAcc).isLessThan(maxAcc + 0.1);
        assertThat(acc.path("dots")).hasSize(results.path("rows").size());
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (JsonNode x : acc.path("dots")) {
            lo = Math.min(lo, x.asDouble());
            hi = Math.max(hi, x.asDouble());
        }
        assertThat(hi - lo).as("the dots' spread, of a 700-pixel axis").isGreaterThan(0.5 * 700 * (maxAcc - minAcc)
                / (lastTick - firstTick));
        assertThat(seen.path("gainBars").asInt()).as("a gain bar per subset of 2 or more").isEqualTo(11);
        assertThat(results.path("fusion_gain")).hasSize(11);
        assertThat(seen.path("reliability").asInt()).as("a reliability diagram per strategy").isEqualTo(3);
        assertThat(seen.path("confusion").asInt()).isZero();
        assertThat(seen.path("checks").toString()).contains("best closed-form fusion").contains("alone, by");

        // Seen: each strategy's colour is on the screen (its legend, dots and curves).
        BufferedImage shot = HeadlessChromium.screenshot(page, 1100, 2400, dir);
        assertThat(shot.getWidth()).isEqualTo(1100);
        for (String colour : List.of("4e79a7", "f28e2b", "59a14f")) {
            assertThat(pixels(shot, Integer.parseInt(colour, 16))).as("#%s on the page", colour).isGreaterThan(400);
        }
    }

    @Test
    void moreClassesDrawAConfusionMatrixPerSubsetAndNoDetCurves(@TempDir Path dir) throws Exception {
        assumeTrue(HeadlessChromium.available(), "no " + HeadlessChromium.BINARY + " here (.ci/run installs it)");
        Path config = Files.writeString(dir.resolve("colours.yaml"), """
                application.id: colours
                bootstrap.servers: localhost:9092
                schema.registry.url: http://localhost:8081
                classes: [red, green, blue, yellow, cyan, magenta]
                modalities: [{name: camera_with_a_long_name}, {name: spectrometer}, {name: microphone}]
                """);
        Random rnd = new Random(7);
        StringBuilder csv = new StringBuilder("event_id,label");
        String[] modalities = {"camera_with_a_long_name", "spectrometer", "microphone"};
        String[] classes = {"red", "green", "blue", "yellow", "cyan", "magenta"};
        for (String m : modalities) {
            for (String c : classes) {
                csv.append(',').append(m).append('_').append(c);
            }
        }
        csv.append('\n');
        for (int e = 0; e < 900; e++) {
            int label = rnd.nextInt(classes.length);
            csv.append("ev-").append(e).append(',').append(classes[label]);
            for (int m = 0; m < modalities.length; m++) {
                boolean missing = m > 0 && rnd.nextDouble() < 0.15; // an event has at least one
                double[] p = new double[classes.length];
                double sum = 0;
                for (int c = 0; c < p.length; c++) {
                    p[c] = Math.exp(rnd.nextGaussian() + (c == label ? 1.2 : 0));
                    sum += p[c];
                }
                for (double v : p) {
                    csv.append(',').append(missing ? "" : String.format(Locale.ROOT, "%.6f", v / sum));
                }
            }
            csv.append('\n');
        }
        Path data = Files.writeString(dir.resolve("colours.csv"), csv);
        Path report = dir.resolve("report");
        Ran r = latefuse("evaluate", "--config", config.toString(), "--data", data.toString(), "--report", report.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode seen = HeadlessChromium.probe(report.resolve("report.html"), 1100, PROBE, dir);
        assertThat(seen.path("scrollWidth").asInt()).as("the page fits a 1100-pixel window")
                .isLessThanOrEqualTo(seen.path("clientWidth").asInt());
        assertThat(seen.path("det")).as("no DET curves without two classes").isEmpty();
        assertThat(seen.path("confusion").asInt()).as("a confusion matrix per subset of 3 modalities").isEqualTo(7);
        assertThat(seen.path("reliability").asInt()).isEqualTo(3);
        assertThat(seen.path("gainBars").asInt()).isEqualTo(4);
    }

    private static double percent(String tick) {
        return Double.parseDouble(tick.replace("%", "")) / 100;
    }

    /** Pixels within a small distance of {@code rgb}. */
    private static int pixels(BufferedImage img, int rgb) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                int dr = ((p >> 16) & 0xff) - ((rgb >> 16) & 0xff);
                int dg = ((p >> 8) & 0xff) - ((rgb >> 8) & 0xff);
                int db = (p & 0xff) - (rgb & 0xff);
                if (dr * dr + dg * dg + db * db < 900) {
                    n++;
                }
            }
        }
        return n;
    }
}
