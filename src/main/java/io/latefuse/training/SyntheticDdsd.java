package io.latefuse.training;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A synthetic device-directed speech detection stream. Each utterance is directed or not (half and half). Each
 * modality model sees it through its own noise, on top of a difficulty shared by all modalities (a mumbled
 * utterance is hard for every model), and each modality has its own rates of going missing and of arriving late.
 * <p>
 * Modality m's logit for "directed" is {@code y * separation_m + shared + noise_m * N(0,1)}, with y = +1 for
 * directed and -1 otherwise, and shared ~ N(0, 0.6^2); its scores are {@code [sigmoid(logit), 1 - sigmoid(logit)]}
 * in the class order (directed, undirected). The same seed gives the same stream.
 */
public final class SyntheticDdsd {
    public static final double SHARED_DIFFICULTY = 0.6;

    /** How one modality behaves. Rates are per utterance. */
    public record Modality(String name, double separation, double noise, double missingRate, double lateRate) {}

    /** The four DDSD modalities, in the order of config/ddsd.yaml. */
    public static final List<Modality> MODALITIES = List.of(
            new Modality("acoustic", 1.2, 1.0, 0.02, 0.01),   // strong, almost always there
            new Modality("lexical", 1.4, 1.3, 0.05, 0.03),    // strongest, but ASR can fail
            new Modality("prosody", 0.7, 1.0, 0.15, 0.10),    // weak, often times out
            new Modality("visual", 1.0, 1.0, 0.50, 0.05));    // gaze; the camera is off half the time

    /**
     * One utterance.
     *
     * @param scores per modality [directed, undirected], null where missing
     * @param late   per modality, whether its score arrives after the fusion deadline
     */
    public record Utterance(String id, boolean directed, float[][] scores, boolean[] late) {}

    /** How a modality's model breaks: its score stuck at a constant, or its classes swapped (confidently wrong). */
    public enum BreakKind { STUCK, SWAP }

    /**
     * A modality whose model breaks from utterance {@code at} on (0-based).
     *
     * @param stuckAt under {@link BreakKind#STUCK}, the constant probability of "directed" it then gives
     */
    public record Break(String modality, BreakKind kind, long at, float stuckAt) {
        public Break {
            if (MODALITIES.stream().noneMatch(m -> m.name().equals(modality))) {
                throw new IllegalArgumentException("no DDSD modality '" + modality + "' (there are "
                        + MODALITIES.stream().map(Modality::name).toList() + ")");
            }
            if (at < 0) {
                throw new IllegalArgumentException("a break starts at utterance 0 or later, not " + at);
            }
        }

        /** The stuck constant {@code parse} gives: P(directed) = 0.2, as a muted microphone would. */
        public static final float STUCK_AT = 0.2f;

