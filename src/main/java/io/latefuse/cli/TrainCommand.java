package io.latefuse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latefuse.config.InvalidConfigException;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.training.BinaryMetrics;
import io.latefuse.training.DataFileException;
import io.latefuse.training.DropoutTrainer;
import io.latefuse.training.Evaluation;
import io.latefuse.training.FusionHead;
import io.latefuse.config.FusionLevel;
import io.latefuse.training.HeadLayout;
import io.latefuse.training.LabelledScores;
import io.latefuse.training.MlpHead;
import io.latefuse.training.MlpTrainer;
import io.latefuse.training.SoftmaxRegression;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Trains a fusion head with modality dropout and exports it as ONNX, with a JSON sidecar. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a fusion head on labelled per-modality scores with modality dropout; write ONNX and a JSON sidecar.")
public final class TrainCommand implements Callable<Integer> {

    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--data", required = true,
            description = "Labelled scores: CSV event_id,label,<modality>_<class>... (empty cells where missing; then "
                    + "<modality>.emb.0.. for embeddings, then <modality>.feat.0.. for features), "
                    + "or an Avro data file (.avro) of LabelledModalityScore.")
    Path data;

    @Option(names = "--dropout", defaultValue = "0.5", description = "Probability of masking each modality per example and epoch (default ${DEFAULT-VALUE}); 0 is the no-dropout baseline.")
    double dropout;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}). The same seed gives the same head.")
    long seed;

    @Option(names = "--epochs", defaultValue = "400", description = "Epochs: full-batch for the late head, of --batch-size steps for the MLP (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--l2", defaultValue = "0.001", description = "L2 penalty on the weights (default ${DEFAULT-VALUE}).")
    double l2;

    @Option(names = "--out", required = true, description = "The head's .onnx file; the sidecar is written next to it as .json.")
    Path out;

    @Option(names = "--level", defaultValue = "late", description = "What the head fuses: late (the scores; a linear "
            + "head over scores, mask and their products, as before), intermediate (the embeddings and the mask) or "
            + "hybrid (scores, embeddings and mask) or early (the features and mask), each an MLP (default "
            + "${DEFAULT-VALUE}).")
    String level;

    @Option(names = "--hidden", defaultValue = "32", description = "The MLP's hidden width (default ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--batch-size", defaultValue = "64", description = "The MLP's examples per Adam step (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--learning-rate", defaultValue = "0.01", description = "The MLP's Adam learning rate (default ${DEFAULT-VALUE}).")
    double learningRate;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    PrintStream stdout = System.out;

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).within("--dropout", 0, true, 1, false).atLeast("--epochs", 1).atLeast("--l2", 0)
                .atLeast("--hidden", 1).atLeast("--batch-size", 1).greaterThan("--learning-rate", 0);
        Path config = configOption.path();
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        FusionLevel fusionLevel = level(level);
        List<LabelledScores.Event> events = LabelledScores.read(data, cfg);
        if (fusionLevel != FusionLevel.LATE) {
            return trainMlp(cfg, events, fusionLevel);
        }
        List<DropoutTrainer.Example> examples = new ArrayList<>();
        for (LabelledScores.Event e : events) {
            examples.add(new DropoutTrainer.Example(toFloat(Evaluation.calibrated(cfg, e)), e.label()));
        }
        FusionHead head = DropoutTrainer.train(examples, cfg.numModalities(), cfg.numClasses(),
                new DropoutTrainer.Settings(dropout, seed, epochs, 0.05, l2));
        OnnxGraphs.write(head.toOnnx(), out);

        double[][] p = new double[examples.size()][];
        int[] y = new int[examples.size()];
        for (int i = 0; i < examples.size(); i++) {
            p[i] = head.predict(examples.get(i).scores(), DropoutTrainer.presentMask(examples.get(i).scores()));
            y[i] = examples.get(i).label();
        }
        ObjectNode side = sidecarOf(cfg, FusionLevel.LATE, examples.size()).put("features", "scores, mask, scores x mask");
        double accuracy = writeSidecar(side, p, y);
        stdout.printf("Trained %s on %d rows (dropout %.2f, seed %d): training accuracy %.4f; wrote %s and %s%n",
                out.getFileName(), examples.size(), dropout, seed, accuracy, out, sidecar(out));
        return 0;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What every head's sidecar says: what it fuses, and how it was trained. */
    private ObjectNode sidecarOf(PipelineConfig cfg, FusionLevel fusionLevel, int rows) {
        ObjectNode side = JSON.createObjectNode();
        side.putArray("modalities").addAll(cfg.modalityNames().stream().map(side::textNode).toList());
        side.putArray("classes").addAll(cfg.classes().stream().map(side::textNode).toList());
        side.put("level", fusionLevel.code()).put("dropout", dropout).put("seed", seed)
                .put("epochs", epochs).put("l2", l2).put("training_rows", rows).put("onnx", out.getFileName().toString());
        return side;
    }

    /** Adds the head's metrics on its training rows (all modalities present), writes the sidecar; the accuracy. */
    private double writeSidecar(ObjectNode side, double[][] p, int[] y) throws java.io.IOException {
        double logLoss = 0;
        for (int i = 0; i < p.length; i++) {
            logLoss -= Math.log(Math.max(p[i][y[i]], 1e-12));
        }
        double accuracy = BinaryMetrics.accuracy(p, y);
        side.putObject("metrics").put("training_accuracy", accuracy).put("training_log_loss", logLoss / p.length);
        JSON.writeValue(sidecar(out).toFile(), side);
        return accuracy;
    }

    private static FusionLevel level(String name) {
        FusionLevel l = FusionLevel.of(name);
        if (l == null) {
            throw new InvalidConfigException("--level", List.of("--level = '" + name
                    + "': must be late, intermediate, hybrid or early"));
        }
        return l;
    }

    /** An MLP head over the level's inputs, trained with modality dropout, exported under the head contract. */
    private int trainMlp(PipelineConfig cfg, List<LabelledScores.Event> events, FusionLevel fusionLevel) throws Exception {
        int n = cfg.numModalities();
        int e = LabelledScores.embeddingSize(events);
        if (fusionLevel.takesEmbeddings() && e == 0) {
            throw new DataFileException(data + ": --level " + level + " needs embeddings, and the data has none (CSV "
                    + "columns <modality>.emb.0.., or Avro scores with an embedding)");
        }
        int[] f = LabelledScores.featureSizes(events, n);
        if (fusionLevel.takesFeatures()) {
            checkFeatures(cfg, f);
        }
        HeadLayout layout = fusionLevel.takesFeatures() ? HeadLayout.early(cfg.numClasses(), f)
                : HeadLayout.of(fusionLevel, n, cfg.numClasses(), e);
        java.util.function.IntFunction<float[][]> vectors = fusionLevel.takesFeatures()
                ? i -> events.get(i).features() : i -> events.get(i).embeddings();
        List<float[][]> scores = new ArrayList<>();
        int[] y = new int[events.size()];
        for (int i = 0; i < events.size(); i++) {
            scores.add(toFloat(Evaluation.calibrated(cfg, events.get(i))));
            y[i] = events.get(i).label();
        }
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        // Called in a fixed order (epoch by epoch, example by example), so the masks follow from the seed.
        SoftmaxRegression.Features x = (epoch, i) -> {
            float[][] s = scores.get(i);
            float[] mask = dropout > 0 ? DropoutTrainer.dropoutMask(s, dropout, rnd) : DropoutTrainer.presentMask(s);
            return layout.vector(s, vectors.apply(i), mask);
        };
        MlpHead head = MlpTrainer.fit(layout.width(), cfg.numClasses(), y, x,
                new MlpTrainer.Settings(hidden, epochs, batchSize, learningRate, l2, seed));
        OnnxGraphs.write(head.toOnnx(layout.inputNames(), layout.inputWidths(), "probabilities"), out);

        double[][] p = new double[events.size()][];
        for (int i = 0; i < events.size(); i++) {
            float[][] s = scores.get(i);
            p[i] = head.predict(layout.vector(s, vectors.apply(i), DropoutTrainer.presentMask(s)));
        }
        ObjectNode side = sidecarOf(cfg, fusionLevel, events.size()).put("hidden", hidden)
                .put("batch_size", batchSize).put("learning_rate", learningRate);
        if (fusionLevel.takesEmbeddings()) {
            side.put("embedding_size", e);
        }
        if (fusionLevel.takesFeatures()) {
            side.putArray("feature_sizes").addAll(java.util.Arrays.stream(f).mapToObj(side::numberNode).toList());
        }
        ObjectNode inputs = side.putObject("inputs");
        for (int i = 0; i < layout.inputNames().size(); i++) {
            inputs.put(layout.inputNames().get(i), layout.inputWidths().get(i));
        }
        double accuracy = writeSidecar(side, p, y);
        stdout.printf("Trained %s (%s, MLP hidden %d) on %d rows (dropout %.2f, seed %d): training accuracy %.4f; "
                        + "wrote %s and %s%n", out.getFileName(), side.get("level").asText(), hidden, events.size(),
                dropout, seed, accuracy, out, sidecar(out));
        return 0;
    }

    /**
     * Early fusion needs every modality's features; an early config's {@code features.size} must match them, as
     * the head it serves will be checked against it.
     */
    private void checkFeatures(PipelineConfig cfg, int[] f) {
        for (int m = 0; m < cfg.numModalities(); m++) {
            if (f == null || f[m] == 0) {
                throw new DataFileException(data + ": --level early needs every modality's features, and the data has "
                        + (f == null ? "none" : "none for " + cfg.modalityNames().get(m)) + " (CSV columns "
                        + "<modality>.feat.0.., or Avro records with features)");
            }
        }
        if (cfg.fusionLevel() == FusionLevel.EARLY) {
            for (int m = 0; m < f.length; m++) {
                if (cfg.modalities().get(m).featuresSize() != f[m]) {
                    throw new DataFileException(data + ": modality " + cfg.modalityNames().get(m) + " has " + f[m]
                            + " features, but the config's features.size is " + cfg.modalities().get(m).featuresSize());
                }
            }
        }
    }

    /** head.onnx -> head.json */
    public static Path sidecar(Path onnx) {
        String name = onnx.getFileName().toString();
        String stem = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
        return onnx.resolveSibling(stem + ".json");
    }

    private static float[][] toFloat(double[][] p) {
        float[][] f = new float[p.length][];
        for (int i = 0; i < p.length; i++) {
            if (p[i] != null) {
                f[i] = new float[p[i].length];
                for (int k = 0; k < p[i].length; k++) {
                    f[i][k] = (float) p[i][k];
                }
            }
        }
        return f;
    }
}
