package io.latefuse.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference against which {@code modality.health} judges each modality online: per modality, the distribution
 * of each class's calibrated probability (bin edges at its deciles, and the share of reference scores in each bin),
 * and how often its argmax agreed with the mean of the other modalities present. Learned on validation data by
 * {@code latefuse profile}; a modality the file does not have is profiled from its first {@code modality.health.window}
 * scores instead.
 *
 * @param classes    the classes the profile was learned for, in order
 * @param modalities the profile of each modality, by name
 */
public record HealthProfile(List<String> classes, Map<String, Modality> modalities) {
    /** The bins of a class's probability: edges at the reference's deciles. */
    public static final int BINS = 10;

    /**
     * One modality's reference.
     *
     * @param edges     per class, the {@code BINS - 1} inner bin edges, ascending
     * @param fractions per class, the share of reference scores in each of the {@code BINS} bins
     * @param agreement the share of reference events (with another modality present) whose argmax agreed with the
     *                  mean of the others' probabilities; NaN when there were none
     * @param scores    how many reference scores it was learned from
     */
    public record Modality(double[][] edges, double[][] fractions, double agreement, int scores) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public HealthProfile {
        classes = List.copyOf(classes);
        modalities = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(modalities));
    }

    public static HealthProfile read(Path file) throws IOException {
        JsonNode n = JSON.readTree(file.toFile());
        if (n == null || !n.isObject()) {
            throw new IOException("not a JSON object");
        }
        List<String> classes = new ArrayList<>();
        n.path("classes").forEach(c -> classes.add(c.asText()));
        Map<String, Modality> out = new LinkedHashMap<>();
        JsonNode mods = n.path("modalities");
        for (java.util.Iterator<Map.Entry<String, JsonNode>> it = mods.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode m = e.getValue();
            out.put(e.getKey(), new Modality(matrix(m.path("edges")), matrix(m.path("fractions")),
                    m.path("agreement").isNumber() ? m.path("agreement").asDouble() : Double.NaN,
                    m.path("scores").asInt()));
        }
        return new HealthProfile(classes, out);
    }

    public void write(Path file) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        ArrayNode c = n.putArray("classes");
        classes.forEach(c::add);
        ObjectNode mods = n.putObject("modalities");
        modalities.forEach((name, m) -> {
            ObjectNode o = mods.putObject(name);
            o.put("scores", m.scores());
            if (Double.isNaN(m.agreement())) {
                o.putNull("agreement");
            } else {
                o.put("agreement", m.agreement());
            }
            putMatrix(o.putArray("edges"), m.edges());
            putMatrix(o.putArray("fractions"), m.fractions());
        });
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
    }

    /** What is wrong with this profile for a pipeline, each as one line; empty when it fits. */
    public List<String> problems(List<String> pipelineClasses, List<String> pipelineModalities) {
        List<String> out = new ArrayList<>();
        if (!classes.equals(pipelineClasses)) {
            out.add("it was learned for classes " + classes + ", but the pipeline has " + pipelineClasses);
        }
        modalities.forEach((name, m) -> {
            if (!pipelineModalities.contains(name)) {
                out.add("it profiles modality '" + name + "', which the config does not have (configured: "
                        + String.join(", ", pipelineModalities) + ")");
            }
            if (m.edges().length != classes.size() || m.fractions().length != classes.size()) {
                out.add("modality '" + name + "': needs edges and fractions for each of the " + classes.size()
                        + " classes");
                return;
            }
            for (int k = 0; k < classes.size(); k++) {
                double[] edges = m.edges()[k];
                double[] f = m.fractions()[k];
                if (edges.length != BINS - 1 || f.length != BINS) {
                    out.add("modality '" + name + "', class " + classes.get(k) + ": needs " + (BINS - 1) + " edges and "
                            + BINS + " fractions");
                    continue;
                }
                double sum = 0;
                for (int b = 0; b < BINS; b++) {
                    if (!(f[b] >= 0 && f[b] <= 1)) {
                        out.add("modality '" + name + "', class " + classes.get(k) + ": fraction " + f[b]
                                + " is not in [0, 1]");
                    }
                    sum += f[b];
                }
                if (Math.abs(sum - 1) > 1e-6) {
                    out.add("modality '" + name + "', class " + classes.get(k) + ": fractions sum to " + sum + ", not 1");
                }
                for (int b = 1; b < edges.length; b++) {
                    if (!(edges[b] >= edges[b - 1])) {
                        out.add("modality '" + name + "', class " + classes.get(k) + ": edges are not ascending");
                        break;
                    }
                }
            }
            if (!Double.isNaN(m.agreement()) && !(m.agreement() >= 0 && m.agreement() <= 1)) {
                out.add("modality '" + name + "': agreement " + m.agreement() + " is not in [0, 1]");
            }
        });
        return out;
    }

    private static double[][] matrix(JsonNode rows) {
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            JsonNode r = rows.get(i);
            out[i] = new double[r.size()];
            for (int j = 0; j < r.size(); j++) {
                out[i][j] = r.get(j).asDouble(Double.NaN);
            }
        }
        return out;
    }

    private static void putMatrix(ArrayNode into, double[][] m) {
        for (double[] row : m) {
            ArrayNode a = into.addArray();
            for (double v : row) {
                a.add(v);
            }
        }
    }
}
