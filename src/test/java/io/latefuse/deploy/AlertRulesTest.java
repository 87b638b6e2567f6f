package io.latefuse.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.latefuse.testkit.AlertRules;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/prometheus/latefuse-alerts.yml: each alert is complete and documented, reads only metrics latefuse
 * exports (MetricsIT checks them in a real scrape), and, where Prometheus's promtool is installed (Debian's
 * prometheus package; .ci/run installs it), passes {@code promtool check rules} and fires, and only fires, on the
 * series of src/test/resources/alerts/latefuse-alerts-test.yml.
 */
class AlertRulesTest {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    @Test
    void everyAlertHasASeverityASummaryADescriptionAndItsSectionInTheOperationsGuide() throws Exception {
        List<JsonNode> rules = AlertRules.rules();
        assertThat(rules).hasSizeGreaterThanOrEqualTo(8);
        String operations = Files.readString(Path.of("docs/operations.md"));
        String alertsSection = operations.substring(operations.indexOf("\n## Alerts"));
        alertsSection = alertsSection.substring(0, alertsSection.indexOf("\n## ", 5));
        Set<String> names = new HashSet<>();
        for (JsonNode r : rules) {
            String name = r.path("alert").asText();
            assertThat(names.add(name)).as("alert names are unique: " + name).isTrue();
            assertThat(r.path("expr").asText()).as(name).isNotBlank();
            assertThat(r.path("labels").path("severity").asText()).as(name + "'s severity").isIn("page", "warning");
            assertThat(r.path("annotations").path("summary").asText()).as(name).isNotBlank();
            assertThat(r.path("annotations").path("description").asText()).as(name).isNotBlank();
            assertThat(alertsSection).as("docs/operations.md, Alerts, explains " + name).contains("`" + name + "`");
        }
    }

    @Test
    void theAlertsReadOnlyMetricsTheReferenceLists() throws Exception {
        String reference = Files.readString(Path.of("docs/reference.md"));
        for (String metric : AlertRules.metricNames()) {
            if (metric.startsWith("latefuse_")) {
                assertThat(reference).as("docs/reference.md lists " + metric).contains("`" + metric + "`");
            }
        }
    }

    @Test
    void promtoolChecksTheRulesAndTheirUnitTestsPass(@TempDir Path dir) throws Exception {
        if (!Files.isExecutable(PROMTOOL)) {
            System.out.println("AlertRulesTest: no " + PROMTOOL + " here (Debian's prometheus package; .ci/run installs "
                    + "it): the rules are checked for structure only");
            return;
        }
        assertThat(promtool(dir, "check", "rules", AlertRules.FILE.toAbsolutePath().toString())).isZero();
        // promtool compares every annotation of a firing alert: the unit tests give the summary, so they run on a
        // copy without the descriptions, whose templates `check rules` has checked above.
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode copy = AlertRules.read();
        for (JsonNode group : copy.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                ((ObjectNode) rule.path("annotations")).remove("description");
            }
        }
        yaml.writeValue(dir.resolve("latefuse-alerts.yml").toFile(), copy);
        Files.copy(Path.of("src/test/resources/alerts/latefuse-alerts-test.yml"), dir.resolve("latefuse-alerts-test.yml"));
        assertThat(promtool(dir, "test", "rules", dir.resolve("latefuse-alerts-test.yml").toString())).isZero();
    }

    private static int promtool(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(PROMTOOL.toString()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("promtool-" + args[0] + ".log");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (p.exitValue() != 0) {
            System.out.println(Files.readString(log));
        }
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ":\n" + Files.readString(log)).isZero();
        return p.exitValue();
    }
}
