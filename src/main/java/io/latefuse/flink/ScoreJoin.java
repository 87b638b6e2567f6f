package io.latefuse.flink;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.registry.TrustedAvroClasses;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * latefuse's join as a Flink user writes it: a {@link KeyedProcessFunction} keyed by event id, one
 * {@link ValueState} per event and one timer for its deadline. The rules are latefuse's:
 * <ul>
 *   <li>the first score of an event sets its deadline, {@code max.wait} after its first arrival (processing time) or
 *   after its event time (event time, by watermark: a replay);</li>
 *   <li>the score that completes every required modality emits revision 0, COMPLETE, and deletes the timer;</li>
 *   <li>the deadline emits revision 0, DEGRADED, listing what is missing;</li>
 *   <li>a score of an emitted event is a revision (latefuse's {@code late.policy: revise}); a duplicate modality
 *   is dropped;</li>
 *   <li>an event emitted with every configured modality is settled: its scores are dropped, and what is left marks
 *   later copies as duplicates.</li>
 * </ul>
 * The fusion is latefuse's own ({@link EventFusion}), so both engines fuse alike. State is cleaned by state TTL
 * ({@code max.wait + late.retention} after the last write, as latefuse forgets an emitted event after
 * {@code late.retention}): RocksDB drops expired entries in compaction, with no timer per event for it and no scan.
 * TTL runs on processing time, so under event time an event whose deadline waits longer than that for the
 * watermark is forgotten unanswered; the bench's replays run for minutes, against a 10-minute retention.
 * Not modelled: {@code optional.wait} (the bench requires every modality), {@code revision.policy on_change} and
 * dead letters (a score of an unknown modality fails the job, naming it).
 */
public final class ScoreJoin extends KeyedProcessFunction<String, ModalityScore, FusedPrediction> {
    private static final long serialVersionUID = 1L;

    static {
        // Avro 1.12 instantiates only trusted classes; Flink's Avro serializers read these in state and between tasks.
        TrustedAvroClasses.trust(EventState.class);
        TrustedAvroClasses.trust(ModalityScore.class);
        TrustedAvroClasses.trust(FusedPrediction.class);
    }

    /** When deadlines fire. */
    public enum Clock { PROCESSING_TIME, EVENT_TIME }

    private final String configYaml;
    private final Clock clock;

    private transient PipelineConfig config;
    private transient FusionStrategy strategy;
    private transient EventFusion fusion;
    private transient long maxWaitMs;
    private transient ValueState<EventState> event;

    /** @param configYaml the pipeline config, as YAML (a config object is not serializable; each task parses it) */
    public ScoreJoin(String configYaml, Clock clock) {
        this.configYaml = configYaml;
        this.clock = clock;
    }

    @Override
    public void open(OpenContext openContext) {
        config = PipelineConfigLoader.parse(configYaml, "the Flink job's config", Map.of());
        strategy = FusionStrategies.create(config);
        fusion = new EventFusion(config, strategy);
        maxWaitMs = config.maxWait().toMillis();
        ValueStateDescriptor<EventState> descriptor = new ValueStateDescriptor<>("event", new AvroTypeInfo<>(EventState.class));
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl(config))
                .updateTtlOnCreateAndWrite()
                .neverReturnExpired()
                .build());
        event = getRuntimeContext().getState(descriptor);
    }

    /** How long an event's state lives after its last write. */
    static Duration ttl(PipelineConfig config) {
        return config.maxWait().plus(config.lateRetention());
    }

    @Override
    public void close() {
        if (strategy != null) {
            strategy.close();
        }
    }

    @Override
    public void processElement(ModalityScore score, Context ctx, Collector<FusedPrediction> out) throws Exception {
        int m = config.modalityIndex(score.getModality());
        if (m < 0) {
            throw new IllegalArgumentException("event " + score.getEventId() + ": modality '" + score.getModality()
                    + "' is not in the config (" + config.modalities().stream().map(PipelineConfig.ModalityConfig::name)
                    .toList() + ")");
        }
        long bit = 1L << m;
        TimerService timers = ctx.timerService();
        long wall = timers.currentProcessingTime();
        long eventTime = score.getEventTime().toEpochMilli();
        EventState state = event.value();
        if (state == null) {
            long deadline = (clock == Clock.EVENT_TIME ? eventTime : wall) + maxWaitMs;
            state = new EventState(score.getEventId(), eventTime, wall, deadline, -1, new ArrayList<>(), false, null,
                    null, null, null);
            if (clock == Clock.EVENT_TIME) {
                timers.registerEventTimeTimer(deadline);
            } else {
                timers.registerProcessingTimeTimer(deadline);
            }
        } else if (state.getSettled() || (fusion.presentMask(state) & bit) != 0) {
            return; // a duplicate
        }
        state.getArrivals().add(score);
        state.setEventTime(Math.min(state.getEventTime(), eventTime));
        long mask = fusion.presentMask(state);
        if (state.getRevision() < 0 && clock == Clock.EVENT_TIME && state.getTimer() <= timers.currentWatermark()) {
            timers.deleteEventTimeTimer(state.getTimer()); // its deadline passed before it came: answered now
            emit(state, 0, wall, out);
        } else if (state.getRevision() >= 0) {
            emit(state, state.getRevision() + 1, wall, out); // a late score: a revision
        } else if (fusion.allRequiredPresent(mask)) {
            if (clock == Clock.EVENT_TIME) {
                timers.deleteEventTimeTimer(state.getTimer());
            } else {
                timers.deleteProcessingTimeTimer(state.getTimer());
            }
            emit(state, 0, wall, out);
        }
        event.update(state);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FusedPrediction> out) throws Exception {
        EventState state = event.value();
        if (state == null || state.getRevision() >= 0 || state.getTimer() != timestamp) {
            return; // answered already (its timer deleted), or forgotten
        }
        emit(state, 0, ctx.timerService().currentProcessingTime(), out);
        event.update(state);
    }

    /** Emits {@code revision} of the event, and settles it once every configured modality is in. */
    private void emit(EventState state, int revision, long wall, Collector<FusedPrediction> out) {
        long mask = fusion.presentMask(state);
        FusedPrediction p = fusion.prediction(state, strategy.fuse(fusion.input(state)), revision, wall);
        if (p.getStatus() == PredictionStatus.DEGRADED && revision == 0) {
            p.setDeadline(Instant.ofEpochMilli(state.getTimer()));
            p.setDegradedReason(degradedReason(state, p.getMissing()));
        }
        out.collect(p);
        state.setRevision(revision);
        if (fusion.allPresent(mask)) {
            state.setSettled(true);
            state.setArrivals(new ArrayList<>());
        }
    }

    private String degradedReason(EventState state, List<String> missing) {
        String never = "no score of " + String.join(", ", missing) + " was read";
        return clock == Clock.EVENT_TIME
                ? never + " before the watermark passed " + Instant.ofEpochMilli(state.getTimer()) + " (max.wait "
                + maxWaitMs + " ms after event_time)"
                : never + " by " + Instant.ofEpochMilli(state.getTimer()) + " on the wall clock (max.wait " + maxWaitMs
                + " ms after the first score was read)";
    }
}
