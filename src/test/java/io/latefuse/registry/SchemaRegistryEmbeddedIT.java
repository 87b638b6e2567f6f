package io.latefuse.registry;

import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The registry scenarios on the embedded KRaft broker and the Apicurio registry child process. */
@ExtendWith(RealKafka.class)
class SchemaRegistryEmbeddedIT extends SchemaRegistryScenarios {
    private static KafkaEnvironment env;

    @BeforeAll
    static void services(KafkaEnvironment services) {
        env = services;
    }

    @Override
    KafkaEnvironment env() {
        return env;
    }
}
