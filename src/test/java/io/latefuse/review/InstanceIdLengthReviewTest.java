package io.latefuse.review;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Review of issue 28: instance.id length against the thread numbers Kafka Streams gives. */
class InstanceIdLengthReviewTest {
    private static final String BASE = """
            application.id: app
            bootstrap.servers: k:9092
            schema.registry.url: http://r:8081
            classes: [a, b]
            modalities: [{name: x}, {name: y}]
            """;

    /**
     * REPLACE_THREAD numbers the replacement thread past the failing one (StaticMembershipIT shows StreamThread-2 for
     * stream.threads 1): Kafka Streams gives thread numbers up to stream.threads + 1. The loader sizes the id for
     * stream.threads only, so an id it accepts makes the replacement thread's consumer fail to construct
     * (GroupRebalanceConfig validates group.instance.id), long after the config was loaded.
     */
    @Test
    void anAcceptedInstanceIdIsValidForEveryThreadNumberKafkaStreamsGives() {
        // With 9 threads a replacement is thread 10: "-10" leaves 246 of Kafka's 249 characters.
        assertThatThrownBy(() -> PipelineConfigLoader.parse(BASE + "stream.threads: 9\ninstance.id: "
                + "p".repeat(247) + "\n", "test.yaml", Map.of())).hasMessageContaining("instance.id")
                .hasMessageContaining("246 at most");
        String id = "p".repeat(246);
        PipelineConfig cfg = PipelineConfigLoader.parse(BASE + "stream.threads: 9\ninstance.id: " + id + "\n",
                "test.yaml", Map.of());
        for (int thread = 1; thread <= cfg.streamThreads() + 1; thread++) {
            String member = (String) new StreamsConfig(StreamsProperties.of(cfg))
                    .getMainConsumerConfigs("app", "c", thread).get("group.instance.id");
            assertThatCode(() -> JoinGroupRequest.validateGroupInstanceId(member))
                    .as("group.instance.id of stream thread %d", thread).doesNotThrowAnyException();
        }
    }

}
