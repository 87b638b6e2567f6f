package io.latefuse.streams;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class StreamsPropertiesTest {
    private static final String BASE = """
            application.id: props-test
            bootstrap.servers: localhost:9092
            schema.registry.url: mock://props
            classes: [a, b]
            modalities: [{name: x}, {name: y}]
            """;

    private static Properties props(String extra) {
        PipelineConfig c = PipelineConfigLoader.parse(BASE + extra, "test", Map.of());
        return StreamsProperties.of(c);
    }

    private static long commitMs(Properties p) {
        return new StreamsConfig(p).getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
    }

    private static Object linger(Properties p) {
        return new StreamsConfig(p).getProducerConfigs("c").get("linger.ms");
    }

    @Test
    void latencyDefaultsReplaceKafkaStreamsOwn() {
        // Streams would hold each prediction up to 100 ms in the producer, and commit at-least-once every 30 s.
        assertThat(linger(props(""))).isEqualTo(5);
        assertThat(commitMs(props("processing.guarantee: at_least_once\n"))).isEqualTo(1_000L);
        assertThat(commitMs(props("processing.guarantee: exactly_once_v2\n"))).isEqualTo(100L);
    }

    @Test
    void theConfigAndThePassThroughStillWin() {
        assertThat(commitMs(props("processing.guarantee: at_least_once\ncommit.interval: 5s\n"))).isEqualTo(5_000L);
        assertThat(commitMs(props("processing.guarantee: at_least_once\nkafka: {commit.interval.ms: 30000}\n")))
                .isEqualTo(30_000L);
        assertThat(linger(props("kafka: {producer.linger.ms: 100}\n"))).isEqualTo("100");
    }
}
