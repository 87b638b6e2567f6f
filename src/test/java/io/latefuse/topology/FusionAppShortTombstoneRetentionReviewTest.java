package io.latefuse.topology;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.registry.InMemorySchemaRegistry;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Review of 66d7d11: a user's topic.delete.retention.ms under 8 ms (0 is valid: tombstones go at the next cleaning)
 * makes the guard's recording period min(1 min, bound/4) = 0 ms, and ScheduledExecutorService.scheduleWithFixedDelay
 * refuses a delay of 0: FusionApp.start() throws before Kafka Streams starts. The user's topic config must win, not
 * stop the app.
 */
class FusionAppShortTombstoneRetentionReviewTest {
    private final String scope = "review-" + UUID.randomUUID();

    @AfterEach
    void dropScope() {
        InMemorySchemaRegistry.dropScope(scope);
    }

    @Test
    void aTombstoneRetentionOfZeroStillStarts(@TempDir Path root) {
        PipelineConfig config = PipelineConfigLoader.parse("""
                application.id: short-tombstones
                bootstrap.servers: localhost:1
                schema.registry.url: mock://%s
                topic.prefix: t.
                classes: [directed, undirected]
                strategy: weighted_mean
                modalities:
                  - {name: acoustic}
                  - {name: lexical}
                max.wait: 300ms
                kafka: {topic.delete.retention.ms: 0}
                """.formatted(scope), "review", Map.of());
        try (FusionApp app = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, root.toString()))) {
            assertThatCode(app::start).as("start() with topic.delete.retention.ms 0").doesNotThrowAnyException();
        }
    }
}
