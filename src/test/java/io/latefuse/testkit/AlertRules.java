package io.latefuse.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** deploy/prometheus/latefuse-alerts.yml: its rules, and the metric names their expressions read. */
public final class AlertRules {
    public static final Path FILE = Path.of("deploy/prometheus/latefuse-alerts.yml");
    private static final Pattern METRIC = Pattern.compile("\\b((?:latefuse|kafka)_[a-z0-9_]+)\\b");

    private AlertRules() {}

    public static JsonNode read() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(FILE.toFile());
    }

    public static List<JsonNode> rules() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode group : read().path("groups")) {
            group.path("rules").forEach(out::add);
        }
        return out;
    }

    /** The latefuse and Kafka metric names the alerts' expressions read ({@code up} is Prometheus's own). */
    public static Set<String> metricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (JsonNode rule : rules()) {
            Matcher m = METRIC.matcher(rule.path("expr").asText());
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
