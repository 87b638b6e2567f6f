package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.InMemorySchemaRegistry;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fusion topology's nodes and stores, against a golden copy. A renamed processor or store changes the
 * changelog topics and loses every instance's state in production, so it must not happen by accident. If a change
 * is meant, rewrite the copy ({@code -Dlatefuse.golden.update=true}) and say in docs/operations.md ("State and upgrades") how to upgrade.
 */
class TopologyGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/topology/fusion-topology.txt");

    @Test
    void theTopologysNodesAndStoresKeepTheirNames() throws Exception {
        PipelineConfig config = PipelineConfigLoader.parse(FusionDriver.BASE.formatted("golden"), "test", Map.of());
        RegistryConfig rc = RegistryConfig.of(InMemorySchemaRegistry.SCHEME + "golden");
        SchemaRegistry registry = SchemaRegistry.connect(rc);
        String described = FusionTopology.build(config, FusionStrategies.create(config),
                AvroSerdes.specific(ModalityScore.class, registry, rc), AvroSerdes.specific(FusedPrediction.class, registry, rc),
                FusionTelemetry.noop(), new ScriptedInputProgress(System::currentTimeMillis)).describe().toString();
        if (Boolean.getBoolean("latefuse.golden.update")) {
            Files.writeString(GOLDEN, described);
        }
        assertThat(described).as("the topology differs from %s: a renamed store or processor loses state in production; "
                + "if that is meant, rerun with -Dlatefuse.golden.update=true and document the upgrade", GOLDEN)
                .isEqualTo(Files.readString(GOLDEN, StandardCharsets.UTF_8));
    }
}
