package io.latefuse.quality;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.FusionQuality;
import io.latefuse.avro.GroundTruth;
import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
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
 * The quality topology's nodes, stores and internal topics, against a golden copy: a renamed one changes the
 * changelog or repartition topics and loses state. If a change is meant, rewrite the copy
 * ({@code -Dlatefuse.golden.update=true}) and say how to upgrade.
 */
class QualityTopologyGoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/topology/quality-topology.txt");

    @Test
    void theTopologysNodesStoresAndInternalTopicsKeepTheirNames() throws Exception {
        PipelineConfig config = PipelineConfigLoader.parse(QualityDriver.BASE.formatted("golden")
                + "labelled.topic: t.labelled\n", "test", Map.of());
        RegistryConfig rc = RegistryConfig.of(InMemorySchemaRegistry.SCHEME + "golden");
        SchemaRegistry registry = SchemaRegistry.connect(rc);
        String described = QualityTopology.build(config, new QualityTopology.TopicSerdes(
                AvroSerdes.specific(FusedPrediction.class, registry, rc),
                AvroSerdes.specific(GroundTruth.class, registry, rc),
                AvroSerdes.specific(ModalityScore.class, registry, rc),
                AvroSerdes.specific(FusionQuality.class, registry, rc),
                AvroSerdes.specific(LabelledModalityScore.class, registry, rc)), QualityTelemetry.noop())
                .describe().toString();
        if (Boolean.getBoolean("latefuse.golden.update")) {
            Files.writeString(GOLDEN, described);
        }
        assertThat(described).as("the quality topology differs from %s: a renamed store, processor or internal topic "
                + "loses state; if that is meant, rerun with -Dlatefuse.golden.update=true and document the upgrade",
                GOLDEN).isEqualTo(Files.readString(GOLDEN, StandardCharsets.UTF_8));
        // The config's length check of application.id knows the longest topic name the quality app makes.
        assertThat("-quality-" + QualityTopology.WINDOW_STORE + "-changelog")
                .isEqualTo("-quality-quality-window-outcomes-changelog");
        assertThat(described).contains("quality-outcomes-repartition").contains(QualityTopology.EVENTS_STORE)
                .contains(QualityTopology.EXPIRY_STORE).contains(QualityTopology.WINDOW_STORE);
    }
}
