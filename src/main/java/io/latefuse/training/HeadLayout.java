package io.latefuse.training;

import io.latefuse.config.FusionLevel;

import java.util.ArrayList;
import java.util.List;

/**
 * How a trained head's input vector is laid out: the head contract's inputs for its level, concatenated in this
 * order, with zeros where a modality is masked.
 * <ul>
 *   <li>late: the scores [N*C], the mask [N];</li>
 *   <li>intermediate: the embeddings [N*E], the mask;</li>
 *   <li>hybrid: the scores, the embeddings, the mask;</li>
 *   <li>early: the features [sum F_i], in modality order, the mask.</li>
 * </ul>
 *
 * @param vectorSizes per modality, the length of the level's vector part: E for every modality (embeddings), or
 *                    each modality's F_i (features); empty for late
 */
public record HeadLayout(FusionLevel level, int n, int c, int[] vectorSizes) {

    public HeadLayout {
        if (level.takesEmbeddings() || level.takesFeatures()) {
            String what = level.takesFeatures() ? "features" : "embeddings";
            if (vectorSizes.length != n || java.util.Arrays.stream(vectorSizes).anyMatch(s -> s < 1)) {
                throw new IllegalArgumentException(level.code() + " fusion needs " + what + " for every modality");
            }
        } else {
            vectorSizes = new int[0];
        }
    }

    /** Embeddings of one length E (intermediate, hybrid), or none (late). */
    public static HeadLayout of(FusionLevel level, int n, int c, int e) {
        int[] sizes = new int[level.takesEmbeddings() ? n : 0];
        java.util.Arrays.fill(sizes, e);
        return new HeadLayout(level, n, c, sizes);
    }

    /** Early fusion over features of these sizes. */
    public static HeadLayout early(int c, int[] featureSizes) {
        return new HeadLayout(FusionLevel.EARLY, featureSizes.length, c, featureSizes.clone());
    }

    private int vectorWidth() {
        return java.util.Arrays.stream(vectorSizes).sum();
    }

    public List<String> inputNames() {
        List<String> names = new ArrayList<>();
        if (level.takesScores()) {
            names.add("scores");
        }
        if (level.takesEmbeddings()) {
            names.add("embeddings");
        }
        if (level.takesFeatures()) {
            names.add("features");
        }
        names.add("mask");
        return names;
    }

    public List<Integer> inputWidths() {
        List<Integer> widths = new ArrayList<>();
        if (level.takesScores()) {
            widths.add(n * c);
        }
        if (vectorSizes.length > 0) {
            widths.add(vectorWidth());
        }
        widths.add(n);
        return widths;
    }

    public int width() {
        return inputWidths().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * One example's input vector: each part for the modalities the mask keeps, zeros for the others.
     *
     * @param scores  [N][C] calibrated probabilities, null where missing (ignored when the level takes none)
     * @param vectors [N][E or F_i], the embeddings or features, null where missing (ignored for late)
     */
    public float[] vector(float[][] scores, float[][] vectors, float[] mask) {
        float[] x = new float[width()];
        int at = 0;
        if (level.takesScores()) {
            for (int i = 0; i < n; i++) {
                if (mask[i] != 0f) {
                    System.arraycopy(scores[i], 0, x, at + i * c, c);
                }
            }
            at += n * c;
        }
        for (int i = 0; i < vectorSizes.length; i++) {
            if (mask[i] != 0f) {
                System.arraycopy(vectors[i], 0, x, at, vectorSizes[i]);
            }
            at += vectorSizes[i];
        }
        System.arraycopy(mask, 0, x, at, n);
        return x;
    }
}
