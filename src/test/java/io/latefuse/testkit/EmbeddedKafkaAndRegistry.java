package io.latefuse.testkit;

import io.latefuse.embedded.ApicurioRegistryProcess;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Path;

/**
 * A real single-node KRaft broker in the test JVM and a real Apicurio Registry child JVM, started once per
 * test run (the JUnit root store owns them) and stopped when the run ends.
 */
public final class EmbeddedKafkaAndRegistry implements KafkaEnvironment, ExtensionContext.Store.CloseableResource, AutoCloseable {
    private final KafkaClusterTestKit cluster;
    private final ApicurioRegistryProcess registry;

    EmbeddedKafkaAndRegistry() throws Exception {
        Path apicurioDir = Path.of(System.getProperty("latefuse.apicurio.dir", "target/apicurio"));
        // Start the registry first: it is a separate process, so it boots while the broker formats.
        ApicurioRegistryProcess reg = ApicurioRegistryProcess.start(apicurioDir, Path.of("target", "apicurio.log"));
        KafkaClusterTestKit kit = null;
        try {
            kit = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                    .build())
                    // One broker: internal topics (offsets, transactions) must accept replication factor 1.
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("offsets.topic.num.partitions", "3")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("transaction.state.log.num.partitions", "3")
                    // No initial rebalance delay: tests start a fresh group each time.
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("num.partitions", "1")
                    .build();
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
        } catch (Exception e) {
            if (kit != null) {
                kit.close();
            }
            reg.close();
            throw e;
        }
        this.cluster = kit;
        this.registry = reg;
    }

    @Override
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    @Override
    public String registryUrl() {
        return registry.url();
    }

    public KafkaClusterTestKit cluster() {
        return cluster;
    }

    @Override
    public void close() throws Exception {
        try {
            cluster.close();
        } finally {
            registry.close();
        }
    }
}
