package io.latefuse.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A binary decision's operating point, per subset of modalities present: the threshold on the positive class's
 * fused probability that hits a target false-reject (or false-accept) rate, learned on validation data by
 * {@code latefuse calibrate}. A subset it has no threshold for uses the global one, learned on all events.
 * Each prediction then carries {@code decision} (the positive class when its probability is at or above the
 * threshold, else the other class), the {@code threshold} used and the {@code operating_point}'s name.
 *
 * @param strategy the strategy the thresholds were learned for; they mean nothing for another
 * @param subsets  the subsets with a threshold of their own
 * @param fallbacks the subsets seen in validation with too few events for a threshold, and why
 */
public record OperatingPoints(String name, String strategy, String positiveClass, Metric metric, double target,
                              double globalThreshold, int globalEvents, List<Subset> subsets, List<Fallback> fallbacks) {
    public enum Metric {
        /** False-reject rate: positives whose probability is under the threshold. */
        FRR,
        /** False-accept rate: negatives whose probability is at or above the threshold. */
        FAR
    }

    /** @param present the modalities present, in config order */
    public record Subset(List<String> present, double threshold, int events) {}

    public record Fallback(List<String> present, int events, String reason) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public OperatingPoints {
        subsets = List.copyOf(subsets);
        fallbacks = List.copyOf(fallbacks);
    }

    public static OperatingPoints read(Path file) throws IOException {
        JsonNode n = JSON.readTree(file.toFile());
        List<Subset> subsets = new ArrayList<>();
        for (JsonNode s : n.path("subsets")) {
            subsets.add(new Subset(strings(s.path("present")), s.path("threshold").asDouble(Double.NaN),
                    s.path("events").asInt()));
        }
        List<Fallback> fallbacks = new ArrayList<>();
        for (JsonNode f : n.path("fallbacks")) {
            fallbacks.add(new Fallback(strings(f.path("present")), f.path("events").asInt(), f.path("reason").asText()));
        }
        String metric = n.path("target").path("metric").asText("");
        Metric m;
        try {
            m = Metric.valueOf(metric.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IOException("target.metric is '" + metric + "': must be frr or far");
        }
        return new OperatingPoints(n.path("name").asText(""), n.path("strategy").asText(""),
                n.path("positive_class").asText(""), m, n.path("target").path("rate").asDouble(Double.NaN),
                n.path("global").path("threshold").asDouble(Double.NaN), n.path("global").path("events").asInt(),
                subsets, fallbacks);
    }

    public void write(Path file) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", name).put("strategy", strategy).put("positive_class", positiveClass);
        n.putObject("target").put("metric", metric.name().toLowerCase(Locale.ROOT)).put("rate", target);
        n.putObject("global").put("threshold", globalThreshold).put("events", globalEvents);
        ArrayNode s = n.putArray("subsets");
        for (Subset sub : subsets) {
            ObjectNode o = s.addObject();
            sub.present().forEach(o.putArray("present")::add);
            o.put("threshold", sub.threshold()).put("events", sub.events());
        }
        ArrayNode f = n.putArray("fallbacks");
        for (Fallback fb : fallbacks) {
            ObjectNode o = f.addObject();
            fb.present().forEach(o.putArray("present")::add);
            o.put("events", fb.events()).put("reason", fb.reason());
        }
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
    }

    /** What is wrong with these points for a pipeline, each as one line; empty when they fit. */
    public List<String> problems(List<String> classes, String pipelineStrategy, List<String> modalities) {
        List<String> out = new ArrayList<>();
        if (classes.size() != 2) {
            out.add("operating points make a binary decision, but the pipeline has " + classes.size() + " classes");
        }
        if (!classes.contains(positiveClass)) {
            out.add("positive class '" + positiveClass + "' is not one of the classes " + classes);
        }
        if (!strategy.equals(pipelineStrategy)) {
            out.add("they were calibrated for strategy " + strategy + ", but strategy is " + pipelineStrategy
                    + ": calibrate again for it");
        }
        if (!(target > 0 && target < 1)) {
            out.add("target rate " + target + " is not in (0, 1)");
        }
        if (!(globalThreshold >= 0 && globalThreshold <= 1)) {
            out.add("global threshold " + globalThreshold + " is not a probability");
        }
        for (Subset s : subsets) {
            for (String m : s.present()) {
                if (!modalities.contains(m)) {
                    out.add("subset " + s.present() + " names modality '" + m + "', which the config does not have "
                            + "(configured: " + String.join(", ", modalities) + ")");
                }
            }
            if (!(s.threshold() >= 0 && s.threshold() <= 1)) {
                out.add("subset " + s.present() + "'s threshold " + s.threshold() + " is not a probability");
            }
        }
        return out;
    }

    /** The class the decision is for when the probability is under the threshold. */
    public String negativeClass(List<String> classes) {
        return classes.get(classes.indexOf(positiveClass) == 0 ? 1 : 0);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }
}
