package io.latefuse.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * How late each modality's score comes after its event's first score, from the times the scores were written
 * (their Kafka timestamps), and what each {@code max.wait} would give: the data to choose {@code max.wait} from.
 * An event counts from its first score, of any modality (as its deadline does); a modality with no score for it
 * never came.
 *
 * <p>It models the app's rule for required and optional modalities (docs/DESIGN.md, "Required and optional
 * modalities"): an optional modality is awaited only while a required one is still missing. Once every required
 * score is in, the event waits at most {@code optional.wait} for the optional ones (0: it is answered at once),
 * then is answered COMPLETE without those still absent. Only an event that a required modality has not come for by
 * {@code max.wait} waits out its deadline (DEGRADED). So the advice and the whole events' completeness come from
 * the required modalities only; an optional modality's completeness is the share of its scores that came before
 * their event was answered.
 */
public final class ArrivalDelays {
    private final List<String> modalities;
    private final boolean[] required;
    private final long optionalWaitMs;
    /** Per modality, the delays of the scores that came, in ms, sorted. */
    private final long[][] delays;
    /** Per modality, the events it never came for. */
    private final int[] never;
    /** Per event, the delay of its last required score that came, sorted. */
    private final long[] lastRequiredDelay;
    private final int events;
    private final int eventsMissingSome;
    private final int eventsMissingRequired;
    /** Per event (unsorted, one index across the arrays): the delay of its last required score that came. */
    private final long[] eventRequiredLast;
    /** Per event: whether every required modality came for it. */
    private final boolean[] eventAllRequired;
    /** Per event: the delay of its last optional score, Long.MAX_VALUE when an optional one never came, -1 for none. */
    private final long[] eventOptionalLast;
    /** Per modality, per event: its delay, or -1 when it never came. */
    private final long[][] eventDelay;
    private final int leftOut;

    /** Every modality required: an event waits for each until {@code max.wait}. */
    public ArrivalDelays(List<String> modalities, Map<String, long[]> written, long horizon) {
        this(modalities, Collections.nCopies(modalities.size(), true), 0, written, horizon);
    }

