package io.latefuse.health;

import io.latefuse.config.HealthProfile;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionInput;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code modality.health} on one instance: every modality's judgement ({@link ModalityMonitor}), fed with each
 * event's calibrated scores as its revision 0 is emitted, and, under {@code quarantine}, the modalities that are
 * quarantined (read on every record, without a lock).
 * <p>
 * A modality is broken when it is stuck, has drifted, or disagrees with the others. Disagreement is relative: when a
 * modality breaks, the others' agreement with the rest falls too, so only the one that disagrees most (among those
 * not quarantined) is judged by it; and when the quarantined set changes, the others' comparisons start over, as the
 * modalities they were made against changed. A broken modality is quarantined (or, under {@code observe} or when
 * trusted, reported), with one WARN; it is released after {@code release.scores} healthy judgements in a row.
 * <p>
 * One instance judges from the events of its own tasks: see "Modality health" in docs/DESIGN.md for how instances
 * agree.
 */
public final class ModalityHealth {
    private static final Logger log = LoggerFactory.getLogger(ModalityHealth.class);

    /** A modality's state: healthy, judged broken but still fused (observe, trusted), or quarantined. */
    public enum State { HEALTHY, BROKEN, QUARANTINED }

    /**
     * One modality as last judged.
     *
     * @param reason    why it is broken or quarantined; empty when healthy
     * @param psi       the largest population stability index of a class over the window; NaN until it is full
     * @param agreement its agreement with the others over the window; NaN until it is full
     * @param presence  the share of this instance's last {@code window} events it was present in; NaN before any
     * @param healthyJudgements while broken or quarantined, its healthy judgements in a row so far
     */
    public record Status(String modality, State state, boolean byHand, String reason, double psi, double agreement,
                         double referenceAgreement, int stuckRun, double presence, long scores,
                         int healthyJudgements) {}

    private final PipelineConfig config;
    private final PipelineConfig.Health health;
    private final ModalityMonitor[] monitors;
    private final State[] states;
    private final String[] reasons;
    private final int[] healthyRun;
    private final boolean[] byHand;
    private final boolean[] trusted;
    private final long[] presenceRing;
    private int presenceHead;
    private int presenceCount;
    private final Counter[] episodes;
    private volatile long quarantined;

    private ModalityHealth(PipelineConfig config, MeterRegistry registry) {
        this.config = config;
        this.health = config.health();
        int n = config.numModalities();
        this.monitors = new ModalityMonitor[n];
        this.states = new State[n];
        this.reasons = new String[n];
        this.healthyRun = new int[n];
        this.byHand = new boolean[n];
        this.trusted = new boolean[n];
        this.episodes = new Counter[n];
        this.presenceRing = new long[health.window()];
        long forced = 0;
        for (int i = 0; i < n; i++) {
            String name = config.modalities().get(i).name();
            HealthProfile.Modality profile = health.profile() == null ? null : health.profile().modalities().get(name);
            monitors[i] = new ModalityMonitor(config.numClasses(), health, profile);
            states[i] = State.HEALTHY;
            reasons[i] = "";
            trusted[i] = health.trusted().contains(name);
            if (health.mode() == PipelineConfig.Health.Mode.QUARANTINE && health.quarantined().contains(name)) {
                byHand[i] = true;
                states[i] = State.QUARANTINED;
                reasons[i] = "quarantined by hand (modality.health.quarantined)";
                forced |= 1L << i;
            }
        }
        this.quarantined = forced;
        if (forced != 0) {
            // The profile's agreements were measured against every modality; these are compared without some.
            for (int i = 0; i < n; i++) {
                if ((forced & (1L << i)) == 0) {
                    monitors[i].resetAgreement();
                }
            }
        }
        register(registry == null ? new io.micrometer.core.instrument.simple.SimpleMeterRegistry() : registry);
    }

    /** The health of {@code config}'s modalities; its meters go to {@code registry} (null for none). */
    public static ModalityHealth of(PipelineConfig config, MeterRegistry registry) {
        return new ModalityHealth(config, registry);
    }

    public boolean judges() {
        return health.judges();
    }

    /** The modalities quarantined now, a bit per modality index; 0 unless {@code modality.health: quarantine}. */
    public long quarantinedMask() {
        return quarantined;
    }

    /**
     * One event's scores, as its revision 0 is emitted.
     *
     * @param input   every score the event holds, calibrated, whether quarantined or not
     * @param present the modalities it holds, a bit per index
     */
    public synchronized void observe(FusionInput input, long present) {
        if (!health.judges()) {
            return;
        }
        presenceRing[presenceHead] = present;
        presenceHead = (presenceHead + 1) % presenceRing.length;
        presenceCount = Math.min(presenceCount + 1, presenceRing.length);
        double[][] probs = input.probabilities();
        long q = quarantined;
        for (int m = 0; m < monitors.length; m++) {
            if ((present & (1L << m)) == 0 || probs[m] == null || probs[m].length == 0) {
                continue;
            }
            monitors[m].score(probs[m]);
            int a = Agreement.of(input, m, q & ~(1L << m));
            if (a >= 0) {
                monitors[m].agreement(a == 1);
            }
        }
        int worst = mostDisagreeing(q);
        long next = q;
        for (int m = 0; m < monitors.length; m++) {
            if ((present & (1L << m)) == 0 || byHand[m]) {
                continue;
            }
            String problems = monitors[m].problems(m == worst || (q & (1L << m)) != 0);
            next = judged(m, problems, next);
        }
        if (next != q) {
            quarantined = next;
            for (int m = 0; m < monitors.length; m++) {
                if ((next & (1L << m)) == 0) {
                    monitors[m].resetAgreement();
                }
            }
        }
    }

