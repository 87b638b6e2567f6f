package io.latefuse.testkit;

import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;

import java.time.Duration;

/**
 * apache/kafka (KRaft) and confluentinc/cp-schema-registry in containers, the same images as docker-compose.yml.
 * Only used where a Docker engine exists.
 */
public final class ContainerKafkaAndRegistry implements KafkaEnvironment, AutoCloseable {
    public static final String KAFKA_IMAGE = "apache/kafka:4.1.0";
    public static final String REGISTRY_IMAGE = "confluentinc/cp-schema-registry:8.0.0";

    private final Network network;
    private final KafkaContainer kafka;
    private final GenericContainer<?> registry;

    private ContainerKafkaAndRegistry(Network network, KafkaContainer kafka, GenericContainer<?> registry) {
        this.network = network;
        this.kafka = kafka;
        this.registry = registry;
    }

    @SuppressWarnings("resource")
    public static ContainerKafkaAndRegistry start() {
        Network network = Network.newNetwork();
        KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE)
                .withNetwork(network)
                .withListener("kafka:19092");
        kafka.start();
        GenericContainer<?> registry = new GenericContainer<>(REGISTRY_IMAGE)
                .withNetwork(network)
                .withExposedPorts(8081)
                .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(2)));
        registry.start();
        ContainerKafkaAndRegistry env = new ContainerKafkaAndRegistry(network, kafka, registry);
        try (SchemaRegistry client = SchemaRegistry.connect(RegistryConfig.of(env.registryUrl()))) {
            client.setCompatibility(null, "BACKWARD");
        }
        return env;
    }

    @Override
    public String bootstrapServers() {
        return kafka.getBootstrapServers();
    }

    @Override
    public String registryUrl() {
        return "http://" + registry.getHost() + ":" + registry.getMappedPort(8081);
    }

    @Override
    public void close() {
        registry.stop();
        kafka.stop();
        network.close();
    }
}
