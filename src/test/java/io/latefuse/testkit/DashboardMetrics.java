package io.latefuse.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names dashboards/latefuse.json queries: each app's IT checks that its scrape has its own. */
public final class DashboardMetrics {
    private static final Pattern METRIC = Pattern.compile("\\b((?:latefuse|kafka)_[a-z0-9_]+)\\b");

    private DashboardMetrics() {}

    /** The metric names in every query of the dashboard. */
    public static Set<String> names() throws IOException {
        Set<String> names = new TreeSet<>();
        JsonNode dash = new ObjectMapper().readTree(Path.of("dashboards/latefuse.json").toFile());
        for (JsonNode panel : dash.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher mt = METRIC.matcher(target.path("expr").asText());
                while (mt.find()) {
                    names.add(mt.group(1));
                }
            }
        }
        return names;
    }

    /** The quality app's ({@code latefuse quality}): {@code latefuse_quality_*}. */
    public static boolean ofQualityApp(String name) {
        return name.startsWith("latefuse_quality_");
    }
}
