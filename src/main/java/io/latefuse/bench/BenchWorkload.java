package io.latefuse.bench;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;

import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What the benchmark sends: {@code events} events over the modalities, each scored by every modality, except that a
 * seeded share of events lacks one modality entirely ({@code missingFraction}) and another share sends one modality
 * after the deadline ({@code lateFraction}). The same seed gives the same plan, so every variant sees the same input.
 * With {@code embeddingSize} E above 0, every score also carries an embedding of E seeded floats, as a scorer for
 * intermediate or hybrid fusion writes it.
 */
public record BenchWorkload(int events, List<String> modalities, double missingFraction, double lateFraction, long seed,
                            int embeddingSize) {

    /** Scores only. */
    public BenchWorkload(int events, List<String> modalities, double missingFraction, double lateFraction, long seed) {
        this(events, modalities, missingFraction, lateFraction, seed, 0);
    }

    public BenchWorkload {
        modalities = List.copyOf(modalities);
        if (embeddingSize < 0) {
            throw new IllegalArgumentException("embedding size " + embeddingSize + ": must be at least 0");
        }
        if (events <= 0) {
            throw new IllegalArgumentException("events = " + events + ": must be greater than 0");
        }
        if (modalities.size() < 2) {
            throw new IllegalArgumentException("modalities = " + modalities + ": a join needs at least 2");
        }
        if (missingFraction < 0 || lateFraction < 0 || missingFraction + lateFraction > 1) {
            throw new IllegalArgumentException("missing fraction " + missingFraction + " and late fraction "
                    + lateFraction + ": each must be at least 0 and together at most 1");
        }
    }

    /**
     * One event's plan.
     *
     * @param missing the index of the modality never sent, or -1
     * @param late    the index of the modality sent after the deadline, or -1
     */
    public record EventPlan(int index, String id, int missing, int late, double p) {
        public boolean sendsOnTime(int modality) {
            return modality != missing && modality != late;
        }

        /** Every modality arrives on time: the event should come out COMPLETE at once. */
        public boolean complete() {
            return missing < 0 && late < 0;
        }
    }

    public EventPlan plan(int i) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
        double u = r.nextDouble();
        int n = modalities.size();
        int missing = u < missingFraction ? r.nextInt(n) : -1;
        int late = missing < 0 && u < missingFraction + lateFraction ? r.nextInt(n) : -1;
        return new EventPlan(i, "ev-" + i, missing, late, 0.05 + 0.9 * r.nextDouble());
    }

    /** How many modalities of {@code plan} are sent on time. */
    public int onTimeCount(EventPlan plan) {
        int c = 0;
        for (int m = 0; m < modalities.size(); m++) {
            c += plan.sendsOnTime(m) ? 1 : 0;
        }
        return c;
    }

    /** The score modality {@code m} sends for {@code plan}; the event's time is the same for all its modalities. */
    public ModalityScore score(EventPlan plan, int m, long eventTimeMs) {
        float p = (float) Math.min(0.99, Math.max(0.01, plan.p() + 0.1 * (m - (modalities.size() - 1) / 2.0)));
        List<Float> embedding = null;
        if (embeddingSize > 0) {
            SplittableRandom r = new SplittableRandom(seed * 31 + plan.index() * 0x9E3779B97F4A7C15L + m);
            Float[] v = new Float[embeddingSize];
            for (int k = 0; k < v.length; k++) {
                v[k] = (float) r.nextGaussian();
            }
            embedding = List.of(v);
        }
        return ModalityScore.newBuilder()
                .setEventId(plan.id())
                .setModality(modalities.get(m))
                .setModel("bench-" + modalities.get(m))
                .setModelVersion("1")
                .setScores(List.of(p, 1 - p))
                .setScoreType(ScoreType.PROBABILITY)
                .setEventTime(Instant.ofEpochMilli(eventTimeMs))
                .setEmbedding(embedding)
                .build();
    }

    /**
     * The mean bytes on the wire per event over the first {@code sample} events: the key and the value, in the
     * registry wire format, of every score sent on time.
     */
    public double wireBytesPerEvent(org.apache.kafka.common.serialization.Serializer<ModalityScore> values, String topic,
                                    int sample) {
        long bytes = 0;
        int n = Math.min(sample, events);
        for (int i = 0; i < n; i++) {
            EventPlan plan = plan(i);
            for (int m = 0; m < modalities.size(); m++) {
                if (plan.sendsOnTime(m)) {
                    bytes += plan.id().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                            + values.serialize(topic, score(plan, m, 0)).length;
                }
            }
        }
        return (double) bytes / n;
    }
}
