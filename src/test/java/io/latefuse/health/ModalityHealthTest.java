package io.latefuse.health;

import io.latefuse.config.HealthProfile;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionInput;
import io.latefuse.training.Evaluation;
import io.latefuse.training.LabelledScores;
import io.latefuse.training.SyntheticDdsd;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** modality.health's judgement, fed as the join feeds it: each event's calibrated scores at its revision 0. */
class ModalityHealthTest {
    static final int ACOUSTIC = 0;

    static PipelineConfig ddsd(String healthYaml) {
        try {
            String base = java.nio.file.Files.readString(Path.of("config/ddsd.yaml"));
            return PipelineConfigLoader.parse(base + "\n" + healthYaml, "test", java.util.Map.of());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static FusionInput input(PipelineConfig cfg, LabelledScores.Event e) {
        return Evaluation.input(e, Evaluation.calibrated(cfg, e), Evaluation.present(e), false);
    }

    static HealthProfile profile(PipelineConfig cfg, long seed) {
        List<FusionInput> in = new ArrayList<>();
        for (LabelledScores.Event e : new SyntheticDdsd(seed).labelled(10_000)) {
            in.add(input(cfg, e));
        }
        return HealthProfiles.learn(cfg, in);
    }

    static PipelineConfig withProfile(PipelineConfig cfg, HealthProfile p) {
        PipelineConfig.Health h = cfg.health();
        return cfg.withHealth(new PipelineConfig.Health(h.mode(), p, h.window(), h.stuckScores(), h.maxPsi(),
                h.maxAgreementDrop(), h.releaseScores(), h.quarantined(), h.trusted()));
    }

    /** Acoustic's score replaced by {@code p} for events [from, to). */
    static List<LabelledScores.Event> stuck(List<LabelledScores.Event> events, int from, int to, float p) {
        List<LabelledScores.Event> out = new ArrayList<>(events);
        for (int i = from; i < to; i++) {
            LabelledScores.Event e = out.get(i);
            float[][] s = e.scores().clone();
            if (s[ACOUSTIC] != null) {
                s[ACOUSTIC] = new float[] {p, 1 - p};
            }
            out.set(i, new LabelledScores.Event(e.eventId(), e.label(), s));
        }
        return out;
    }

    /** The quarantined mask after each event. */
    static long[] masks(ModalityHealth h, PipelineConfig cfg, List<LabelledScores.Event> events) {
        long[] out = new long[events.size()];
        for (int i = 0; i < events.size(); i++) {
            LabelledScores.Event e = events.get(i);
            h.observe(input(cfg, e), Evaluation.present(e));
            out[i] = h.quarantinedMask();
        }
        return out;
    }

    @Test
    void aHealthyStreamIsNeverQuarantinedWithAProfileOrAWarmUp() {
        PipelineConfig cfg = ddsd("modality.health: quarantine\n");
        for (PipelineConfig c : List.of(cfg, withProfile(cfg, profile(cfg, 100)))) {
            for (long seed = 1; seed <= 3; seed++) {
                ModalityHealth h = ModalityHealth.of(c, null);
                long[] m = masks(h, c, new SyntheticDdsd(seed).labelled(20_000));
                assertThat(m).as("seed %d, profile %s", seed, c.health().profile() != null).containsOnly(0L);
                assertThat(h.statuses()).extracting(ModalityHealth.Status::state).containsOnly(ModalityHealth.State.HEALTHY);
            }
        }
    }

    @Test
    void aStuckModalityIsQuarantinedAfterStuckScoresAndReleasedOnceHealthyForReleaseScores() {
        PipelineConfig cfg = ddsd("""
                modality.health: quarantine
                modality.health.stuck.scores: 20
                modality.health.release.scores: 100
                """);
        List<LabelledScores.Event> events = stuck(new SyntheticDdsd(5).labelled(6_000), 2_000, 3_000, 0.2f);
        ModalityHealth h = ModalityHealth.of(cfg, null);
        long[] m = masks(h, cfg, events);
        int firstOn = firstIndex(m, 1L << ACOUSTIC, true, 0);
        int acousticSeen = 0;
        for (int i = 2_000; i <= firstOn; i++) {
            acousticSeen += events.get(i).scores()[ACOUSTIC] != null ? 1 : 0;
        }
        assertThat(firstOn).as("quarantined from the break on").isGreaterThanOrEqualTo(2_000);
        assertThat(acousticSeen).as("stuck scores seen when it was quarantined").isEqualTo(20);
        for (int i = firstOn; i < 3_000; i++) {
            assertThat(m[i]).as("event %d", i).isEqualTo(1L << ACOUSTIC);
        }
        int released = firstIndex(m, 1L << ACOUSTIC, false, 3_000);
        // The window (500) is judged drifted until most of its stuck scores are gone, then 100 healthy judgements.
        assertThat(released).as("released after it recovered").isGreaterThan(3_000 + 100).isLessThan(3_000 + 1_000);
        for (int i = released; i < m.length; i++) {
            assertThat(m[i]).as("event %d", i).isZero();
        }
    }

    @Test
    void aModalityWithItsClassesSwappedIsQuarantinedAndNoOtherIs() {
        PipelineConfig cfg = withProfile(ddsd("modality.health: quarantine\n"), profile(ddsd(""), 100));
        for (String broken : List.of("acoustic", "lexical", "prosody")) {
            List<LabelledScores.Event> events = new SyntheticDdsd(7).withBreak(
                    new SyntheticDdsd.Break(broken, SyntheticDdsd.BreakKind.SWAP, 5_000, 0)).labelled(12_000);
            ModalityHealth h = ModalityHealth.of(cfg, null);
            long[] m = masks(h, cfg, events);
            long bit = 1L << cfg.modalityIndex(broken);
            assertThat(java.util.Arrays.stream(m).allMatch(x -> (x & ~bit) == 0)).as(broken + " alone").isTrue();
            for (int i = 0; i < 5_000; i++) {
                assertThat(m[i]).as(broken + " before its break, event " + i).isZero();
            }
            assertThat(m[m.length - 1]).as(broken + " at the end").isEqualTo(bit);
            assertThat(h.statuses().get(cfg.modalityIndex(broken)).reason()).contains("disagrees");
        }
    }

    @Test
    void underObserveABrokenModalityIsReportedButNeverQuarantined() {
        PipelineConfig cfg = ddsd("modality.health: observe\nmodality.health.stuck.scores: 10\n");
        ModalityHealth h = ModalityHealth.of(cfg, null);
        long[] m = masks(h, cfg, stuck(new SyntheticDdsd(3).labelled(2_000), 1_000, 2_000, 0.5f));
        assertThat(m).containsOnly(0L);
        assertThat(h.statuses().get(ACOUSTIC).state()).isEqualTo(ModalityHealth.State.BROKEN);
        assertThat(h.statuses().get(ACOUSTIC).reason()).startsWith("stuck");
    }

    @Test
    void aTrustedModalityIsNeverQuarantinedAndOneQuarantinedByHandAlwaysIs() {
        PipelineConfig cfg = ddsd("""
                modality.health: quarantine
                modality.health.stuck.scores: 10
                modality.health.trusted: [acoustic]
                modality.health.quarantined: [visual]
                """);
        ModalityHealth h = ModalityHealth.of(cfg, null);
        long visual = 1L << cfg.modalityIndex("visual");
        assertThat(h.quarantinedMask()).isEqualTo(visual);
        long[] m = masks(h, cfg, stuck(new SyntheticDdsd(3).labelled(2_000), 1_000, 2_000, 0.5f));
        assertThat(m).containsOnly(visual);
        assertThat(h.statuses().get(ACOUSTIC).state()).isEqualTo(ModalityHealth.State.BROKEN);
        assertThat(h.statuses().get(cfg.modalityIndex("visual")).byHand()).isTrue();
    }

    /**
     * Random stretches of healthy, stuck and swapped acoustic scores: after every event, the mask holds exactly the
     * modalities whose state is QUARANTINED; a modality leaves it only after release.scores healthy judgements in a
     * row, on a score of its own.
     */
    @Property(tries = 25)
    void theMaskIsTheQuarantinedStatesAndReleaseWaitsForHealthyJudgements(
            @ForAll @Size(min = 1, max = 6) List<@IntRange(min = 0, max = 2) Integer> kinds,
            @ForAll @Size(min = 6, max = 6) List<@IntRange(min = 100, max = 900) Integer> lengths,
            @ForAll @IntRange(min = 1, max = 1000) int seed) {
        PipelineConfig cfg = ddsd("""
                modality.health: quarantine
                modality.health.window: 300
                modality.health.stuck.scores: 15
                modality.health.release.scores: 60
                """);
        SyntheticDdsd source = new SyntheticDdsd(seed);
        List<LabelledScores.Event> events = new ArrayList<>(source.labelled(700)); // warm-up, healthy
        for (int s = 0; s < kinds.size(); s++) {
            for (LabelledScores.Event e : source.labelled(lengths.get(s))) {
                float[][] sc = e.scores().clone();
                if (sc[ACOUSTIC] != null && kinds.get(s) > 0) {
                    float p = sc[ACOUSTIC][0];
                    float q = kinds.get(s) == 1 ? 0.3f : 1 - p;
                    sc[ACOUSTIC] = new float[] {q, 1 - q};
                }
                events.add(new LabelledScores.Event(e.eventId(), e.label(), sc));
            }
        }
        ModalityHealth h = ModalityHealth.of(cfg, null);
        long before = 0;
        ModalityHealth.Status last = null;
        for (int i = 0; i < events.size(); i++) {
            LabelledScores.Event e = events.get(i);
            h.observe(input(cfg, e), Evaluation.present(e));
            long mask = h.quarantinedMask();
            List<ModalityHealth.Status> st = h.statuses();
            for (int m = 0; m < st.size(); m++) {
                assertThat((mask & (1L << m)) != 0).as("event %d, %s", i, st.get(m).modality())
                        .isEqualTo(st.get(m).state() == ModalityHealth.State.QUARANTINED);
            }
            if ((before & 1) != 0 && (mask & 1) == 0 && last != null) {
                assertThat(last.healthyJudgements()).as("event %d: released after 60 healthy judgements", i)
                        .isEqualTo(59);
                assertThat(e.scores()[ACOUSTIC]).as("event %d: released on a judgement of its own", i).isNotNull();
            }
            before = mask;
            last = st.get(ACOUSTIC);
        }
    }

    private static int firstIndex(long[] m, long bit, boolean on, int from) {
        for (int i = from; i < m.length; i++) {
            if (((m[i] & bit) != 0) == on) {
                return i;
            }
        }
        return -1;
    }
}
