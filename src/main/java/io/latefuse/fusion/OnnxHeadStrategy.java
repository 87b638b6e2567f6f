package io.latefuse.fusion;

import io.latefuse.config.FusionLevel;
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
 *   <li>optional input embeddings: float[B, N*E], zeros where missing (intermediate and hybrid heads);</li>
 *   <li>or, for an early-fusion head, instead of scores and embeddings, input features: float[B, sum F_i], each
 *   modality's features in config order, zeros where missing;</li>
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
    /** Early fusion: where each modality's features start in the features input, and its width (0: no features). */
    private final int[] featureOffsets;
    private final int featuresWidth;
    private final FusionLevel level;

    /**
     * A late, intermediate or hybrid head, told apart by its inputs: scores and mask (late), embeddings and mask
     * (intermediate), or all three (hybrid).
     */
    public OnnxHeadStrategy(OnnxModel model, PipelineConfig.OnnxHead head, int modalities, int classes) {
        this(model, head, levelOf(model, head), modalities, classes, new int[0]);
    }

    private static FusionLevel levelOf(OnnxModel model, PipelineConfig.OnnxHead head) {
        if (head.embeddingsInput() == null) {
            return FusionLevel.LATE;
        }
        return model.inputs().containsKey(head.scoresInput()) ? FusionLevel.HYBRID : FusionLevel.INTERMEDIATE;
    }

    /**
     * @param level        what the config says the head fuses; a head whose inputs say otherwise is refused, naming
     *                     its inputs
     * @param featureSizes under early fusion, each modality's feature count F_i
     */
    public OnnxHeadStrategy(OnnxModel model, PipelineConfig.OnnxHead head, FusionLevel level, int modalities,
                            int classes, int[] featureSizes) {
        this.model = model;
        this.head = head;
        this.n = modalities;
        this.c = classes;
        this.level = level;
        this.takesScores = level.takesScores();
        boolean hasScores = model.inputs().containsKey(head.scoresInput());
        if (level == FusionLevel.INTERMEDIATE && hasScores) {
            throw model.mismatch("takes scores (input '" + head.scoresInput() + "'), so it is a hybrid head, but "
                    + "fusion.level is intermediate; set fusion.level: hybrid");
        }
        if (level == FusionLevel.EARLY && hasScores) {
            throw model.mismatch("takes scores (input '" + head.scoresInput() + "'), but fusion.level is early, which "
                    + "feeds features and the mask only");
        }
        if (level.takesEmbeddings() && head.embeddingsInput() == null) {
            throw new IllegalArgumentException("fusion.level " + level.code() + " needs onnx.input.embeddings");
        }
        this.featureOffsets = new int[level.takesFeatures() ? modalities : 0];
        int width = 0;
        if (level.takesFeatures()) {
            if (head.featuresInput() == null || featureSizes.length != modalities) {
                throw new IllegalArgumentException("fusion.level early needs onnx.input.features and each modality's "
                        + "features.size");
            }
            for (int i = 0; i < modalities; i++) {
                featureOffsets[i] = width;
                width += featureSizes[i];
            }
            model.requireMatrix("features (the sum of features.size, " + java.util.Arrays.toString(featureSizes) + ")",
                    head.featuresInput(), true, width);
        }
        this.featuresWidth = width;
        if (takesScores) {
            model.requireMatrix("per-modality scores", head.scoresInput(), true, (long) modalities * classes);
        }
        model.requireMatrix("modality mask", head.maskInput(), true, modalities);
        int e = 0;
        if (head.embeddingsInput() != null) {
            model.requireMatrix("embeddings", head.embeddingsInput(), true, -1);
            long embWidth = model.inputs().get(head.embeddingsInput()).getShape()[1];
            if (embWidth <= 0 || embWidth % modalities != 0) {
                throw model.mismatch("input '" + head.embeddingsInput() + "' must have a fixed width N*E (N = "
                        + modalities + ")");
            }
            e = (int) (embWidth / modalities);
        }
        this.embeddingSize = e;
        for (String input : model.inputs().keySet()) {
            boolean fed = input.equals(head.maskInput()) || (takesScores && input.equals(head.scoresInput()))
                    || input.equals(head.embeddingsInput()) || (featuresWidth > 0 && input.equals(head.featuresInput()));
            if (!fed) {
                throw model.mismatch("has input '" + input + "' that latefuse does not feed at fusion.level "
                        + level.code() + " (configured: " + String.join(", ", fedInputs(head, level)) + ")");
            }
        }
        this.output = model.outputName(Optional.ofNullable(head.output()));
        model.requireMatrix("fused " + (head.outputsLogits() ? "logits" : "probabilities"), output, false, classes);
    }

    private static List<String> fedInputs(PipelineConfig.OnnxHead head, FusionLevel level) {
        List<String> fed = new java.util.ArrayList<>();
        if (level.takesScores()) {
            fed.add(head.scoresInput());
        }
        if (level.takesEmbeddings()) {
            fed.add(head.embeddingsInput());
        }
        if (level.takesFeatures()) {
            fed.add(head.featuresInput());
        }
        fed.add(head.maskInput());
        return fed;
    }

    public static OnnxHeadStrategy load(PipelineConfig config) {
        OnnxModel model = OnnxModel.load(config.onnx().model());
        try {
            int[] featureSizes = config.modalities().stream().mapToInt(PipelineConfig.ModalityConfig::featuresSize).toArray();
            return new OnnxHeadStrategy(model, config.onnx(), config.fusionLevel(), config.numModalities(),
                    config.numClasses(), config.fusionLevel().takesFeatures() ? featureSizes : new int[0]);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public OptionalInt embeddingSize() {
        return embeddingSize == 0 ? OptionalInt.empty() : OptionalInt.of(embeddingSize);
    }

    /** What the head fuses. */
    public FusionLevel level() {
        return level;
    }

    @Override
    public boolean takesFeatures() {
        return featuresWidth > 0;
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
        float[] features = featuresWidth == 0 ? null : new float[b * featuresWidth];
        for (int row = 0; row < b; row++) {
            FusionInput in = batch.get(row);
            for (int i = 0; i < n; i++) {
                double[] p = in.probabilities()[i];
                if (p == null) {
                    continue;
                }
                mask[row * n + i] = 1f;
                if (takesScores) {
                    for (int k = 0; k < c; k++) {
                        scores[(row * n + i) * c + k] = (float) p[k];
                    }
                }
                float[] emb = in.embeddings()[i];
                if (embeddings != null && emb != null) {
                    System.arraycopy(emb, 0, embeddings, (row * n + i) * embeddingSize, embeddingSize);
                }
                if (features != null && emb != null) {
                    System.arraycopy(emb, 0, features, row * featuresWidth + featureOffsets[i], emb.length);
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
        if (features != null) {
            inputs.put(head.featuresInput(), features);
            widths.put(head.featuresInput(), featuresWidth);
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
