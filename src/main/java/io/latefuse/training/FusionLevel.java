package io.latefuse.training;

import java.util.ArrayList;
import java.util.List;

/**
 * What a trained head fuses, and how its input vector is laid out (the head contract's inputs, concatenated in this
 * order; zeros where a modality is masked):
 * <ul>
 *   <li>{@code LATE}: the scores [N*C] and the mask [N];</li>
 *   <li>{@code INTERMEDIATE}: the embeddings [N*E] and the mask;</li>
 *   <li>{@code HYBRID}: the scores, the embeddings and the mask;</li>
 *   <li>{@code EARLY}: the features concatenated in modality order, and the mask.</li>
 * </ul>
 */
public enum FusionLevel {
    LATE, INTERMEDIATE, HYBRID, EARLY;

    public boolean takesScores() {
        return this == LATE || this == HYBRID;
    }

    public boolean takesEmbeddings() {
        return this == INTERMEDIATE || this == HYBRID;
    }

    /** The input layout for N modalities, C classes and embeddings of E. */
    public Layout layout(int n, int c, int e) {
        if (this == EARLY) {
            throw new IllegalArgumentException("early fusion takes features, whose sizes are per modality");
        }
        if (takesEmbeddings() && e < 1) {
            throw new IllegalArgumentException(name().toLowerCase() + " fusion needs embeddings");
        }
        return new Layout(this, n, c, takesEmbeddings() ? e : 0);
    }

    /** Where each part of a head's input vector is. */
    public record Layout(FusionLevel level, int n, int c, int e) {
        public List<String> inputNames() {
            List<String> names = new ArrayList<>();
            if (level.takesScores()) {
                names.add("scores");
            }
            if (level.takesEmbeddings()) {
                names.add("embeddings");
            }
            names.add("mask");
            return names;
        }

        public List<Integer> inputWidths() {
            List<Integer> widths = new ArrayList<>();
            if (level.takesScores()) {
                widths.add(n * c);
            }
            if (level.takesEmbeddings()) {
                widths.add(n * e);
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
         * @param scores     [N][C] calibrated probabilities, null where missing
         * @param embeddings [N][E], null where missing (ignored when the level takes none)
         */
        public float[] vector(float[][] scores, float[][] embeddings, float[] mask) {
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
            if (level.takesEmbeddings()) {
                for (int i = 0; i < n; i++) {
                    if (mask[i] != 0f) {
                        System.arraycopy(embeddings[i], 0, x, at + i * e, e);
                    }
                }
                at += n * e;
            }
            System.arraycopy(mask, 0, x, at, n);
            return x;
        }
    }
}
