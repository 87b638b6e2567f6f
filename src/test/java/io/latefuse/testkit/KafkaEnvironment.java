package io.latefuse.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** A running Kafka broker and schema registry, embedded or in containers; integration scenarios run on either. */
public interface KafkaEnvironment {
    String bootstrapServers();

    /** The registry's Confluent-compatible base URL. */
    String registryUrl();

    default Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
    }

    /** Creates fresh topics with the given partition count; names get a random suffix so tests never collide. */
    default String createTopic(String prefix, int partitions) throws Exception {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = admin()) {
            createTopics(admin, List.of(new NewTopic(name, partitions, (short) 1)));
        }
        return name;
    }

    /**
     * Creates topics and returns once every partition takes writes: a test that produces at once would otherwise
     * lose records to KAFKA-15591 (see {@link io.latefuse.streams.WritableTopics}).
     */
    static void createTopics(Admin admin, java.util.Collection<NewTopic> topics) throws Exception {
        admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        io.latefuse.streams.WritableTopics.await(admin, topics.stream().map(NewTopic::name).toList(),
                java.time.Duration.ofSeconds(30));
    }

    /**
     * The shipped config/ddsd.yaml, pointed at this environment, with a fresh application.id and its own topics.
     */
    default String ddsdYaml(String appIdPrefix, String topicPrefix) throws java.io.IOException {
        return java.nio.file.Files.readString(java.nio.file.Path.of("config/ddsd.yaml"))
                .replace("application.id: latefuse-ddsd", "application.id: " + freshAppId(appIdPrefix))
                .replace("bootstrap.servers: localhost:9092", "bootstrap.servers: " + bootstrapServers())
                .replace("schema.registry.url: http://localhost:8081", "schema.registry.url: " + registryUrl())
                .replace("topic.prefix: ddsd.", "topic.prefix: " + topicPrefix);
    }

    /**
     * A pipeline on this environment: a fresh application.id, topics under {@code topicPrefix}, and the rest of
     * the config (classes, modalities, timing) from {@code body}.
     */
    default io.latefuse.config.PipelineConfig pipeline(String appIdPrefix, String topicPrefix, String body) {
        return io.latefuse.config.PipelineConfigLoader.parse("application.id: " + freshAppId(appIdPrefix)
                + "\nbootstrap.servers: " + bootstrapServers() + "\nschema.registry.url: " + registryUrl()
                + "\ntopic.prefix: " + topicPrefix + "\n" + body, appIdPrefix, Map.of());
    }

    /** A fresh application.id, so no test waits out another's session timeout. */
    static String freshAppId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
