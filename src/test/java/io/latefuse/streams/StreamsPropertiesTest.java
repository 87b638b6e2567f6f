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

    private static Map<String, Object> mainConsumer(Properties p, int thread) {
        return new StreamsConfig(p).getMainConsumerConfigs("props-test", "c", thread);
    }

    @Test
    void anInstanceIdMakesEachStreamThreadAStaticMemberWithAShorterSession() {
        Properties p = props("instance.id: latefuse-0\nstream.threads: 2\n");
        assertThat(mainConsumer(p, 0)).containsEntry("group.instance.id", "latefuse-0-0")
                .containsEntry("session.timeout.ms", StreamsProperties.STATIC_MEMBER_SESSION_TIMEOUT_MS);
        assertThat(mainConsumer(p, 1)).containsEntry("group.instance.id", "latefuse-0-1");
        // The pass-through may choose another session timeout.
        assertThat(mainConsumer(props("instance.id: a\nkafka: {session.timeout.ms: 60000}\n"), 0))
                .containsEntry("session.timeout.ms", "60000");
    }

    @Test
    void withoutAnInstanceIdMembershipIsDynamicWithKafkasSession() {
        Map<String, Object> consumer = mainConsumer(props(""), 0);
        assertThat(consumer).doesNotContainKey("group.instance.id");
        assertThat(consumer.get("session.timeout.ms")).isIn(null, 45_000);
    }

    @Test
    void theInstanceIdComesFromTheEnvironmentAsOnKubernetes() {
        PipelineConfig c = PipelineConfigLoader.parse(BASE, "test", Map.of("LATEFUSE_INSTANCE_ID", "latefuse-3"));
        assertThat(c.instanceId()).isEqualTo("latefuse-3");
        assertThat(mainConsumer(StreamsProperties.of(c), 0)).containsEntry("group.instance.id", "latefuse-3-0");
    }

    private static String isolation(Properties p) {
        return new StreamsConfig(p).getString(StreamsConfig.DEFAULT_INTERACTIVE_QUERY_ISOLATION_LEVEL_CONFIG);
    }

    @Test
    void lookupsReadCommittedStateUnderTransactionalStores() {
        String txn = "processing.guarantee: exactly_once_v2\nkafka: {enable.transactional.statestores: true}\n";
        assertThat(isolation(props(txn))).isEqualTo("READ_COMMITTED");
        assertThat(StreamsProperties.transactionalStoresUnderExactlyOnce(props(txn))).isTrue();
        // Without transactional stores the setting means nothing to Kafka: left at its default.
        assertThat(isolation(props("processing.guarantee: exactly_once_v2\n"
                + "kafka: {enable.transactional.statestores: false}\n"))).isEqualTo("READ_UNCOMMITTED");
        assertThat(isolation(props("processing.guarantee: at_least_once\n"
                + "kafka: {enable.transactional.statestores: true}\n"))).isEqualTo("READ_UNCOMMITTED");
        // The pass-through wins.
        assertThat(isolation(props("processing.guarantee: exactly_once_v2\nkafka: {enable.transactional.statestores: true"
                + ", default.interactive.query.isolation.level: READ_UNCOMMITTED}\n"))).isEqualTo("READ_UNCOMMITTED");
    }

    private static boolean transactionalStores(Properties p) {
        return new StreamsConfig(p).getBoolean(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG);
    }

    @Test
    void exactlyOnceRunsOnTransactionalStoresUnlessThePassThroughSaysNot() {
        Properties eos = props("processing.guarantee: exactly_once_v2\n");
        assertThat(transactionalStores(eos)).isTrue();
        assertThat(isolation(eos)).isEqualTo("READ_COMMITTED");
        assertThat(transactionalStores(props("processing.guarantee: at_least_once\n"))).isFalse();
        Properties off = props("processing.guarantee: exactly_once_v2\nkafka: {enable.transactional.statestores: false}\n");
        assertThat(transactionalStores(off)).isFalse();
        assertThat(isolation(off)).isEqualTo("READ_UNCOMMITTED");
        assertThat(StreamsProperties.transactionalStoresUnderExactlyOnce(off)).isFalse();
    }
}