        /**
         * {@code <modality>:<stuck|swap>@<event>}, e.g. {@code acoustic:stuck@10000}: the modality's model breaks from
         * that utterance (0-based) on.
         */
        public static Break parse(String spec) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([A-Za-z0-9_-]+):(stuck|swap)@(\\d+)")
                    .matcher(spec.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + spec + "' is not <modality>:<stuck|swap>@<event>, e.g. "
                        + "acoustic:stuck@10000");
            }
            return new Break(m.group(1), BreakKind.valueOf(m.group(2).toUpperCase(java.util.Locale.ROOT)),
                    Long.parseLong(m.group(3)), STUCK_AT);
        }

        int index() {
            for (int i = 0; i < MODALITIES.size(); i++) {
                if (MODALITIES.get(i).name().equals(modality)) {
                    return i;
                }
            }
            throw new IllegalStateException(modality);
        }
    }

    private final Random rnd;
    private Break broken;
    private int brokenIndex = -1;
    /** The embeddings' own generator, so that the scores of a seed are the same with embeddings or without. */
    private final Random embeddingRnd;
    private long next;

    public SyntheticDdsd(long seed) {
        this.rnd = new Random(seed);
        this.embeddingRnd = new Random(seed ^ 0x5EEDL);
    }

    /** From {@code b.at()} on, modality {@code b.modality()} gives broken scores; the others are unchanged. */
    public SyntheticDdsd withBreak(Break b) {
        this.broken = b;
        this.brokenIndex = b == null ? -1 : b.index();
        return this;
    }

    public Utterance next() {
        long index = next;
        String id = "utt-" + next++;
        boolean directed = rnd.nextBoolean();
        double y = directed ? 1 : -1;
        double shared = rnd.nextGaussian() * SHARED_DIFFICULTY;
        int n = MODALITIES.size();
        float[][] scores = new float[n][];
        boolean[] late = new boolean[n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
            Modality m = MODALITIES.get(i);
            double z = y * m.separation() + shared + m.noise() * rnd.nextGaussian();
            boolean missing = rnd.nextDouble() < m.missingRate();
            late[i] = rnd.nextDouble() < m.lateRate();
            if (!missing) {
                float p = (float) (1 / (1 + Math.exp(-z)));
                p = asBroken(i, index, p);
                scores[i] = new float[] {p, 1 - p};
                any = true;
            }
        }
        if (!any) {
            double z = y * MODALITIES.get(0).separation() + shared + MODALITIES.get(0).noise() * rnd.nextGaussian();
            float p = asBroken(0, index, (float) (1 / (1 + Math.exp(-z))));
            scores[0] = new float[] {p, 1 - p};
        }
        return new Utterance(id, directed, scores, late);
    }

    /** Modality {@code i}'s probability of "directed" for utterance {@code index}, as its model gives it. */
    private float asBroken(int i, long index, float p) {
        if (i != brokenIndex || index < broken.at()) {
            return p;
        }
        return broken.kind() == BreakKind.STUCK ? broken.stuckAt() : 1 - p;
    }

    /** The noise on every embedding value. */
    public static final double EMBEDDING_NOISE = 0.3;

    /**
     * {@code count} utterances as labelled scores with per-modality embeddings of {@code e} values (e at least 1),
     * which carry a cue that no score can see: acoustic's first value is a random sign a, and lexical's is a times
     * y (+1 directed, -1 not). Each alone says nothing; together their product is the label. Every other value, and
     * prosody's and visual's embeddings, are noise. Scores are as {@link #labelled} gives them for the same seed.
     */
    public List<LabelledScores.Event> labelledWithEmbeddings(int count, int e) {
        if (e < 1) {
            throw new IllegalArgumentException("embeddings need at least 1 value, got " + e);
        }
        List<LabelledScores.Event> out = new ArrayList<>(count);
        int n = MODALITIES.size();
        for (int i = 0; i < count; i++) {
            Utterance u = next();
            double y = u.directed() ? 1 : -1;
            double a = embeddingRnd.nextBoolean() ? 1 : -1;
            float[][] emb = new float[n][];
            for (int m = 0; m < n; m++) {
                float[] v = new float[e];
                for (int k = 0; k < e; k++) {
                    v[k] = (float) (embeddingRnd.nextGaussian() * EMBEDDING_NOISE);
                }
                if (m == 0) {
                    v[0] += (float) a;
                } else if (m == 1) {
                    v[0] += (float) (a * y);
                }
                emb[m] = u.scores()[m] == null ? null : v;
            }
            out.add(new LabelledScores.Event(u.id(), u.directed() ? 0 : 1, u.scores(), emb));
        }
        return out;
    }

    /** {@code count} utterances as labelled scores (late scores count as present: they do arrive). */
    public List<LabelledScores.Event> labelled(int count) {
        List<LabelledScores.Event> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Utterance u = next();
            out.add(new LabelledScores.Event(u.id(), u.directed() ? 0 : 1, u.scores()));
        }
        return out;
    }
}
