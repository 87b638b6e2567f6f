package io.latefuse.testkit;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * A Kafka Streams instance for the HTTP server's tests, without a broker: never started, it says it is RUNNING,
 * and where an event's state is comes from {@code where} (which may throw, as a broken lookup would).
 */
public final class StandInStreams extends KafkaStreams implements AutoCloseable {
    private final Supplier<KeyQueryMetadata> where;

    private StandInStreams(Properties props, Supplier<KeyQueryMetadata> where) {
        super(topology(), props);
        this.where = where;
    }

    /** @param stateDir a directory of the test's own, for the state directory Kafka Streams locks */
    public static StandInStreams running(Path stateDir, Supplier<KeyQueryMetadata> where) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "stand-in");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1"); // never reached: it is never started
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return new StandInStreams(props, where);
    }

    /** No instance owns any partition yet: a lookup answers 503, rebalancing. */
    public static StandInStreams running(Path stateDir) {
        return running(stateDir, () -> KeyQueryMetadata.NOT_AVAILABLE);
    }

    private static org.apache.kafka.streams.Topology topology() {
        StreamsBuilder b = new StreamsBuilder();
        b.stream("in", Consumed.with(Serdes.String(), Serdes.String()));
        return b.build();
    }

    @Override
    public State state() {
        return State.RUNNING;
    }

    @Override
    public <K> KeyQueryMetadata queryMetadataForKey(String storeName, K key, Serializer<K> keySerializer) {
        return where.get();
    }

    @Override
    public void close() {
        super.close(Duration.ofSeconds(5));
    }
}
