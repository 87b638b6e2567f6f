package io.latefuse.fusion;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.Calibrator;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionResult;
import io.latefuse.fusion.FusionStrategy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a fused prediction of one event is: its arrivals turned into fusion input (calibrated, in config order), and
 * a fusion result turned into a {@link FusedPrediction} (present, missing, status, contributions). Pure, and
 * independent of how the arrivals were joined: the fusion processor and the benchmark's DSL baseline both use it,
 * so that they fuse alike.
 */
public final class EventFusion {
    private final PipelineConfig config;
    private final FusionStrategy strategy;
    private final Calibrator[] calibrators;
    private final Presence presence;
    private static final double[] NO_SCORES = new double[0];
    /** The operating points' threshold per mask of modalities present; empty without operating points. */
    private final Map<Long, Double> thresholds = new java.util.HashMap<>();
    private final int positive;

    public EventFusion(PipelineConfig config, FusionStrategy strategy) {
        this.config = config;
        this.strategy = strategy;
        int n = config.numModalities();
        this.calibrators = new Calibrator[n];
        this.presence = new Presence(config);
        for (int i = 0; i < n; i++) {
            calibrators[i] = new Calibrator(config.modalities().get(i).calibration());
        }
        io.latefuse.config.OperatingPoints points = config.operatingPoints();
        this.positive = points == null ? -1 : config.classes().indexOf(points.positiveClass());
        if (points != null) {
            thresholds.putAll(thresholdsByMask(config, points));
        }
    }

    /** The thresholds of the subsets that have their own, by mask of the modalities present. */
    public static Map<Long, Double> thresholdsByMask(PipelineConfig config, io.latefuse.config.OperatingPoints points) {
        Map<Long, Double> out = new java.util.HashMap<>();
        for (io.latefuse.config.OperatingPoints.Subset s : points.subsets()) {
            long mask = 0;
            for (String m : s.present()) {
                mask |= 1L << config.modalityIndex(m);
            }
            out.put(mask, s.threshold());
        }
        return out;
    }

    /** The threshold for the modalities in {@code mask}: their own, or the global one. */
    private float threshold(long mask) {
        Double t = thresholds.get(mask);
        return (float) (t != null ? t : config.operatingPoints().globalThreshold());
    }

    public FusionStrategy strategy() {
        return strategy;
    }

    /** A bit per modality index: which have arrived. Scores of a modality the config does not have count for none. */
    /** Which modalities an event has, which are required, and their names. */
    public Presence presence() {
        return presence;
    }

    public long presentMask(EventState state) {
        return presence.mask(state);
    }

