package io.latefuse.registry;

import io.latefuse.testkit.ContainerKafkaAndRegistry;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RequiresDocker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The same scenarios on apache/kafka and confluentinc/cp-schema-registry containers; skipped without Docker. */
@RequiresDocker
class SchemaRegistryContainersIT extends SchemaRegistryScenarios {
    private static ContainerKafkaAndRegistry env;

    @BeforeAll
    static void start() {
        env = ContainerKafkaAndRegistry.start();
    }

    @AfterAll
    static void stop() {
        if (env != null) {
            env.close();
        }
    }

    @Override
    KafkaEnvironment env() {
        return env;
    }
}
