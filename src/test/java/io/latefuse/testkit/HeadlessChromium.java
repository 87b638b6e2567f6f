package io.latefuse.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's headless Chromium, to see a report as a reader's browser draws it: a screenshot, and layout facts that
 * only a browser knows (how wide the page is, where each mark landed), asked by a probe script added to a copy of
 * the page (the page itself has no script). {@code .ci/run} installs Chromium; without it, {@link #available} is
 * false and the tests that need it say so.
 */
public final class HeadlessChromium {
    public static final Path BINARY = Path.of("/usr/bin/chromium");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PROBE = Pattern.compile("<script type=\"application/json\" id=\"probe-out\">(.*?)</script>",
            Pattern.DOTALL);

    private HeadlessChromium() {}

    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /** A screenshot of {@code page} in a window {@code width} by {@code height} pixels. */
    public static BufferedImage screenshot(Path page, int width, int height, Path work) throws Exception {
        Path png = Files.createTempFile(work, "shot", ".png");
        Files.delete(png);
        run(work, List.of("--window-size=" + width + "," + height, "--hide-scrollbars", "--screenshot=" + png,
                page.toUri().toString()));
        if (!Files.exists(png)) {
            throw new IllegalStateException("chromium wrote no screenshot of " + page);
        }
        return ImageIO.read(png.toFile());
    }

    /**
     * What {@code expression}, a JavaScript expression evaluated after the page has loaded in a window
     * {@code width} pixels wide, returns, as JSON.
     */
    public static JsonNode probe(Path page, int width, String expression, Path work) throws Exception {
        String html = Files.readString(page);
        int end = html.lastIndexOf("</body>");
        if (end < 0) {
            throw new IllegalArgumentException(page + " has no </body>");
        }
        String probe = "<script type=\"application/json\" id=\"probe-out\"></script><script>"
                + "document.getElementById('probe-out').textContent = JSON.stringify((function () { return " + expression
                + "; })());</script>";
        Path copy = page.resolveSibling("probe-" + page.getFileName());
        Files.writeString(copy, html.substring(0, end) + probe + html.substring(end));
        String dom = run(work, List.of("--window-size=" + width + ",900", "--dump-dom", copy.toUri().toString()));
        Matcher m = PROBE.matcher(dom);
        if (!m.find() || m.group(1).isBlank()) {
            throw new IllegalStateException("the probe of " + page + " returned nothing; chromium printed:\n"
                    + dom.substring(0, Math.min(dom.length(), 2000)));
        }
        return JSON.readTree(m.group(1));
    }

    private static String run(Path work, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + work.resolve("chromium-profile")));
        cmd.addAll(args);
        Path out = Files.createTempFile(work, "chromium", ".out");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("chromium did not finish in 120 s: " + cmd);
        }
        return Files.readString(out);
    }
}
