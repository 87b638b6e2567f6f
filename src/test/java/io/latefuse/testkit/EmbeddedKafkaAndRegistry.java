package io.latefuse.testkit;

import io.latefuse.embedded.ApicurioRegistryProcess;
import io.latefuse.embedded.EmbeddedKafka;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Path;

/**
 * A real single-node KRaft broker in the test JVM ({@link EmbeddedKafka}) and a real Apicurio Registry child JVM, started once per
 * test run (the JUnit root store owns them) and stopped when the run ends.
 */
public final class EmbeddedKafkaAndRegistry implements KafkaEnvironment, ExtensionContext.Store.CloseableResource, AutoCloseable {
    private final EmbeddedKafka kafka;
    private final ApicurioRegistryProcess registry;

    EmbeddedKafkaAndRegistry() throws Exception {
        Path apicurioDir = Path.of(System.getProperty("latefuse.apicurio.dir", "target/apicurio"));
        // Start the registry first: it is a separate process, so it boots while the broker formats.
        ApicurioRegistryProcess reg = ApicurioRegistryProcess.start(apicurioDir, Path.of("target", "apicurio.log"));
        EmbeddedKafka kafka;
        try {
            kafka = EmbeddedKafka.start();
        } catch (Exception e) {
            reg.close();
            throw e;
        }
        this.kafka = kafka;
        this.registry = reg;
    }

    @Override
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** See {@link EmbeddedKafka#restartBroker()}. */
    public void restartBroker() throws Exception {
        kafka.restartBroker();
    }

    @Override
    public String registryUrl() {
        return registry.url();
    }

    @Override
    public void close() throws Exception {
        try {
            kafka.close();
        } finally {
            registry.close();
        }
    }
}