    /**
     * @param required       per modality (config order), whether it is required; at least one must be
     * @param optionalWaitMs {@code optional.wait}: once every required score is in, how long the event waits for the
     *                       optional ones
     * @param written        per event id, per modality (config order), when its first score was written, or -1 for
     *                       none
     * @param horizon        events first seen within this many ms of the last score read are left out: their slow
     *                       scores may not have been written yet
     */
    public ArrivalDelays(List<String> modalities, List<Boolean> required, long optionalWaitMs,
                         Map<String, long[]> written, long horizon) {
        this.modalities = List.copyOf(modalities);
        int n = modalities.size();
        if (required.size() != n) {
            throw new IllegalArgumentException(required.size() + " required flags for " + n + " modalities");
        }
        this.required = new boolean[n];
        boolean anyRequired = false;
        for (int m = 0; m < n; m++) {
            this.required[m] = required.get(m);
            anyRequired |= this.required[m];
        }
        if (n > 0 && !anyRequired) {
            throw new IllegalArgumentException("at least one modality must be required");
        }
        if (optionalWaitMs < 0) {
            throw new IllegalArgumentException("optional.wait " + optionalWaitMs + " ms is negative");
        }
        this.optionalWaitMs = optionalWaitMs;
        long end = Long.MIN_VALUE;
        for (long[] t : written.values()) {
            for (long v : t) {
                end = Math.max(end, v);
            }
        }
        List<List<Long>> perModality = new ArrayList<>();
        List<List<Long>> perEvent = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            perModality.add(new ArrayList<>());
            perEvent.add(new ArrayList<>());
        }
        int[] neverCount = new int[n];
        List<Long> requiredLast = new ArrayList<>();
        List<Boolean> allRequired = new ArrayList<>();
        List<Long> optionalLast = new ArrayList<>();
        int missingSome = 0;
        int missingRequired = 0;
        int out = 0;
        for (long[] t : written.values()) {
            long first = Long.MAX_VALUE;
            for (long v : t) {
                if (v >= 0) {
                    first = Math.min(first, v);
                }
            }
            if (first == Long.MAX_VALUE) {
                continue;
            }
            if (first > end - horizon) {
                out++;
                continue;
            }
            long lastRequired = 0;
            long lastOptional = -1;
            boolean all = true;
            boolean allReq = true;
            for (int m = 0; m < n; m++) {
                if (t[m] < 0) {
                    neverCount[m]++;
                    all = false;
                    perEvent.get(m).add(-1L);
                    if (this.required[m]) {
                        allReq = false;
                    } else {
                        lastOptional = Long.MAX_VALUE;
                    }
                } else {
                    long d = t[m] - first;
                    perModality.get(m).add(d);
                    perEvent.get(m).add(d);
                    if (this.required[m]) {
                        lastRequired = Math.max(lastRequired, d);
                    } else {
                        lastOptional = Math.max(lastOptional, d);
                    }
                }
            }
            requiredLast.add(lastRequired);
            allRequired.add(allReq);
            optionalLast.add(lastOptional);
            if (!all) {
                missingSome++;
            }
            if (!allReq) {
                missingRequired++;
            }
        }
        this.delays = new long[n][];
        this.eventDelay = new long[n][];
        for (int m = 0; m < n; m++) {
            delays[m] = perModality.get(m).stream().mapToLong(Long::longValue).sorted().toArray();
            eventDelay[m] = perEvent.get(m).stream().mapToLong(Long::longValue).toArray();
        }
        this.never = neverCount;
        this.eventRequiredLast = requiredLast.stream().mapToLong(Long::longValue).toArray();
        this.lastRequiredDelay = Arrays.stream(eventRequiredLast).sorted().toArray();
        this.eventOptionalLast = optionalLast.stream().mapToLong(Long::longValue).toArray();
        this.eventAllRequired = new boolean[allRequired.size()];
        for (int e = 0; e < eventAllRequired.length; e++) {
            eventAllRequired[e] = allRequired.get(e);
        }
        this.events = eventRequiredLast.length;
        this.eventsMissingSome = missingSome;
        this.eventsMissingRequired = missingRequired;
        this.leftOut = out;
    }

    public List<String> modalities() {
        return modalities;
    }

    /** Whether modality {@code m} is required: the event waits for it until {@code max.wait}. */
    public boolean required(int m) {
        return required[m];
    }

    /** Whether any modality is optional. */
    public boolean hasOptional() {
        for (boolean r : required) {
            if (!r) {
                return true;
            }
        }
        return false;
    }

    /** {@code optional.wait}, in ms. */
    public long optionalWaitMs() {
        return optionalWaitMs;
    }

    /** Events judged. */
    public int events() {
        return events;
    }

    /** Events left out: first seen too near the end of what was read. */
    public int leftOut() {
        return leftOut;
    }

    /** The share of events that modality {@code m} never came for. */
    public double neverShare(int m) {
        return events == 0 ? Double.NaN : (double) never[m] / events;
    }

    /** The share of events that lack at least one modality, required or optional, whatever the wait. */
    public double missingSomeShare() {
        return events == 0 ? Double.NaN : (double) eventsMissingSome / events;
    }

    /** The share of events that lack at least one required modality: each waits out its deadline (DEGRADED). */
    public double missingRequiredShare() {
        return events == 0 ? Double.NaN : (double) eventsMissingRequired / events;
    }

    /** Modality {@code m}'s delay at quantile {@code q} (nearest rank), over the scores that came; -1 if none came. */
    public long quantile(int m, double q) {
        return quantile(delays[m], q);
    }

    /**
     * Of the scores of modality {@code m} that came, the share in their event's answer at a {@code max.wait} of
     * {@code waitMs}: for a required modality, those that came within it; for an optional one, those that came by
     * the time their event was answered (see {@link #answeredAt}).
     */
    public double completeness(int m, long waitMs) {
        if (required[m]) {
            return within(delays[m], waitMs);
        }
        if (delays[m].length == 0) {
            return Double.NaN;
        }
        int in = 0;
        for (int e = 0; e < events; e++) {
            long d = eventDelay[m][e];
            if (d >= 0 && d <= answeredAt(e, waitMs)) {
                in++;
            }
        }
        return (double) in / delays[m].length;
    }

    /**
     * Of the events, the share whose every required score that came, came within {@code waitMs}: answered COMPLETE
     * by it, or DEGRADED only for a required modality that never came. Optional modalities hold no event up.
     */
    public double completeness(long waitMs) {
        return within(lastRequiredDelay, waitMs);
    }

    /**
     * Of the events, the share answered without modality {@code m}'s score at a {@code max.wait} of {@code waitMs}:
     * it never came, or came after the event was answered. For an optional modality, the events that do not wait
     * for it.
     */
    public double answeredWithoutShare(int m, long waitMs) {
        if (events == 0) {
            return Double.NaN;
        }
        int without = 0;
        for (int e = 0; e < events; e++) {
            long d = eventDelay[m][e];
            if (d < 0 || d > answeredAt(e, waitMs)) {
                without++;
            }
        }
        return (double) without / events;
    }

    /**
     * The mean wait a {@code max.wait} of {@code waitMs} costs an event, after its first score. An event whose every
     * required modality came within it is answered once the last of them is in, or, with optional modalities still
     * absent, when they are all in or {@code optional.wait} later, whichever is first (never past the wait). Else a
     * required score is missing at the wait, and the event waits out its deadline.
     */
    public double meanWait(long waitMs) {
        if (events == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (int e = 0; e < events; e++) {
            sum += answeredAt(e, waitMs);
        }
        return sum / events;
    }

    /**
     * The least {@code max.wait} that gives {@code target} completeness (events whose every required score that
     * came, came within it), rounded up to {@code stepMs}; -1 if no event was judged. Optional modalities' delays do
     * not count: no event waits for them past its last required score and {@code optional.wait}.
     */
    public long recommend(double target, long stepMs) {
        if (events == 0) {
            return -1;
        }
        long q = quantile(lastRequiredDelay, target);
        return (q + stepMs - 1) / stepMs * stepMs;
    }

    /** When event {@code e} is answered, after its first score, at a {@code max.wait} of {@code waitMs}: the app's rule. */
    private long answeredAt(int e, long waitMs) {
        long req = eventRequiredLast[e];
        if (!eventAllRequired[e] || req > waitMs) {
            return waitMs; // a required score is missing at the deadline: DEGRADED
        }
        long optional = eventOptionalLast[e];
        if (optional <= req) {
            return req; // no optional modality, or every optional one is already in
        }
        // Every required score is in: wait at most optional.wait for the optional ones, never past the deadline.
        long giveUp = optionalWaitMs >= waitMs - req ? waitMs : req + optionalWaitMs;
        return Math.min(giveUp, optional);
    }

    private static long quantile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
    }

    private static double within(long[] sorted, long waitMs) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = Arrays.binarySearch(sorted, waitMs);
        if (i < 0) {
            i = -i - 1;
        } else {
            while (i < sorted.length && sorted[i] == waitMs) {
                i++;
            }
        }
        return (double) i / sorted.length;
    }
}
