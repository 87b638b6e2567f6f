package io.latefuse.scoring;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.fusion.OnnxModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One modality's model in ONNX Runtime: features [B, F] in, class scores [B, C] out, and, when the config names an
 * embedding output, an embedding [B, E] too (written as {@code ModalityScore.embedding}, for intermediate and hybrid
 * fusion). Pure apart from the model; the scorer topology feeds it micro-batches.
 */
public final class ModalityScorer implements BatchScorer, AutoCloseable {
    private final String modality;
    private final OnnxModel model;
    private final String input;
    private final String output;
    private final int features;
    private final int classes;
    private final ScoreType scoreType;
    private final String modelName;
    /** The embedding output, or null; and its length. */
    private final String embedding;
    private final int embeddingSize;

    public ModalityScorer(String modality, OnnxModel model, int classes, ScoreType scoreType) {
        this(modality, model, classes, scoreType, null, 0);
    }

    /**
     * @param embeddingOutput the model's output to write as the embedding, or null; the model must then have exactly
     *                        one other output, the class scores
     */
    public ModalityScorer(String modality, OnnxModel model, int classes, ScoreType scoreType, String embeddingOutput,
                          int embeddingSize) {
        this.modality = modality;
        this.model = model;
        this.classes = classes;
        this.scoreType = scoreType;
        if (model.inputs().size() != 1) {
            throw model.mismatch("must have exactly one input, features float[batch, F]");
        }
        this.input = model.inputs().keySet().iterator().next();
        model.requireMatrix("features", input, true, -1);
        this.features = (int) model.inputs().get(input).getShape()[1];
        if (features <= 0) {
            throw model.mismatch("input '" + input + "' must have a fixed feature width");
        }
        this.embedding = embeddingOutput;
        this.embeddingSize = embeddingOutput == null ? 0 : embeddingSize;
        if (embeddingOutput == null) {
            this.output = model.outputName(Optional.empty());
        } else {
            model.requireMatrix("embedding (embedding.size " + embeddingSize + ")", embeddingOutput, false, embeddingSize);
            List<String> others = model.outputs().keySet().stream().filter(o -> !o.equals(embeddingOutput)).toList();
            if (others.size() != 1) {
                throw model.mismatch("needs exactly one output besides the embedding '" + embeddingOutput
                        + "', the class scores; it has " + others);
            }
            this.output = others.get(0);
        }
        model.requireMatrix("class scores", output, false, classes);
        String file = model.file().getFileName().toString();
        this.modelName = file.endsWith(".onnx") ? file.substring(0, file.length() - 5) : file;
    }

    public static ModalityScorer load(String modality, Path file, int classes, ScoreType scoreType) {
        return load(modality, file, classes, scoreType, null, 0);
    }

    /** Loads the model, with the embedding output the modality's config names (or none). */
    public static ModalityScorer load(String modality, Path file, int classes, ScoreType scoreType,
                                      String embeddingOutput, int embeddingSize) {
        OnnxModel model = OnnxModel.load(file);
        try {
            return new ModalityScorer(modality, model, classes, scoreType, embeddingOutput, embeddingSize);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public String modality() {
        return modality;
    }

    @Override
    public String describe() {
        return "model " + modelName + " (" + model.version() + ")";
    }

    /** The feature length the model takes. */
    @Override
    public int features() {
        return features;
    }

    /** The embedding's length, or 0 when the scorer writes none. */
    public int embeddingSize() {
        return embeddingSize;
    }

    public String modelVersion() {
        return model.version();
    }

    /** Scores one micro-batch of already validated features. */
    @Override
    public List<ModalityScore> score(List<ModalityFeatures> batch) {
        float[] x = new float[batch.size() * features];
        for (int row = 0; row < batch.size(); row++) {
            List<Float> v = batch.get(row).getValues();
            for (int f = 0; f < features; f++) {
                x[row * features + f] = v.get(f);
            }
        }
        Map<String, float[][]> results = model.runAll(Map.of(input, x), Map.of(input, features), batch.size(),
                embedding == null ? java.util.Set.of(output) : java.util.Set.of(output, embedding));
        float[][] y = results.get(output);
        float[][] emb = embedding == null ? null : results.get(embedding);
        List<ModalityScore> out = new ArrayList<>(batch.size());
        for (int row = 0; row < batch.size(); row++) {
            List<Float> s = new ArrayList<>(classes);
            for (int c = 0; c < classes; c++) {
                s.add(y[row][c]);
            }
            ModalityFeatures f = batch.get(row);
            ModalityScore.Builder b = ModalityScore.newBuilder()
                    .setEventId(f.getEventId())
                    .setModality(modality)
                    .setModel(modelName)
                    .setModelVersion(model.version())
                    .setScores(s)
                    .setScoreType(scoreType)
                    .setEventTime(f.getEventTime());
            if (emb != null) {
                List<Float> e = new ArrayList<>(embeddingSize);
                for (int k = 0; k < embeddingSize; k++) {
                    e.add(emb[row][k]);
                }
                b.setEmbedding(e);
            }
            out.add(b.build());
        }
        return out;
    }

    @Override
    public void close() {
        model.close();
    }
}
