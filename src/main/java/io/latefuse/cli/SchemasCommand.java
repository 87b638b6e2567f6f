package io.latefuse.cli;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.registry.Subjects;
import org.apache.avro.Schema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Prints latefuse's Avro contracts, or registers them for given topics. */
@Command(name = "schemas", mixinStandardHelpOptions = true,
        description = {"Print latefuse's Avro contracts (as in schemas/*.avsc), or register them under <topic>-value "
                + "subjects.", "Example:", "  latefuse schemas --registry-url URL --topic ddsd.fused=FusedPrediction"})
final class SchemasCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    static final Map<String, Schema> CONTRACTS = new LinkedHashMap<>();

    static {
        CONTRACTS.put("ModalityScore", ModalityScore.getClassSchema());
        CONTRACTS.put("FusedPrediction", FusedPrediction.getClassSchema());
        CONTRACTS.put("ModalityFeatures", ModalityFeatures.getClassSchema());
        CONTRACTS.put("GroundTruth", io.latefuse.avro.GroundTruth.getClassSchema());
        CONTRACTS.put("FusionQuality", io.latefuse.avro.FusionQuality.getClassSchema());
    }

    @Option(names = "--registry-url", defaultValue = "${env:LATEFUSE_SCHEMA_REGISTRY_URL}",
            description = "Schema registry base URL, for --topic (env LATEFUSE_SCHEMA_REGISTRY_URL).")
    String registryUrl;

    @Option(names = "--topic", paramLabel = "TOPIC=CONTRACT",
            description = "Register CONTRACT (ModalityScore, FusedPrediction, ModalityFeatures, GroundTruth or "
                    + "FusionQuality) under TOPIC-value. "
                    + "Repeatable. Without it, the contracts are printed.")
    Map<String, String> topics = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (topics.isEmpty()) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--registry-url")) {
                spec.commandLine().getErr().println("schemas: --registry-url registers contracts, and needs "
                        + "--topic TOPIC=CONTRACT; without either, the contracts are printed");
                return 2;
            }
            for (Map.Entry<String, Schema> e : CONTRACTS.entrySet()) {
                spec.commandLine().getOut().println("# " + e.getKey() + " (schemas/" + e.getKey() + ".avsc)");
                spec.commandLine().getOut().println(asWritten(e.getValue()));
            }
            return 0;
        }
        if (registryUrl == null || registryUrl.isBlank()) {
            spec.commandLine().getErr().println("schemas: --topic needs the registry: give --registry-url URL, or set "
                    + "LATEFUSE_SCHEMA_REGISTRY_URL");
            return 2;
        }
        for (Map.Entry<String, String> e : topics.entrySet()) {
            if (!CONTRACTS.containsKey(e.getValue())) {
                System.err.println("--topic " + e.getKey() + "=" + e.getValue() + ": unknown contract; use one of "
                        + List.copyOf(CONTRACTS.keySet()));
                return 2;
            }
        }
        try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfig.of(registryUrl))) {
            for (Map.Entry<String, String> e : topics.entrySet()) {
                String subject = Subjects.topicName(e.getKey(), false);
                int id = registry.register(subject, CONTRACTS.get(e.getValue()));
                spec.commandLine().getOut().println(subject + " -> " + e.getValue() + " id " + id);
            }
        }
        return 0;
    }

    /**
     * A contract as {@code schemas/*.avsc} has it: the generated classes' schemas also carry
     * {@code avro.java.string}, a code-generation hint that is not part of the contract.
     */
    static String asWritten(Schema schema) throws java.io.IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        return json.writerWithDefaultPrettyPrinter().writeValueAsString(strip(json.readTree(schema.toString())));
    }

    /** Without the hint; {@code {"type": "string"}} left with nothing else is {@code "string"} again. */
    private static com.fasterxml.jackson.databind.JsonNode strip(com.fasterxml.jackson.databind.JsonNode node) {
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            o.remove("avro.java.string");
            for (java.util.Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e = it.next();
                e.setValue(strip(e.getValue()));
            }
            return o.size() == 1 && o.has("type") && o.get("type").isTextual() ? o.get("type") : o;
        }
        if (node instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, strip(a.get(i)));
            }
        }
        return node;
    }
}