    /** The modality, not quarantined, that disagrees most with the others; -1 if none disagrees. */
    private int mostDisagreeing(long q) {
        int worst = -1;
        double worstDrop = 0;
        for (int m = 0; m < monitors.length; m++) {
            if ((q & (1L << m)) != 0 || !monitors[m].disagrees()) {
                continue;
            }
            double drop = monitors[m].agreementDrop();
            if (worst < 0 || drop > worstDrop) {
                worst = m;
                worstDrop = drop;
            }
        }
        return worst;
    }

    /** Moves modality {@code m} on by its judgement; returns the quarantined mask after it. */
    private long judged(int m, String problems, long q) {
        String name = config.modalities().get(m).name();
        boolean broken = !problems.isEmpty();
        if (states[m] == State.HEALTHY) {
            if (!broken) {
                return q;
            }
            healthyRun[m] = 0;
            reasons[m] = problems;
            if (health.mode() == PipelineConfig.Health.Mode.QUARANTINE && !trusted[m]) {
                states[m] = State.QUARANTINED;
                episodes[m].increment();
                log.warn("Modality {} is quarantined: {}. It is not fused or awaited until it is healthy for {} "
                        + "judgements in a row; predictions list it in 'quarantined'", name, problems,
                        health.releaseScores());
                return q | (1L << m);
            }
            states[m] = State.BROKEN;
            episodes[m].increment();
            log.warn("Modality {} is judged broken: {}. It is still fused ({})", name, problems,
                    trusted[m] ? "modality.health.trusted" : "modality.health: observe");
            return q;
        }
        if (broken) {
            healthyRun[m] = 0;
            reasons[m] = problems;
            return q;
        }
        if (++healthyRun[m] < health.releaseScores()) {
            return q;
        }
        log.info("Modality {} is healthy again after {} judgements in a row ({} before: {}); {}", name,
                healthyRun[m], states[m].name().toLowerCase(Locale.ROOT), reasons[m],
                states[m] == State.QUARANTINED ? "released" : "no longer reported");
        states[m] = State.HEALTHY;
        reasons[m] = "";
        healthyRun[m] = 0;
        return q & ~(1L << m);
    }

    /** Every modality as last judged, in config order. */
    public synchronized List<Status> statuses() {
        List<Status> out = new ArrayList<>(monitors.length);
        for (int m = 0; m < monitors.length; m++) {
            out.add(status(m));
        }
        return out;
    }

    private Status status(int m) {
        ModalityMonitor mon = monitors[m];
        return new Status(config.modalities().get(m).name(), states[m], byHand[m], reasons[m], mon.psi(),
                mon.agreement(), mon.referenceAgreement(), mon.stuckRun(), presence(m), mon.scores(), healthyRun[m]);
    }

    private double presence(int m) {
        if (presenceCount == 0) {
            return Double.NaN;
        }
        int in = 0;
        for (int i = 0; i < presenceCount; i++) {
            in += (presenceRing[i] & (1L << m)) != 0 ? 1 : 0;
        }
        return in / (double) presenceCount;
    }

    /**
     * The quarantined modalities of {@code mask}, each with why, for a prediction's {@code degraded_reason}:
     * e.g. {@code quarantined: acoustic (stuck: the same score 50 times in a row)}.
     */
    public synchronized String describe(long mask) {
        List<String> out = new ArrayList<>();
        for (int m = 0; m < monitors.length; m++) {
            if ((mask & (1L << m)) != 0) {
                out.add(config.modalities().get(m).name() + (reasons[m].isEmpty() ? "" : " (" + reasons[m] + ")"));
            }
        }
        return "quarantined, so not fused or awaited: " + String.join(", ", out);
    }

    private void register(MeterRegistry registry) {
        for (int m = 0; m < monitors.length; m++) {
            final int i = m;
            String name = config.modalities().get(m).name();
            episodes[m] = Counter.builder("latefuse.modality.broken").tag("modality", name)
                    .description("Episodes in which the modality was judged broken (quarantined, or reported under "
                            + "observe or trusted)").register(registry);
            Gauge.builder("latefuse.modality.health", this, h -> h.stateCode(i)).tag("modality", name)
                    .description("0 healthy, 1 judged broken but fused (observe, trusted), 2 quarantined")
                    .register(registry);
            Gauge.builder("latefuse.modality.psi", this, h -> h.read(i, 0)).tag("modality", name)
                    .description("The largest population stability index of a class of the modality's last "
                            + "modality.health.window scores against the reference (NaN until the window is full)")
                    .register(registry);
            Gauge.builder("latefuse.modality.agreement", this, h -> h.read(i, 1)).tag("modality", name)
                    .description("The share of the modality's last modality.health.window scores whose class agreed "
                            + "with the mean of the other modalities present").register(registry);
            Gauge.builder("latefuse.modality.stuck.run", this, h -> h.read(i, 2)).tag("modality", name)
                    .description("How many of the modality's last scores in a row were the same score")
                    .register(registry);
            Gauge.builder("latefuse.modality.presence", this, h -> h.read(i, 3)).tag("modality", name)
                    .description("The share of this instance's last modality.health.window events the modality was "
                            + "present in").register(registry);
        }
    }

    private synchronized double stateCode(int m) {
        return states[m].ordinal();
    }

    private synchronized double read(int m, int what) {
        return switch (what) {
            case 0 -> monitors[m].psi();
            case 1 -> monitors[m].agreement();
            case 2 -> monitors[m].stuckRun();
            default -> presence(m);
        };
    }
}
