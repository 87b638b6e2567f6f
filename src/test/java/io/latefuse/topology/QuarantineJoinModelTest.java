package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.health.ModalityHealth;
import io.latefuse.registry.AvroSerdes;
import io.latefuse.registry.InMemorySchemaRegistry;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.StreamsProperties;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Review: a model test of the join under random quarantine changes. The quarantined set is flipped through a test
 * seam (reflection on ModalityHealth's volatile mask; the judgement itself is configured never to fire), scores of
 * random events and modalities arrive in random order, and the wall clock advances past deadlines. After each step
 * every prediction is checked against a model of what the join promises.
 */
class QuarantineJoinModelTest {
    static final String[] MODS = {"acoustic", "lexical", "prosody", "visual"};
    static final boolean[] REQUIRED = {true, true, true, false};
    static final long ALL = 0b1111;
    static final long REQ = 0b0111;
    static final long MAX_WAIT = 300;

    sealed interface Action permits Score, Flip, Advance {}
    record Score(int event, int modality, float directed) implements Action {}
    record Flip(long mask) implements Action {}
    record Advance(long ms) implements Action {}

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<Action> score = Combinators.combine(Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, 3), Arbitraries.floats().between(0.05f, 0.95f))
                .as((e, m, p) -> (Action) new Score(e, m, p));
        Arbitrary<Action> flip = Arbitraries.longs().between(0, 15).map(m -> (Action) new Flip(m));
        Arbitrary<Action> advance = Arbitraries.of(10L, 30L, 120L, 310L).map(ms -> (Action) new Advance(ms));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, score), net.jqwik.api.Tuple.of(2, flip), net.jqwik.api.Tuple.of(2, advance))
                .list().ofMinSize(5).ofMaxSize(60);
    }

    @Property(tries = 150, seed = "42")
    void revisionPolicyAlways(@ForAll("actions") List<Action> script) throws Exception {
        run(script, "");
    }

    @Property(tries = 150, seed = "42")
    void revisionPolicyOnChange(@ForAll("actions") List<Action> script) throws Exception {
        run(script, "revision.policy: on_change\nrevision.min.delta: 0.05\n");
    }

    @Property(tries = 150, seed = "42")
    void optionalWait(@ForAll("actions") List<Action> script) throws Exception {
        run(script, "optional.wait: 50ms\n");
    }

    /** The model's view of one event. */
    static final class Ev {
        long held;
        final float[] directed = new float[4];
        long deadline;
        int revision = -1; // -1 pending or not seen
        boolean seen;
        boolean settled;
    }

    private void run(List<Action> script, String extra) throws Exception {
        boolean onChange = extra.contains("on_change");
        long optWait = extra.contains("optional.wait") ? 50 : 0;
        try (Harness h = new Harness(extra)) {
            Map<Integer, Ev> events = new HashMap<>();
            long q = 0;
            List<Action> done = new ArrayList<>();
            for (Action a : script) {
                done.add(a);
                String where = "after " + done;
                if (a instanceof Flip f) {
                    q = f.mask();
                    h.setQuarantined(q);
                    assertThat(h.drain()).as(where).isEmpty();
                } else if (a instanceof Advance adv) {
                    h.advance(adv.ms());
                    List<FusedPrediction> out = h.drain();
                    Map<String, FusedPrediction> byId = new HashMap<>();
                    for (FusedPrediction p : out) {
                        assertThat(byId.put(p.getEventId().toString(), p)).as(where + ": twice " + p).isNull();
                    }
                    for (Map.Entry<Integer, Ev> e : events.entrySet()) {
                        Ev ev = e.getValue();
                        FusedPrediction p = byId.remove("e" + e.getKey());
                        if (ev.seen && ev.revision < 0 && ev.deadline <= h.wall) {
                            assertThat(p).as(where + ": e" + e.getKey() + " due, not emitted").isNotNull();
                            check(where, p, ev, q, 0);
                            ev.revision = 0;
                            ev.settled = ev.held == ALL;
                        } else {
                            assertThat(p).as(where + ": e" + e.getKey() + " emitted on an advance, not due").isNull();
                        }
                    }
                    assertThat(byId).as(where).isEmpty();
                } else if (a instanceof Score s) {
                    Ev ev = events.computeIfAbsent(s.event(), k -> new Ev());
                    long bit = 1L << s.modality();
                    h.send("e" + s.event(), MODS[s.modality()], s.directed());
                    List<FusedPrediction> out = h.drain();
                    if ((ev.held & bit) != 0) {
                        assertThat(out).as(where + ": duplicate").isEmpty();
                        continue;
                    }
                    ev.held |= bit;
                    ev.directed[s.modality()] = s.directed();
                    if (!ev.seen) {
                        ev.seen = true;
                        ev.deadline = h.wall + MAX_WAIT;
                    }
                    if (ev.revision < 0) {
                        if (((ev.held | q) & REQ) == REQ && ((ev.held | q) & ALL) == ALL) {
                            assertThat(out).as(where + ": completed but not emitted").hasSize(1);
                            check(where, out.get(0), ev, q, 0);
                            ev.revision = 0;
                            ev.settled = ev.held == ALL;
                        } else if (((ev.held | q) & REQ) == REQ && optWait == 0) {
                            assertThat(out).as(where + ": required in, not emitted").hasSize(1);
                            check(where, out.get(0), ev, q, 0);
                            ev.revision = 0;
                            ev.settled = ev.held == ALL;
                        } else {
                            if (((ev.held | q) & REQ) == REQ) {
                                ev.deadline = Math.min(ev.deadline, h.wall + optWait);
                            }
                            assertThat(out).as(where + ": emitted while waiting").isEmpty();
                        }
                    } else {
                        // late
                        if (ev.settled) {
                            fail(where + ": model: a settled event cannot miss a modality");
                        }
                        if ((q & bit) != 0) {
                            assertThat(out).as(where + ": quarantined late score revised").isEmpty();
                        } else if (onChange) {
                            assertThat(out.size()).as(where).isLessThanOrEqualTo(1);
                            if (out.size() == 1) {
                                check(where, out.get(0), ev, q, ev.revision + 1);
                                ev.revision++;
                                ev.settled = ev.held == ALL;
                            }
                        } else {
                            assertThat(out).as(where + ": late score, no revision").hasSize(1);
                            check(where, out.get(0), ev, q, ev.revision + 1);
                            ev.revision++;
                            ev.settled = ev.held == ALL;
                        }
                    }
                }
            }
            // Nothing lost: past every deadline, every event was answered.
            h.advance(2 * MAX_WAIT + 10);
            for (FusedPrediction p : h.drain()) {
                Ev ev = events.get(Integer.parseInt(p.getEventId().toString().substring(1)));
                assertThat(ev.revision).as("final: emitted twice " + p).isEqualTo(-1);
                check("final after " + done, p, ev, q, 0);
                ev.revision = 0;
            }
            for (Map.Entry<Integer, Ev> e : events.entrySet()) {
                assertThat(e.getValue().revision).as("lost e" + e.getKey() + " after " + done).isGreaterThanOrEqualTo(0);
            }
        }
    }

    /**
     * Promise 1, checked: under observe (with a judgement that does fire: stuck after 3, released after 2) the join
     * emits exactly what it emits under off, for the same random script, revisions and on_change included.
     */
    @Property(tries = 100, seed = "7")
    void observeEmitsWhatOffEmits(@ForAll("actions") List<Action> script, @ForAll boolean onChange) throws Exception {
        String extra = onChange ? "revision.policy: on_change\nrevision.min.delta: 0.05\n" : "";
        try (Harness off = new Harness("modality.health: off\n", extra);
             Harness observe = new Harness("""
                     modality.health: observe
                     modality.health.window: 300
                     modality.health.stuck.scores: 3
                     modality.health.release.scores: 2
                     """, extra)) {
            for (Action a : script) {
                if (a instanceof Score s) {
                    // under observe the judgement moves, the join must not
                    float p = s.modality() == 0 ? 0.5f : s.directed(); // acoustic stuck: judged broken after 3
                    off.send("e" + s.event(), MODS[s.modality()], p);
                    observe.send("e" + s.event(), MODS[s.modality()], p);
                } else if (a instanceof Advance adv) {
                    off.advance(adv.ms());
                    observe.advance(adv.ms());
                }
                List<String> x = off.drain().stream().map(QuarantineJoinModelTest::comparable).toList();
                List<String> y = observe.drain().stream().map(QuarantineJoinModelTest::comparable).toList();
                assertThat(y).as("after " + a).isEqualTo(x);
            }
            net.jqwik.api.statistics.Statistics.collect(observe.health.statuses().stream()
                    .anyMatch(st -> st.state() != ModalityHealth.State.HEALTHY || st.stuckRun() >= 3) ? "judged broken" : "healthy");
        }
    }

    static String comparable(FusedPrediction p) {
        FusedPrediction c = FusedPrediction.newBuilder(p).build();
        assertThat(c.getQuarantined()).isNull();
        return c.toString();
    }

    /** A prediction of {@code ev} made while {@code q} was quarantined. */
    private static void check(String where, FusedPrediction p, Ev ev, long q, int revision) {
        String as = where + ": " + p;
        assertThat(p.getRevision()).as(as).isEqualTo(revision);
        long fusedSet = (ev.held & ~q) == 0 ? ev.held : ev.held & ~q;
        assertThat(p.getPresent()).as(as + " present").containsExactlyElementsOf(names(fusedSet));
        assertThat(p.getMissing()).as(as + " missing").containsExactlyElementsOf(names(ALL & ~fusedSet & ~q));
        if (q == 0) {
            assertThat(p.getQuarantined()).as(as + " quarantined").isNull();
        } else {
            assertThat(p.getQuarantined()).as(as + " quarantined").containsExactlyElementsOf(names(q));
        }
        boolean complete = (fusedSet & REQ) == REQ && (q & REQ) == 0;
        assertThat(p.getStatus()).as(as + " status")
                .isEqualTo(complete ? PredictionStatus.COMPLETE : PredictionStatus.DEGRADED);
        double sum = 0;
        for (int m = 0; m < 4; m++) {
            if ((fusedSet & (1L << m)) != 0) {
                sum += ev.directed[m];
            }
        }
        assertThat((double) p.getScores().get(0)).as(as + " fused score")
                .isCloseTo(sum / Long.bitCount(fusedSet), org.assertj.core.data.Offset.offset(1e-4));
        assertThat(p.getContributions().keySet()).as(as + " contributions").containsExactlyInAnyOrderElementsOf(names(fusedSet));
        if (p.getStatus() == PredictionStatus.DEGRADED && revision == 0) { // revisions carry none (as before)
            assertThat(p.getDegradedReason()).as(as + " reason").isNotNull();
        }
    }

    static List<String> names(long mask) {
        List<String> out = new ArrayList<>();
        for (int m = 0; m < 4; m++) {
            if ((mask & (1L << m)) != 0) {
                out.add(MODS[m]);
            }
        }
        return out;
    }

    /** FusionDriver's set-up, with a ModalityHealth the test holds (and flips by reflection). */
    static final class Harness implements AutoCloseable {
        final String scope = "qmodel-" + UUID.randomUUID();
        final ModalityHealth health;
        final TopologyTestDriver driver;
        final Map<String, TestInputTopic<String, ModalityScore>> inputs = new HashMap<>();
        final TestOutputTopic<String, FusedPrediction> output;
        long wall = FusionDriver.T0.toEpochMilli();
        final ScriptedInputProgress progress = new ScriptedInputProgress(() -> wall);

        Harness(String extra) throws Exception {
            // The judgement never fires by itself: the test alone sets the quarantined set.
            this("""
                    modality.health: quarantine
                    modality.health.window: 100000
                    modality.health.stuck.scores: 100000
                    modality.health.max.psi: 1000000
                    modality.health.max.agreement.drop: 0.99
                    """, extra);
        }

        Harness(String healthYaml, String extra) throws Exception {
            String yaml = FusionDriver.merged(FusionDriver.BASE.formatted(scope), healthYaml + extra);
            PipelineConfig config = PipelineConfigLoader.parse(yaml, "test", Map.of());
            RegistryConfig rc = RegistryConfig.of(InMemorySchemaRegistry.SCHEME + scope);
            SchemaRegistry registry = SchemaRegistry.connect(rc);
            Serde<ModalityScore> scores = AvroSerdes.specific(ModalityScore.class, registry, rc);
            Serde<FusedPrediction> predictions = AvroSerdes.specific(FusedPrediction.class, registry, rc);
            Properties props = StreamsProperties.of(config);
            props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("latefuse-ttd").toString());
            io.latefuse.metrics.FusionTelemetry telemetry =
                    new io.latefuse.metrics.FusionTelemetry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
            health = ModalityHealth.of(config, null);
            var topology = FusionTopology.build(config, FusionStrategies.create(config), scores, null, predictions,
                    telemetry, progress, health);
            driver = new TopologyTestDriver(topology, props, FusionDriver.T0);
            for (PipelineConfig.ModalityConfig m : config.modalities()) {
                inputs.put(m.name(), driver.createInputTopic(m.topic(), new StringSerializer(), scores.serializer(),
                        FusionDriver.T0, Duration.ZERO));
            }
            output = driver.createOutputTopic(config.outputTopic(), new StringDeserializer(), predictions.deserializer());
        }

        void setQuarantined(long mask) throws Exception {
            java.lang.reflect.Field f = ModalityHealth.class.getDeclaredField("quarantined");
            f.setAccessible(true);
            f.setLong(health, mask);
        }

        void send(String id, String modality, float directed) {
            inputs.get(modality).pipeInput(id, FusionDriver.score(id, modality, directed), Instant.ofEpochMilli(wall));
        }

        void advance(long ms) {
            wall += ms;
            driver.advanceWallClockTime(Duration.ofMillis(ms));
        }

        List<FusedPrediction> drain() {
            List<FusedPrediction> out = new ArrayList<>();
            while (!output.isEmpty()) {
                out.add(output.readValue());
            }
            return out;
        }

        @Override
        public void close() {
            driver.close();
            InMemorySchemaRegistry.dropScope(scope);
        }
    }
}
