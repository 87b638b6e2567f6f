package io.latefuse.review;

import io.latefuse.config.InvalidConfigException;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Review of issue 28: group.instance.id through the kafka pass-through. */
class PrefixedGroupInstanceIdReviewTest {
    private static final String BASE = """
            application.id: app
            bootstrap.servers: k:9092
            schema.registry.url: http://r:8081
            classes: [a, b]
            modalities: [{name: x}, {name: y}]
            """;

    private static String problemsOf(String yaml) {
        try {
            PipelineConfigLoader.parse(yaml, "test.yaml", Map.of());
        } catch (InvalidConfigException e) {
            return e.getMessage();
        }
        return "";
    }

    /**
     * kafka.group.instance.id is refused in favour of instance.id, but Kafka Streams takes the same setting as
     * consumer.group.instance.id or main.consumer.group.instance.id: those pass, give every pod sharing the config
     * the same member ids (they fence each other), and a close that still leaves the group with Kafka's 45 s session.
     */
    @Test
    void thePrefixedSpellingsOfGroupInstanceIdAreRefusedToo() {
        for (String key : new String[] {"consumer.group.instance.id", "main.consumer.group.instance.id"}) {
            PipelineConfig cfg = null;
            String problems = problemsOf(BASE + "kafka: {" + key + ": shared}\n");
            if (problems.isEmpty()) {
                cfg = PipelineConfigLoader.parse(BASE + "kafka: {" + key + ": shared}\n", "test.yaml", Map.of());
                System.err.println("review: " + key + " accepted; main consumer group.instance.id = "
                        + new StreamsConfig(StreamsProperties.of(cfg)).getMainConsumerConfigs("app", "c", 1)
                        .get("group.instance.id") + ", instanceId() = '" + cfg.instanceId() + "'");
            }
            assertThat(problems).as("kafka." + key).contains("kafka." + key).contains("instance.id");
        }
    }
}
