package io.latefuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.training.LabelledScores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * train --level intermediate and hybrid, as users run them: data whose class is an interaction between the
 * modalities' embeddings, which their scores do not carry. The heads learn it, late fusion cannot, evaluate reports
 * both, and the onnx strategy runs the intermediate head with embeddings only.
 */
class TrainLevelsTest {
    private static final String CONFIG = """
            application.id: levels
            bootstrap.servers: localhost:9092
            schema.registry.url: http://localhost:8081
            classes: [yes, no]
            modalities: [{name: a}, {name: b}]
            strategy: log_odds
            """;

    /** Uninformative scores; each modality's embedding holds a sign, and the class is their product's. */
    private static List<LabelledScores.Event> interaction(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<LabelledScores.Event> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float sa = rnd.nextBoolean() ? 1f : -1f;
            float sb = rnd.nextBoolean() ? 1f : -1f;
            float[][] scores = new float[2][];
            float[][] emb = new float[2][];
            for (int m = 0; m < 2; m++) {
                float p = 0.5f + (float) (rnd.nextDouble() - 0.5) * 0.1f;
                scores[m] = new float[] {p, 1 - p};
                float s = m == 0 ? sa : sb;
                emb[m] = new float[] {s + (float) (rnd.nextDouble() - 0.5) * 0.3f, (float) rnd.nextDouble()};
            }
            out.add(new LabelledScores.Event("e" + i, sa * sb > 0 ? 0 : 1, scores, emb));
        }
        return out;
    }

    /** Each strategy's accuracy, from evaluate's results.json, where both modalities are present. */
    private static Map<String, Double> accuracyWithBoth(Path report) throws java.io.IOException {
        Map<String, Double> out = new java.util.HashMap<>();
        for (JsonNode row : new ObjectMapper().readTree(report.resolve("results.json").toFile()).path("rows")) {
            if (row.path("present").size() == 2) {
                out.put(row.path("strategy").asText(), row.path("accuracy").asDouble());
            }
        }
        return out;
    }

    private static int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(new StringWriter()));
        return cli.execute(args);
    }

    @Test
    void intermediateAndHybridHeadsLearnWhatLateFusionCannot(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("levels.yaml"), CONFIG);
        PipelineConfig cfg = PipelineConfigLoader.load(config, Map.of());
        Path train = dir.resolve("train.csv");
        Path test = dir.resolve("test.avro");
        LabelledScores.write(train, cfg, interaction(800, 1));
        LabelledScores.write(test, cfg, interaction(400, 2));
        for (String level : List.of("intermediate", "hybrid")) {
            assertThat(run("train", "--config", config.toString(), "--data", train.toString(), "--level", level,
                    "--hidden", "16", "--epochs", "60", "--dropout", "0.3", "--out", dir.resolve(level + ".onnx").toString()))
                    .as(level).isZero();
            JsonNode side = new ObjectMapper().readTree(dir.resolve(level + ".json").toFile());
            assertThat(side.path("level").asText()).isEqualTo(level);
            assertThat(side.path("embedding_size").asInt()).isEqualTo(2);
            assertThat(side.path("inputs").path("embeddings").asInt()).isEqualTo(4);
            assertThat(side.path("inputs").has("scores")).isEqualTo(level.equals("hybrid"));
        }
        Path report = dir.resolve("report");
        assertThat(run("evaluate", "--config", config.toString(), "--data", test.toString(), "--head",
                dir.resolve("intermediate.onnx").toString(), "--head", dir.resolve("hybrid.onnx").toString(),
                "--report", report.toString())).isZero();
        Map<String, Double> bothPresent = accuracyWithBoth(report);
        assertThat(bothPresent.get("intermediate")).isGreaterThan(0.9);
        assertThat(bothPresent.get("hybrid")).isGreaterThan(0.9);
        assertThat(bothPresent.get("log_odds")).isLessThan(0.65);

        // At run time: the onnx strategy feeds the intermediate head embeddings and the mask, and no scores.
        PipelineConfig onnx = PipelineConfigLoader.parse(CONFIG.replace("strategy: log_odds", "strategy: onnx\n"
                + "onnx.model: " + dir.resolve("intermediate.onnx") + "\nfusion.level: intermediate"), "test", Map.of());
        try (FusionStrategy head = FusionStrategies.create(onnx)) {
            assertThat(head.embeddingSize()).hasValue(2);
            double[] same = head.fuse(new FusionInput(new double[][] {{0.5, 0.5}, {0.5, 0.5}}, new double[] {Double.NaN, Double.NaN},
                    new float[][] {{1f, 0.5f}, {1f, 0.5f}})).probabilities();
            double[] differ = head.fuse(new FusionInput(new double[][] {{0.5, 0.5}, {0.5, 0.5}}, new double[] {Double.NaN, Double.NaN},
                    new float[][] {{1f, 0.5f}, {-1f, 0.5f}})).probabilities();
            assertThat(same[0]).as("signs agree: yes").isGreaterThan(0.8);
            assertThat(differ[0]).as("signs differ: no").isLessThan(0.2);
            assertThat(same[0] + same[1]).isCloseTo(1.0, within(1e-6));
        }

        // A head whose inputs are not the configured level's stops startup, listing the model's inputs.
        for (String[] wrong : new String[][] {{"intermediate.onnx", "hybrid"}, {"hybrid.onnx", "intermediate"},
                {"intermediate.onnx", "late"}}) {
            PipelineConfig wrongLevel = PipelineConfigLoader.parse(CONFIG.replace("strategy: log_odds", "strategy: onnx\n"
                    + "onnx.model: " + dir.resolve(wrong[0]) + "\nfusion.level: " + wrong[1]), "test", Map.of());
            assertThatThrownBy(() -> FusionStrategies.create(wrongLevel)).as(wrong[0] + " at " + wrong[1])
                    .isInstanceOf(io.latefuse.fusion.OnnxModel.ModelMismatchException.class)
                    .hasMessageContaining("The model has inputs [");
        }
    }

    @Test
    void aLevelThatNeedsEmbeddingsRefusesDataWithoutThem(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("levels.yaml"), CONFIG);
        PipelineConfig cfg = PipelineConfigLoader.load(config, Map.of());
        Path plain = dir.resolve("plain.csv");
        List<LabelledScores.Event> events = new ArrayList<>();
        for (LabelledScores.Event e : interaction(20, 3)) {
            events.add(new LabelledScores.Event(e.eventId(), e.label(), e.scores()));
        }
        LabelledScores.write(plain, cfg, events);
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("train", "--config", config.toString(), "--data", plain.toString(), "--level",
                "intermediate", "--out", dir.resolve("h.onnx").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--level intermediate needs embeddings, and the data has none");
        err.getBuffer().setLength(0);
        assertThat(cli.execute("train", "--config", config.toString(), "--data", plain.toString(), "--level", "early",
                "--out", dir.resolve("h.onnx").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--level early needs every modality's features, and the data has none");

        // A late head on that data, trained and evaluated (with its cost per event): nothing there needs embeddings.
        assertThat(cli.execute("train", "--config", config.toString(), "--data", plain.toString(), "--out",
                dir.resolve("late.onnx").toString())).isZero();
        assertThat(cli.execute("evaluate", "--config", config.toString(), "--data", plain.toString(), "--head",
                dir.resolve("late.onnx").toString())).as(err.toString()).isZero();
    }

    /** As {@link #interaction}, with the signs in raw features instead: 3 for a (the sign first), 1 for b. */
    private static List<LabelledScores.Event> featureInteraction(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<LabelledScores.Event> out = new ArrayList<>();
        for (LabelledScores.Event e : interaction(n, seed)) {
            float[][] f = {{e.embeddings()[0][0], (float) rnd.nextDouble(), (float) rnd.nextDouble()}, {e.embeddings()[1][0]}};
            out.add(new LabelledScores.Event(e.eventId(), e.label(), e.scores(), null, f));
        }
        return out;
    }

    @Test
    void anEarlyHeadLearnsFromFeatures_evaluateFeedsThem_andAnEarlyPipelineServesIt(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("levels.yaml"), CONFIG);
        PipelineConfig cfg = PipelineConfigLoader.load(config, Map.of());
        Path train = dir.resolve("train.csv");
        Path test = dir.resolve("test.avro");
        LabelledScores.write(train, cfg, featureInteraction(800, 1));
        LabelledScores.write(test, cfg, featureInteraction(400, 2));
        assertThat(Files.readAllLines(train).get(0)).endsWith(",a.feat.0,a.feat.1,a.feat.2,b.feat.0");
        assertThat(LabelledScores.read(test, cfg).get(0).features()[0]).hasSize(3);

        String early = CONFIG.replace("modalities: [{name: a}, {name: b}]",
                "modalities: [{name: a, features.size: 3}, {name: b, features.size: 1}]\nfusion.level: early")
                .replace("strategy: log_odds", "strategy: onnx\nonnx.model: " + dir.resolve("early.onnx"));
        Path earlyConfig = dir.resolve("early.yaml");
        Files.writeString(earlyConfig, early);
        Files.writeString(dir.resolve("early.onnx"), ""); // the config wants a readable head; train writes it
        assertThat(run("train", "--config", earlyConfig.toString(), "--data", train.toString(), "--level", "early",
                "--hidden", "16", "--epochs", "60", "--dropout", "0.3", "--out", dir.resolve("early.onnx").toString())).isZero();
        JsonNode side = new ObjectMapper().readTree(dir.resolve("early.json").toFile());
        assertThat(side.path("level").asText()).isEqualTo("early");
        assertThat(side.path("feature_sizes").toString()).isEqualTo("[3,1]");
        assertThat(side.path("inputs").path("features").asInt()).isEqualTo(4);
        assertThat(side.path("inputs").has("scores")).isFalse();

        Path report = dir.resolve("report");
        assertThat(run("evaluate", "--config", config.toString(), "--data", test.toString(), "--head",
                dir.resolve("early.onnx").toString(), "--report", report.toString())).isZero();
        Map<String, Double> bothPresent = accuracyWithBoth(report);
        assertThat(bothPresent.get("early")).isGreaterThan(0.9);
        assertThat(bothPresent.get("log_odds")).isLessThan(0.65);
        // The cost of each level: an early event is two ModalityFeatures records (3 + 1 floats), a late one two
        // ModalityScore records (2 floats each, with their model names): each 5 header bytes and its Avro body.
        Map<String, JsonNode> costs = new java.util.HashMap<>();
        new ObjectMapper().readTree(report.resolve("results.json").toFile()).path("costs")
                .forEach(c -> costs.put(c.path("strategy").asText(), c));
        assertThat(costs.get("early").path("level").asText()).isEqualTo("early");
        assertThat(costs.get("log_odds").path("level").asText()).isEqualTo("late");
        // early: per event 2 x (5 + "eN" + modality + 3 or 1 floats + time); exact sizes depend on the ids' lengths
        assertThat(costs.get("early").path("bytes_per_event").asDouble()).isBetween(2 * 5 + 16.0 + 4 * 4, 70.0);
        assertThat(costs.get("early").path("micros_per_event").asDouble()).isPositive();

        // The early pipeline's strategy runs it on the concatenated features: signs agree, yes; differ, no.
        try (FusionStrategy head = FusionStrategies.create(PipelineConfigLoader.load(earlyConfig, Map.of()))) {
            assertThat(head.takesFeatures()).isTrue();
            double[] same = head.fuse(new FusionInput(new double[][] {{}, {}}, new double[] {Double.NaN, Double.NaN},
                    new float[][] {{1f, 0.5f, 0.5f}, {1f}})).probabilities();
            double[] differ = head.fuse(new FusionInput(new double[][] {{}, {}}, new double[] {Double.NaN, Double.NaN},
                    new float[][] {{1f, 0.5f, 0.5f}, {-1f}})).probabilities();
            assertThat(same[0]).isGreaterThan(0.8);
            assertThat(differ[0]).isLessThan(0.2);
        }

        // Data whose features are not the early config's sizes is refused, naming the modality.
        Path wrong = dir.resolve("wrong.yaml");
        Files.writeString(wrong, early.replace("features.size: 3", "features.size: 4"));
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("train", "--config", wrong.toString(), "--data", train.toString(), "--level", "early",
                "--out", dir.resolve("w.onnx").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("modality a has 3 features, but the config's features.size is 4");
    }
}
