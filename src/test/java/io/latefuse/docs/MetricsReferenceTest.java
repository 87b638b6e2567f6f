package io.latefuse.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The meters are defined where they are used (Micrometer builders in metrics, quality and health), not in one list:
 * every {@code latefuse} meter the main sources build, and every {@code latefuse_...} name they read, is in
 * docs/reference.md's "Metrics" table under its Prometheus name.
 */
class MetricsReferenceTest {
    /** A Micrometer meter name given to a builder: Counter.builder("latefuse.x"), gauge("latefuse.x", ...). */
    private static final Pattern METER = Pattern.compile("(?:builder|gauge)\\(\\s*\"(latefuse\\.[a-z0-9_.]+)\"");
    /** A Prometheus name the code reads back (the benchmarks scrape /metrics). */
    private static final Pattern PROMETHEUS = Pattern.compile("\"(latefuse_[a-z0-9_]+)\"");

    static Set<String> names(Path sources) throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String code = Files.readString(f);
                Matcher m = METER.matcher(code);
                while (m.find()) {
                    out.add(m.group(1).replace('.', '_')); // Prometheus: dots to underscores, then a unit or _total
                }
                Matcher p = PROMETHEUS.matcher(code);
                while (p.find()) {
                    out.add(p.group(1));
                }
            }
        }
        return out;
    }

    @Test
    void everyMeterInTheCodeIsInTheReference() throws IOException {
        Set<String> names = names(Path.of("src", "main", "java"));
        assertThat(names).as("latefuse meters in src/main/java").hasSizeGreaterThan(25);
        String metrics = section(Files.readString(Path.of("docs", "reference.md")), "## Metrics");
        Set<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| `(latefuse_[a-z0-9_]+)` \\|", Pattern.MULTILINE).matcher(metrics);
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertThat(names).as("meters missing from docs/reference.md's Metrics table (its rows: %s)", documented)
                .allSatisfy(n -> assertThat(documented).anySatisfy(d -> assertThat(
                        d.equals(n) || d.equals(n + "_total") || d.startsWith(n + "_")).isTrue()));
        assertThat(documented).as("rows of docs/reference.md's Metrics table that no code builds")
                .allSatisfy(d -> assertThat(names).anySatisfy(n -> assertThat(
                        d.equals(n) || d.equals(n + "_total") || d.startsWith(n + "_")).isTrue()));
    }

    /** The text from {@code heading} to the next heading of its level. */
    static String section(String markdown, String heading) {
        int from = markdown.indexOf("\n" + heading + "\n");
        assertThat(from).as(heading).isNotNegative();
        int to = markdown.indexOf("\n## ", from + heading.length() + 1);
        return markdown.substring(from, to < 0 ? markdown.length() : to);
    }
}
