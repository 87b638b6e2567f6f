package io.latefuse.fusion;

import io.latefuse.config.PipelineConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A learned fusion head in ONNX Runtime. Contract (modalities and classes in config order):
 * <ul>
 *   <li>input scores: float[B, N*C], each present modality's calibrated probabilities, zeros where missing (an
 *   intermediate head, which takes embeddings, may leave it out);</li>
 *   <li>input mask: float[B, N], 1 where present;</li>
 *   <li>optional input embeddings: float[B, N*E], zeros where missing;</li>
 *   <li>output: float[B, C], probabilities, or logits when {@code onnx.output.logits} is true.</li>
 * </ul>
 * The events that come due in one punctuation run as one batch. A learned head has no per-modality weights, so
 * the contributions reported are equal shares over the present modalities.
 */
public final class OnnxHeadStrategy implements FusionStrategy {
    public static final String NAME = "onnx";

    private final OnnxModel model;
    private final PipelineConfig.OnnxHead head;
    private final int n;
    private final int c;
    private final String output;
    private final int embeddingSize;
    private final boolean takesScores;

    public OnnxHeadStrategy(OnnxModel model, PipelineConfig.OnnxHead head, int modalities, int classes) {
        this.model = model;
        this.head = head;
        this.n = modalities;
        this.c = classes;
        // An intermediate head takes embeddings and the mask only; every other head takes the scores.
        this.takesScores = head.embeddingsInput() == null || model.inputs().containsKey(head.scoresInput());
        if (takesScores) {
            model.requireMatrix("per-modality scores", head.scoresInput(), true, (long) modalities * classes);
        }
        model.requireMatrix("modality mask", head.maskInput(), true, modalities);
        int e = 0;
        if (head.embeddingsInput() != null) {
            model.requireMatrix("embeddings", head.embeddingsInput(), true, -1);
            long width = model.inputs().get(head.embeddingsInput()).getShape()[1];
            if (width <= 0 || width % modalities != 0) {
                throw model.mismatch("input '" + head.embeddingsInput() + "' must have a fixed width N*E (N = "
                        + modalities + ")");
            }
            e = (int) (width / modalities);
        }
        this.embeddingSize = e;
        for (String input : model.inputs().keySet()) {
            if (!input.equals(head.scoresInput()) && !input.equals(head.maskInput()) && !input.equals(head.embeddingsInput())) {
                throw model.mismatch("has input '" + input + "' that latefuse does not feed (configured: "
                        + head.scoresInput() + ", " + head.maskInput()
                        + (head.embeddingsInput() == null ? "" : ", " + head.embeddingsInput()) + ")");
            }
        }
        this.output = model.outputName(Optional.ofNullable(head.output()));
        model.requireMatrix("fused " + (head.outputsLogits() ? "logits" : "probabilities"), output, false, classes);
    }

    public static OnnxHeadStrategy load(PipelineConfig config) {
        OnnxModel model = OnnxModel.load(config.onnx().model());
        try {
            return new OnnxHeadStrategy(model, config.onnx(), config.numModalities(), config.numClasses());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public OptionalInt embeddingSize() {
        return embeddingSize == 0 ? OptionalInt.empty() : OptionalInt.of(embeddingSize);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String modelVersion() {
        return model.version();
    }

    @Override
    public FusionResult fuse(FusionInput input) {
        return fuseBatch(List.of(input)).get(0);
    }

    @Override
    public List<FusionResult> fuseBatch(List<FusionInput> batch) {
        int b = batch.size();
        float[] scores = new float[b * n * c];
        float[] mask = new float[b * n];
        float[] embeddings = embeddingSize == 0 ? null : new float[b * n * embeddingSize];
        for (int row = 0; row < b; row++) {
            FusionInput in = batch.get(row);
            for (int i = 0; i < n; i++) {
                double[] p = in.probabilities()[i];
                if (p == null) {
                    continue;
                }
                mask[row * n + i] = 1f;
                for (int k = 0; k < c; k++) {
                    scores[(row * n + i) * c + k] = (float) p[k];
                }
                float[] emb = in.embeddings()[i];
                if (embeddings != null && emb != null) {
                    System.arraycopy(emb, 0, embeddings, (row * n + i) * embeddingSize, embeddingSize);
                }
            }
        }
        Map<String, float[]> inputs = new HashMap<>();
        Map<String, Integer> widths = new HashMap<>();
        if (takesScores) {
            inputs.put(head.scoresInput(), scores);
            widths.put(head.scoresInput(), n * c);
        }
        inputs.put(head.maskInput(), mask);
        widths.put(head.maskInput(), n);
        if (embeddings != null) {
            inputs.put(head.embeddingsInput(), embeddings);
            widths.put(head.embeddingsInput(), n * embeddingSize);
        }
        float[][] out = model.run(inputs, widths, b, output);
        List<FusionResult> results = new java.util.ArrayList<>(b);
        for (int row = 0; row < b; row++) {
            results.add(new FusionResult(probabilities(out[row]), equalShares(batch.get(row))));
        }
        return results;
    }

    private double[] probabilities(float[] raw) {
        double[] z = new double[c];
        for (int k = 0; k < c; k++) {
            z[k] = raw[k];
        }
        if (head.outputsLogits()) {
            return Calibrator.softmax(z);
        }
        double sum = 0;
        for (int k = 0; k < c; k++) {
            if (!Double.isFinite(z[k]) || z[k] < -1e-6) {
                throw new IllegalStateException("fusion head " + model.file() + " output " + java.util.Arrays.toString(raw)
                        + " is not a probability vector; if it outputs logits, set onnx.output.logits: true");
            }
            z[k] = Math.max(0, z[k]);
            sum += z[k];
        }
        if (!(sum > 0)) {
            throw new IllegalStateException("fusion head " + model.file() + " output " + java.util.Arrays.toString(raw)
                    + " sums to 0, so it is not a probability vector");
        }
        for (int k = 0; k < c; k++) {
            z[k] /= sum;
        }
        return z;
    }

    private static double[] equalShares(FusionInput in) {
        double[] share = new double[in.numModalities()];
        int present = 0;
        for (int i = 0; i < share.length; i++) {
            if (in.present(i)) {
                present++;
            }
        }
        for (int i = 0; i < share.length; i++) {
            if (in.present(i)) {
                share[i] = 1.0 / present;
            }
        }
        return share;
    }

    @Override
    public void close() {
        model.close();
    }
}
