package io.latefuse.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * latefuse's own meters, on Micrometer. Shared by all stream threads and the dead-letter handlers; exported with
 * Kafka Streams' client metrics by {@link MetricsServer}.
 */
public final class FusionTelemetry {
    /** The key under which the telemetry travels to the exception handlers through the Streams config. */
    public static final String CONFIG_KEY = "latefuse.telemetry";

    private final MeterRegistry registry;
    private final DistributionSummary waitMs;
    private final AtomicLong pending = new AtomicLong();
    private final Map<String, Counter> missing = new ConcurrentHashMap<>();
    private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>();
    private final Map<String, Counter> predictions = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> arrivalDelays = new ConcurrentHashMap<>();
    private final Map<String, Counter> restored = new ConcurrentHashMap<>();
    private final Counter revisions;
    private final Counter suppressedRevisions;
    private final Counter duplicates;
    private final Counter quarantinedLate;
    private final Counter late;
    private final Counter deadlineVisits;
    private final Counter unconfirmed;
    /** Per task: how far behind the wall clock its input has been read, as its last deadline scan found it. */
    private final Map<String, Long> heldBack = new ConcurrentHashMap<>();

    public FusionTelemetry(MeterRegistry registry) {
        this.registry = registry;
        this.waitMs = DistributionSummary.builder("latefuse.wait")
                .description("From an event's first arrival to its revision-0 prediction")
                .baseUnit("milliseconds")
                .publishPercentileHistogram()
                .minimumExpectedValue(1.0)
                .maximumExpectedValue(120_000.0)
                .serviceLevelObjectives(50, 100, 250, 500, 1000, 2000)
                .register(registry);
        this.revisions = Counter.builder("latefuse.revisions").description("Predictions revised after a late arrival")
                .register(registry);
        this.suppressedRevisions = Counter.builder("latefuse.revisions.suppressed")
                .description("Late arrivals whose revision changed nothing that counts (revision.policy on_change)")
                .register(registry);
        this.quarantinedLate = Counter.builder("latefuse.late.quarantined")
                .description("Late scores of a quarantined modality (modality.health): kept with their event, no "
                        + "revision").register(registry);
        this.duplicates = Counter.builder("latefuse.duplicates")
                .description("Scores for an (event, modality) already held; ignored").register(registry);
        this.late = Counter.builder("latefuse.late.arrivals")
                .description("Scores that arrived after their event was emitted").register(registry);
        this.deadlineVisits = Counter.builder("latefuse.deadline.index.visits")
                .description("Deadline index entries read by punctuations and record-driven checks").register(registry);
        this.unconfirmed = Counter.builder("latefuse.deadlines.unconfirmed")
                .description("DEGRADED predictions emitted after max.holdback, without their input confirmed read past "
                        + "the deadline (a partition whose progress could not be confirmed)").register(registry);
        Gauge.builder("latefuse.input.holdback", heldBack, m -> m.values().stream().mapToLong(Long::longValue).max().orElse(0))
                .description("How far behind the wall clock the input has been read, in the task furthest behind: "
                        + "deadlines on the input clock wait for it")
                .baseUnit("milliseconds")
                .register(registry);
        Gauge.builder("latefuse.pending.events", pending, AtomicLong::get)
                .description("Events waiting for a modality or their deadline")
                .register(registry);
    }

    /** Meters that go nowhere, for tests and tools that do not export metrics. */
    public static FusionTelemetry noop() {
        return new FusionTelemetry(new SimpleMeterRegistry());
    }

    /** The telemetry an app put into its Streams config under {@link #CONFIG_KEY}, or meters that go nowhere. */
    public static FusionTelemetry from(Map<String, ?> configs) {
        return configs.get(CONFIG_KEY) instanceof FusionTelemetry t ? t : noop();
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * Registers the labelled counters at 0 for every status, modality and reason there can be, so that dashboards
     * and alerts see them from the start rather than from the first event that increments them.
     */
    public void registerAtZero(Iterable<String> statuses, Iterable<String> modalities, Iterable<String> reasons) {
        statuses.forEach(this::predictionsCounter);
        modalities.forEach(this::missingCounter);
        modalities.forEach(this::arrivalDelay);
        reasons.forEach(this::deadLetterCounter);
    }

    private DistributionSummary arrivalDelay(String modality) {
        return arrivalDelays.computeIfAbsent(modality, k -> DistributionSummary.builder("latefuse.arrival.delay")
                .tag("modality", k)
                .description("How long after its event's first score this modality's score came (latefuse advise "
                        + "reads the same from the topics)")
                .baseUnit("milliseconds")
                .publishPercentileHistogram()
                .minimumExpectedValue(1.0)
                .maximumExpectedValue(120_000.0)
                .serviceLevelObjectives(50, 100, 250, 500, 1000, 2000)
                .register(registry));
    }

    /** A late score of a quarantined modality: kept, and no revision made. */
    public void quarantinedLateScore() {
        quarantinedLate.increment();
    }

    /** A score read for an event, {@code millis} after the event's first score (0 for that one). */
    public void arrived(String modality, long millis) {
        arrivalDelay(modality).record(Math.max(0, millis));
    }

    private Counter predictionsCounter(String status) {
        return predictions.computeIfAbsent(status, s -> Counter.builder("latefuse.predictions").tag("status", s)
                .description("Revision-0 predictions by status").register(registry));
    }

    private Counter missingCounter(String modality) {
        return missing.computeIfAbsent(modality, k -> Counter.builder("latefuse.missing").tag("modality", k)
                .description("Predictions made without this modality").register(registry));
    }

    private Counter deadLetterCounter(String reason) {
        return deadLetters.computeIfAbsent(reason, r -> Counter.builder("latefuse.dead.letters").tag("reason", r)
                .description("Records sent to the dead-letter topic, by reason").register(registry));
    }

    /** A revision-0 prediction: its status, its wait, and which modalities it went without. */
    public void emitted(String status, long waitMillis, Iterable<String> missingModalities) {
        predictionsCounter(status).increment();
        waitMs.record(waitMillis);
        for (String m : missingModalities) {
            missingCounter(m).increment();
        }
    }

    public void deadLetter(String reason) {
        deadLetterCounter(reason).increment();
    }

    public void revised() {
        revisions.increment();
    }

    public void revisionSuppressed() {
        suppressedRevisions.increment();
    }

    public void duplicate() {
        duplicates.increment();
    }

    public void lateArrival() {
        late.increment();
    }

    public void deadlineIndexVisited() {
        deadlineVisits.increment();
    }

    /** A DEGRADED prediction fired after max.holdback, without its input confirmed read past its deadline. */
    public void deadlineUnconfirmed() {
        unconfirmed.increment();
    }

    /** A task's deadline scan found its input read to {@code millis} behind the wall clock. */
    public void inputHeldBack(String task, long millis) {
        heldBack.put(task, Math.max(0, millis));
    }

    /** The task is closed or moved away: its hold-back no longer counts. */
    public void inputReleased(String task) {
        heldBack.remove(task);
    }

    private Counter restoredCounter(String store) {
        return restored.computeIfAbsent(store, s -> Counter.builder("latefuse.restored.records").tag("store", s)
                .description("Records restored from the changelog into this state store, by an active task "
                        + "(standby updates not counted)").register(registry));
    }

    /** {@code records} more restored into {@code store}; 0 registers the counter, so that it shows before a restore. */
    public void restored(String store, long records) {
        restoredCounter(store).increment(records);
    }

    public void pendingChanged(long delta) {
        pending.addAndGet(delta);
    }
}
