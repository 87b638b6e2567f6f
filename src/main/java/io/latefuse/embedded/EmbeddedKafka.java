package io.latefuse.embedded;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Apache Kafka broker in KRaft mode (combined broker and controller), in this JVM, from Kafka's
 * own server classes. Its data lives in a temporary directory removed on close.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaClusterTestKit cluster;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    public static EmbeddedKafka start() throws Exception {
        KafkaClusterTestKit kit = singleNode(new TestKitNodes.Builder()).build();
        try {
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
        } catch (Exception e) {
            kit.close();
            throw e;
        }
        return new EmbeddedKafka(kit);
    }

    /**
     * One combined broker and controller on {@code nodes} (whose listeners the caller may have set), with what a
     * single broker needs: internal topics of replication factor 1, and groups that start at once.
     */
    public static KafkaClusterTestKit.Builder singleNode(TestKitNodes.Builder nodes) {
        return new KafkaClusterTestKit.Builder(nodes
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
                // No initial rebalance delay: fresh groups start at once.
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("num.partitions", "1");
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /**
     * Stops the broker (a controlled shutdown, as a rolling restart does) and starts it again on the same port and
     * log directories; the controller keeps running. For fault tests: clients must ride it out.
     */
    public void restartBroker() throws Exception {
        for (kafka.server.BrokerServer broker : cluster.brokers().values()) {
            broker.shutdown();
        }
        for (kafka.server.BrokerServer broker : cluster.brokers().values()) {
            broker.startup();
        }
        cluster.waitForReadyBrokers();
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
