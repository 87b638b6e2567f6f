package io.latefuse.fusion;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Which of a pipeline's modalities an event has, as a bit per modality index: what the join, event lookup and
 * calibration all judge an event by.
 */
public final class Presence {
    private final PipelineConfig config;
    private final boolean[] required;

    public Presence(PipelineConfig config) {
        this.config = config;
        this.required = new boolean[config.numModalities()];
        for (int i = 0; i < required.length; i++) {
            required[i] = config.modalities().get(i).required();
        }
    }

    /** The modalities an event's arrivals are of. Scores of a modality the config does not have count for none. */
    public long mask(EventState state) {
        long mask = 0;
        for (ModalityScore s : state.getArrivals()) {
            int m = config.modalityIndex(s.getModality());
            if (m >= 0) {
                mask |= 1L << m;
            }
        }
        return mask;
    }

    /** Every configured modality, as a mask. */
    public long all() {
        return required.length == Long.SIZE ? -1L : (1L << required.length) - 1;
    }

    /** Whether every required modality is in {@code mask}: the prediction is then COMPLETE. */
    public boolean allRequired(long mask) {
        for (int i = 0; i < required.length; i++) {
            if (required[i] && (mask & (1L << i)) == 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether nothing is left to await: every required modality not in {@code quarantined} is in {@code mask}
     * (quarantined modalities are not awaited).
     */
    public boolean allRequired(long mask, long quarantined) {
        return allRequired(mask | quarantined);
    }

    /** Whether every configured modality not in {@code quarantined} is in {@code mask}. */
    public boolean allIn(long mask, long quarantined) {
        return allIn((mask | quarantined) & all());
    }

    /** Whether a required modality is in {@code mask}. */
    public boolean anyRequired(long mask) {
        for (int i = 0; i < required.length; i++) {
            if (required[i] && (mask & (1L << i)) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether every configured modality is in {@code mask}: no later score can change the prediction. */
    public boolean allIn(long mask) {
        return Long.bitCount(mask) == required.length;
    }

    /** The names of the modalities in {@code mask} ({@code in}) or not in it, in config order. */
    public List<String> names(long mask, boolean in) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < required.length; i++) {
            if (((mask & (1L << i)) != 0) == in) {
                out.add(config.modalities().get(i).name());
            }
        }
        return out;
    }

    /** The required modalities not in {@code mask}, in config order. */
    public List<String> requiredMissing(long mask) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < required.length; i++) {
            if (required[i] && (mask & (1L << i)) == 0) {
                out.add(config.modalities().get(i).name());
            }
        }
        return out;
    }
}
