package io.latefuse.bench;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.avro.internal.EventState;
import io.latefuse.streams.VersionedStateSerde;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What keeping the last prediction in an emitted entry (state format 3, for event lookup) costs: one emitted
 * entry written and read back, with and without its scores and reason, settled (no arrivals, the common case) or
 * degraded (its arrivals kept for revisions). Run:
 * {@code mvn -q -Pbench -DskipTests test-compile exec:exec -Djmh.args="EmittedStateBenchmark"}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class EmittedStateBenchmark {
    /** {@code lean}: as format 2 kept it; {@code lookup}: with the last prediction's scores and reason. */
    @Param({"lean", "lookup"})
    String entry;

    @Param({"settled", "degraded"})
    String event;

    private final VersionedStateSerde<EventState> serde = new VersionedStateSerde<>(EventState.class);
    private EventState state;

    @Setup
    public void setUp() {
        List<ModalityScore> arrivals = new ArrayList<>();
        if (event.equals("degraded")) {
            for (String m : List.of("acoustic", "lexical")) {
                arrivals.add(ModalityScore.newBuilder().setEventId("ev-123456").setModality(m).setModel(m)
                        .setModelVersion("1").setScores(List.of(0.7f, 0.3f)).setScoreType(ScoreType.PROBABILITY)
                        .setEventTime(Instant.ofEpochMilli(1_767_225_600_000L)).build());
            }
        }
        state = new EventState("ev-123456", 1_767_225_600_000L, 1_767_225_600_003L, 1_767_225_600_303L, 0, arrivals,
                event.equals("settled"), null, null, null, null);
        if (entry.equals("lookup")) {
            state.setScores(List.of(0.82f, 0.18f));
            if (event.equals("degraded")) {
                state.setDegradedReason("no score of prosody was read by the deadline 2026-01-01T00:00:00.303Z (max.wait "
                        + "300ms after the first score was written), and every input partition was read past it (to "
                        + "2026-01-01T00:00:00.350Z)");
            }
        }
    }

    @Benchmark
    public EventState writeAndRead() {
        byte[] bytes = serde.serializer().serialize("emitted-changelog", state);
        return serde.deserializer().deserialize("emitted-changelog", bytes);
    }
}
