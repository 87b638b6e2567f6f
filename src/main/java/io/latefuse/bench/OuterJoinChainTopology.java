package io.latefuse.bench;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.streams.VersionedStateSerde;
import io.latefuse.topology.EventTimeExtractor;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The baseline: latefuse's join written the way a Kafka Streams user would write it with the DSL. A chain of N-1
 * outer KStream-KStream joins over {@link JoinWindows} with grace, then the same fusion latefuse applies, to the same
 * output type. Every output is a prediction with revision 0, whether the join emitted it complete, partial or
 * spuriously: the DSL cannot tell them apart, and the benchmark counts them all.
 */
public final class OuterJoinChainTopology {
    private OuterJoinChainTopology() {}

    /**
     * @param streamsProps the properties the app runs with; they choose the DSL's store type
     *                     ({@code dsl.store.suppliers.class})
     */
    public static Topology build(PipelineConfig config, FusionStrategy strategy, Serde<ModalityScore> scores,
                                 Serde<FusedPrediction> predictions, Duration window, Duration grace,
                                 Properties streamsProps) {
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(streamsProps)));
        VersionedStateSerde<EventState> state = new VersionedStateSerde<>(EventState.class);
        EventFusion fusion = new EventFusion(config, strategy);
        JoinWindows windows = JoinWindows.ofTimeDifferenceAndGrace(window, grace);
        KStream<String, EventState> joined = null;
        for (PipelineConfig.ModalityConfig m : config.modalities()) {
            // Event time, as latefuse uses: a user joining scores would window on when the event happened.
            KStream<String, EventState> one = builder.stream(m.topic(), Consumed.with(Serdes.String(), scores)
                            .withTimestampExtractor(new EventTimeExtractor(config.eventTimeMaxFuture()))
                            .withOffsetResetPolicy(AutoOffsetReset.earliest())
                            .withName("scores-" + m.name()))
                    .mapValues(OuterJoinChainTopology::single, Named.as("wrap-" + m.name()));
            joined = joined == null ? one : joined.outerJoin(one, OuterJoinChainTopology::merge, windows,
                    StreamJoined.with(Serdes.String(), state, state)
                            .withName("join-" + m.name()).withStoreName("join-" + m.name()));
        }
        joined.mapValues(s -> fusion.prediction(s, strategy.fuse(fusion.input(s)), 0, System.currentTimeMillis()),
                        Named.as("fuse"))
                .to(config.outputTopic(), Produced.with(Serdes.String(), predictions).withName("fused-sink"));
        return builder.build();
    }

    private static EventState single(ModalityScore s) {
        long now = System.currentTimeMillis();
        return EventState.newBuilder().setEventId(s.getEventId()).setEventTime(s.getEventTime().toEpochMilli())
                .setFirstArrival(now).setTimer(0).setRevision(-1).setArrivals(List.of(s)).build();
    }

    /** The outer join's joiner: either side may be null when its window closed unmatched. */
    private static EventState merge(EventState left, EventState right) {
        if (left == null) {
            return right;
        }
        if (right == null) {
            return left;
        }
        List<ModalityScore> all = new ArrayList<>(left.getArrivals());
        all.addAll(right.getArrivals());
        return EventState.newBuilder(left)
                .setEventTime(Math.min(left.getEventTime(), right.getEventTime()))
                .setFirstArrival(Math.min(left.getFirstArrival(), right.getFirstArrival()))
                .setArrivals(all).build();
    }
}
