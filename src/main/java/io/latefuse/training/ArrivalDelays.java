package io.latefuse.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How late each modality's score comes after its event's first score, from the times the scores were written
 * (their Kafka timestamps), and what each {@code max.wait} would give: the data to choose {@code max.wait} from.
 * An event counts from its first score; a modality with no score for it never came.
 */
public final class ArrivalDelays {
    private final List<String> modalities;
    /** Per modality, the delays of the scores that came, in ms, sorted. */
    private final long[][] delays;
    /** Per modality, the events it never came for. */
    private final int[] never;
    /** Per event, the delay of its last score, sorted; and whether every modality came. */
    private final long[] lastDelay;
    private final int events;
    private final int eventsMissingSome;
    private final long[] lastDelayOfComplete;
    private final int leftOut;

    /**
     * @param written  per event id, per modality (config order), when its first score was written, or -1 for none
     * @param horizon  events first seen within this many ms of the last score read are left out: their slow scores
     *                 may not have been written yet
     */
    public ArrivalDelays(List<String> modalities, Map<String, long[]> written, long horizon) {
        this.modalities = List.copyOf(modalities);
        int n = modalities.size();
        long end = Long.MIN_VALUE;
        for (long[] t : written.values()) {
            for (long v : t) {
                end = Math.max(end, v);
            }
        }
        List<List<Long>> perModality = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            perModality.add(new ArrayList<>());
        }
        int[] neverCount = new int[n];
        List<Long> last = new ArrayList<>();
        List<Long> lastComplete = new ArrayList<>();
        int missingSome = 0;
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
            long lastOfEvent = 0;
            boolean all = true;
            for (int m = 0; m < n; m++) {
                if (t[m] < 0) {
                    neverCount[m]++;
                    all = false;
                } else {
                    perModality.get(m).add(t[m] - first);
                    lastOfEvent = Math.max(lastOfEvent, t[m] - first);
                }
            }
            last.add(lastOfEvent);
            if (all) {
                lastComplete.add(lastOfEvent);
            } else {
                missingSome++;
            }
        }
        this.delays = new long[n][];
        for (int m = 0; m < n; m++) {
            delays[m] = perModality.get(m).stream().mapToLong(Long::longValue).sorted().toArray();
        }
        this.never = neverCount;
        this.lastDelay = last.stream().mapToLong(Long::longValue).sorted().toArray();
        this.lastDelayOfComplete = lastComplete.stream().mapToLong(Long::longValue).sorted().toArray();
        this.events = lastDelay.length;
        this.eventsMissingSome = missingSome;
        this.leftOut = out;
    }

    public List<String> modalities() {
        return modalities;
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

    /** The share of events that lack at least one modality, whatever the wait. */
    public double missingSomeShare() {
        return events == 0 ? Double.NaN : (double) eventsMissingSome / events;
    }

    /** Modality {@code m}'s delay at quantile {@code q} (nearest rank), over the scores that came; -1 if none came. */
    public long quantile(int m, double q) {
        return quantile(delays[m], q);
    }

    /** Of the scores of modality {@code m} that came, the share that came within {@code waitMs}. */
    public double completeness(int m, long waitMs) {
        return within(delays[m], waitMs);
    }

    /** Of the events, the share whose every score that came, came within {@code waitMs}. */
    public double completeness(long waitMs) {
        return within(lastDelay, waitMs);
    }

    /**
     * The mean wait a {@code max.wait} of {@code waitMs} costs an event: its last score's delay when every modality
     * came within it (it is answered then), else the whole wait (it waits out its deadline).
     */
    public double meanWait(long waitMs) {
        if (events == 0) {
            return Double.NaN;
        }
        double sum = (double) waitMs * eventsMissingSome;
        for (long d : lastDelayOfComplete) {
            sum += Math.min(d, waitMs); // one whose last score comes past the wait is answered at the wait
        }
        return sum / events;
    }

    /**
     * The least {@code max.wait} that gives {@code target} completeness (events whose every score that came, came
     * within it), rounded up to {@code stepMs}; -1 if no event was judged.
     */
    public long recommend(double target, long stepMs) {
        if (events == 0) {
            return -1;
        }
        long q = quantile(lastDelay, target);
        return (q + stepMs - 1) / stepMs * stepMs;
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
