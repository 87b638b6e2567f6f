package io.latefuse.fusion;

/**
 * The calibrated evidence for one event, indexed by modality in config order.
 *
 * @param probabilities per modality, calibrated class probabilities; {@code null} where the modality is missing, and
 *                      empty where it is present without scores (early fusion)
 * @param confidences   per modality, the model's own reliability estimate, or NaN when it gave none or is missing
 * @param embeddings    per modality, an optional embedding for intermediate or hybrid fusion, or under early fusion
 *                      the modality's features; {@code null} where there is none (all {@code null} when the array is)
 */
public record FusionInput(double[][] probabilities, double[] confidences, float[][] embeddings) {

    public FusionInput {
        if (embeddings == null) {
            embeddings = new float[probabilities.length][]; // none for any modality
        }
    }

    public FusionInput(double[][] probabilities) {
        this(probabilities, nanArray(probabilities.length), new float[probabilities.length][]);
    }

    public int numModalities() {
        return probabilities.length;
    }

    /** The number of classes, read from the first present modality. */
    public int numClasses() {
        for (double[] p : probabilities) {
            if (p != null) {
                return p.length;
            }
        }
        throw new IllegalArgumentException("fusion needs at least one present modality");
    }

    public boolean present(int modality) {
        return probabilities[modality] != null;
    }

    /** The mask: 1 where a modality is present. */
    public float[] mask() {
        float[] m = new float[probabilities.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = probabilities[i] == null ? 0f : 1f;
        }
        return m;
    }

    private static double[] nanArray(int n) {
        double[] d = new double[n];
        java.util.Arrays.fill(d, Double.NaN);
        return d;
    }
}
