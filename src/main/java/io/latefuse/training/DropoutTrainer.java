package io.latefuse.training;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains a {@link FusionHead} with modality dropout: in every epoch each example's present modalities are masked
 * independently with probability {@code dropout}, never all of them, so that the head learns to fuse whatever
 * subset arrives. Fitted by {@link SoftmaxRegression}: the same seed gives the same head.
 */
public final class DropoutTrainer {

    /** One labelled example: per-modality probabilities in config order, null where the modality is missing. */
    public record Example(float[][] scores, int label) {}

    public record Settings(double dropout, long seed, int epochs, double learningRate, double l2) {
        public Settings {
            if (dropout < 0 || dropout >= 1) {
                throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
            }
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
            }
        }

        public static Settings of(double dropout, long seed) {
            return new Settings(dropout, seed, 400, 0.05, 1e-4);
        }
    }

    private DropoutTrainer() {}

    /**
     * The mask one example gets in one epoch: each present modality is kept with probability 1 - p; if none is
     * left, one present modality, chosen at random, is kept.
     */
    public static float[] dropoutMask(float[][] scores, double p, SplittableRandom rnd) {
        float[] mask = new float[scores.length];
        List<Integer> present = new ArrayList<>();
        int kept = 0;
        for (int i = 0; i < scores.length; i++) {
            if (scores[i] != null) {
                present.add(i);
                if (rnd.nextDouble() >= p) {
                    mask[i] = 1f;
                    kept++;
                }
            }
        }
        if (kept == 0) {
            mask[present.get(rnd.nextInt(present.size()))] = 1f;
        }
        return mask;
    }

    public static float[] presentMask(float[][] scores) {
        float[] mask = new float[scores.length];
        for (int i = 0; i < scores.length; i++) {
            mask[i] = scores[i] == null ? 0f : 1f;
        }
        return mask;
    }

    public static FusionHead train(List<Example> data, int modalities, int classes, Settings s) {
        if (data.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        for (Example e : data) {
            if (e.scores().length != modalities) {
                throw new IllegalArgumentException("an example has " + e.scores().length + " modalities, expected " + modalities);
            }
            if (e.label() < 0 || e.label() >= classes) {
                throw new IllegalArgumentException("label " + e.label() + " is outside 0.." + (classes - 1));
            }
            if (presentCount(e.scores()) == 0) {
                throw new IllegalArgumentException("an example has no modality present");
            }
        }
        int[] labels = data.stream().mapToInt(Example::label).toArray();
        SplittableRandom rnd = new SplittableRandom(s.seed());
        // Called in a fixed order (epoch by epoch, example by example), so the masks follow from the seed.
        SoftmaxRegression.Features x = (epoch, i) -> {
            float[][] scores = data.get(i).scores();
            float[] mask = s.dropout() > 0 ? dropoutMask(scores, s.dropout(), rnd) : presentMask(scores);
            return FusionHead.features(scores, mask, modalities, classes);
        };
        SoftmaxRegression.Weights w = SoftmaxRegression.fit(FusionHead.featureCount(modalities, classes), classes,
                labels, x, new SoftmaxRegression.Settings(s.epochs(), s.learningRate(), s.l2()));
        return new FusionHead(modalities, classes, w.w(), w.b());
    }

    private static int presentCount(float[][] scores) {
        int c = 0;
        for (float[] s : scores) {
            if (s != null) {
                c++;
            }
        }
        return c;
    }
}