    /** Whether every score the state holds is of a configured modality (state from an older config may not be). */
    public boolean knowsAll(EventState state) {
        for (ModalityScore s : state.getArrivals()) {
            if (config.modalityIndex(s.getModality()) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether every required modality is in {@code mask}: the prediction is then COMPLETE. */
    public boolean allRequiredPresent(long mask) {
        return presence.allRequired(mask);
    }

    /** Whether every configured modality is in {@code mask}: no later score can change the prediction. */
    public boolean allPresent(long mask) {
        return presence.allIn(mask);
    }

    /** Whether nothing is left to await: every required modality not quarantined is in {@code mask}. */
    public boolean allRequiredPresent(long mask, long quarantined) {
        return presence.allRequired(mask, quarantined);
    }

    /** Whether every configured modality not quarantined is in {@code mask}. */
    public boolean allPresent(long mask, long quarantined) {
        return presence.allIn(mask, quarantined);
    }

    /**
     * Which of an event's modalities are left out of its fusion: the quarantined ones, unless the event holds no other
     * (it is then fused with what it has, and its prediction still lists them as quarantined).
     */
    public static long excluded(long present, long quarantined) {
        return (present & ~quarantined) == 0 ? 0 : quarantined;
    }

    /** The event's fusion input without its quarantined modalities (see {@link #excluded}). */
    public FusionInput input(EventState state, long quarantined) {
        FusionInput in = input(state);
        quarantined = excluded(presentMask(state), quarantined);
        if (quarantined == 0) {
            return in;
        }
        for (int m = 0; m < config.numModalities(); m++) {
            if ((quarantined & (1L << m)) != 0) {
                in.probabilities()[m] = null;
                in.confidences()[m] = Double.NaN;
                in.embeddings()[m] = null;
            }
        }
        return in;
    }

    public FusionInput input(EventState state) {
        int n = config.numModalities();
        double[][] probs = new double[n][];
        double[] conf = new double[n];
        java.util.Arrays.fill(conf, Double.NaN);
        float[][] emb = new float[n][];
        for (ModalityScore s : state.getArrivals()) {
            int m = config.modalityIndex(s.getModality());
            if (m < 0) {
                continue;
            }
            // An early-fusion arrival has features (as its embedding) and no scores: it is present, with no evidence
            // of its own for the strategy but the features the head reads.
            probs[m] = s.getScores().isEmpty() ? NO_SCORES : calibrators[m].probabilities(s.getScores(), s.getScoreType());
            if (s.getConfidence() != null) {
                conf[m] = s.getConfidence();
            }
            if (s.getEmbedding() != null) {
                float[] e = new float[s.getEmbedding().size()];
                for (int k = 0; k < e.length; k++) {
                    e[k] = s.getEmbedding().get(k);
                }
                emb[m] = e;
            }
        }
        return new FusionInput(probs, conf, emb);
    }

    public FusedPrediction prediction(EventState state, FusionResult result, int revision, long emittedAtWallMs) {
        return prediction(state, result, revision, emittedAtWallMs, 0);
    }

    /**
     * The prediction of a fusion result made without the modalities in {@code quarantined}: they are listed in
     * {@code quarantined} (null when there are none), in neither {@code present} nor {@code missing} (unless the event
     * holds no other modality: see {@link #excluded}); and it is DEGRADED when a required modality is quarantined or
     * missing.
     */
    public FusedPrediction prediction(EventState state, FusionResult result, int revision, long emittedAtWallMs,
                                      long quarantined) {
        long held = presentMask(state);
        long mask = held & ~excluded(held, quarantined);
        List<String> present = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Map<String, Float> contributions = new LinkedHashMap<>();
        for (int i = 0; i < config.numModalities(); i++) {
            String name = config.modalities().get(i).name();
            if ((mask & (1L << i)) != 0) {
                present.add(name);
                contributions.put(name, (float) result.contributions()[i]);
            } else if ((quarantined & (1L << i)) == 0) {
                missing.add(name);
            }
        }
        List<Float> scores = new ArrayList<>(result.probabilities().length);
        for (double p : result.probabilities()) {
            scores.add((float) p);
        }
        FusedPrediction.Builder out = FusedPrediction.newBuilder();
        if (positive >= 0) {
            // The decision at the threshold of the modalities present, compared as the floats the prediction
            // carries, so that a consumer who checks scores[positive] >= threshold agrees with it.
            io.latefuse.config.OperatingPoints points = config.operatingPoints();
            float t = threshold(mask);
            out.setDecision(scores.get(positive) >= t ? points.positiveClass() : points.negativeClass(config.classes()))
                    .setThreshold(t).setOperatingPoint(points.name());
        }
        return out
                .setEventId(state.getEventId())
                .setLabel(config.classes().get(result.argmax()))
                .setScores(scores)
                .setStatus(allRequiredPresent(mask & ~quarantined) ? PredictionStatus.COMPLETE : PredictionStatus.DEGRADED)
                .setQuarantined(quarantined == 0 ? null : presence.names(quarantined, true))
                .setRevision(revision)
                .setPresent(present)
                .setMissing(missing)
                .setStrategy(strategy.name())
                .setFusionModelVersion(strategy.modelVersion())
                .setEventTime(Instant.ofEpochMilli(state.getEventTime()))
                .setFirstArrival(Instant.ofEpochMilli(state.getFirstArrival()))
                .setEmittedAt(Instant.ofEpochMilli(emittedAtWallMs))
                .setWaitMs(Math.max(0, emittedAtWallMs - state.getFirstArrival()))
                .setContributions(contributions)
                .build();
    }
}
