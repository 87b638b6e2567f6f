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
        description = {"Print latefuse's Avro contracts, or register them under <topic>-value subjects.",
                "Example: latefuse schemas --registry-url http://localhost:8081 --topic ddsd.scores.acoustic=ModalityScore"})
final class SchemasCommand implements Callable<Integer> {
    static final Map<String, Schema> CONTRACTS = new LinkedHashMap<>();

    static {
        CONTRACTS.put("ModalityScore", ModalityScore.getClassSchema());
        CONTRACTS.put("FusedPrediction", FusedPrediction.getClassSchema());
        CONTRACTS.put("ModalityFeatures", ModalityFeatures.getClassSchema());
    }

    @Option(names = "--registry-url", defaultValue = "${env:LATEFUSE_SCHEMA_REGISTRY_URL}",
            description = "Schema registry base URL (env LATEFUSE_SCHEMA_REGISTRY_URL). Without it, the schemas are printed.")
    String registryUrl;

    @Option(names = "--topic", paramLabel = "TOPIC=CONTRACT",
            description = "Register CONTRACT (${COMPLETION-CANDIDATES}) under TOPIC-value. Repeatable.")
    Map<String, String> topics = new LinkedHashMap<>();

    @Override
    public Integer call() {
        if (registryUrl == null || registryUrl.isBlank()) {
            CONTRACTS.values().forEach(s -> System.out.println(s.toString(true)));
            return 0;
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
                System.out.println(subject + " -> " + e.getValue() + " id " + id);
            }
        }
        return 0;
    }
}
