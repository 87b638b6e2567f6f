package io.latefuse.bench;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;

import java.util.List;

/**
 * The ceiling: the score topics merged into one output as raw bytes, with no state and no deserialization. Whatever
 * latefuse costs on top of this is the price of the join and the fusion.
 */
public final class PassthroughTopology {
    private PassthroughTopology() {}

    public static Topology build(List<String> inputTopics, String outputTopic) {
        Topology t = new Topology();
        t.addSource(AutoOffsetReset.earliest(), "scores", Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer(), inputTopics.toArray(String[]::new));
        t.addSink("merged-sink", outputTopic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), "scores");
        return t;
    }
}
