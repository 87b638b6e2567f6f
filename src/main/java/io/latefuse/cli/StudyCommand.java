package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.training.DigitsStudy;
import io.latefuse.training.FeatureRows;
import io.latefuse.training.LabelledScores;
import io.latefuse.training.SyntheticDdsd;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The evaluation studies, end to end from latefuse's own commands: per-modality scores, then {@code train} with and
 * without modality dropout on the validation split, then {@code evaluate} on the test split.
 */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = "Run an evaluation study end to end: per-modality scores, train heads with and without dropout, evaluate.",
        subcommands = {StudyCommand.Digits.class, StudyCommand.Ddsd.class, HealthStudyCommand.class})
final class StudyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * A head a study trains: its name (the file, and the report's row), its data, and the train flags beyond
     * --config, --data, --seed and --out.
     */
    record Head(String name, Path data, List<String> flags) {}

    /**
     * The heads the studies train, each with and without dropout: late and hybrid heads on {@code validation} (they
     * read scores), intermediate heads on {@code embeddingsData}, and, where the data has features
     * ({@code featuresData} not null), early heads on it; MLPs of {@code hidden} units trained for {@code epochs}.
     */
    static List<Head> heads(Path validation, Path embeddingsData, Path featuresData, int hidden, int epochs) {
        List<String> mlp = List.of("--hidden", Integer.toString(hidden), "--epochs", Integer.toString(epochs));
        List<Head> heads = new ArrayList<>(List.of(new Head("head-no-dropout", validation, List.of("--dropout", "0")),
                new Head("head-dropout", validation, List.of("--dropout", "0.5")),
                new Head("intermediate-no-dropout", embeddingsData, flags("intermediate", "0", mlp)),
                new Head("intermediate-dropout", embeddingsData, flags("intermediate", "0.5", mlp)),
                new Head("hybrid-no-dropout", validation, flags("hybrid", "0", mlp)),
                new Head("hybrid-dropout", validation, flags("hybrid", "0.5", mlp))));
        if (featuresData != null) {
            heads.add(new Head("early-no-dropout", featuresData, flags("early", "0", mlp)));
            heads.add(new Head("early-dropout", featuresData, flags("early", "0.5", mlp)));
        }
        return heads;
    }

    private static List<String> flags(String level, String dropout, List<String> mlp) {
        List<String> out = new ArrayList<>(List.of("--level", level, "--dropout", dropout));
        out.addAll(mlp);
        return out;
    }

    /** Trains {@code heads} and evaluates them and the closed-form strategies on the test scores. */
    static int trainAndEvaluate(Path config, List<Head> heads, Path test, Path out, long seed, String title) throws Exception {
        List<String> evaluate = new ArrayList<>(List.of("evaluate", "--config", config.toString(), "--data",
                test.toString(), "--report", out.resolve("report").toString(), "--title", title));
        for (Head h : heads) {
            Path file = out.resolve(h.name() + ".onnx");
            List<String> train = new ArrayList<>(List.of("train", "--config", config.toString(), "--data",
                    h.data().toString(), "--seed", Long.toString(seed), "--out", file.toString()));
            train.addAll(h.flags());
            int rc = Main.commandLine().execute(train.toArray(String[]::new));
            if (rc != 0) {
                return rc;
            }
            evaluate.addAll(List.of("--head", file.toString()));
        }
        return Main.commandLine().execute(evaluate.toArray(String[]::new));
    }

    @Command(name = "digits", mixinStandardHelpOptions = true,
            description = "UCI digits, four quadrant views: one ONNX logistic regression per quadrant, then fusion.")
    static final class Digits implements Callable<Integer> {
        @Option(names = "--data", defaultValue = "data/digits.csv.gz", description = "Digits CSV (default ${DEFAULT-VALUE}).")
        Path data;

        @CommandLine.Mixin
        ConfigOption configOption;

        @Option(names = "--out", defaultValue = "target/study/digits", description = "Default ${DEFAULT-VALUE}.")
        Path out;

        @Option(names = "--seed", defaultValue = "7", description = "Split and training seed (default ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() throws Exception {
            ConfigOption.Loaded loaded = configOption.load("digits.yaml");
            PipelineConfig cfg = loaded.config();
            Path config = loaded.fileIn(out, "digits.yaml");
            DigitsStudy.Split split = DigitsStudy.split(DigitsStudy.read(data), seed);
            System.out.printf("Digits: %d train, %d validation, %d test images (stratified, seed %d)%n",
                    split.train().size(), split.validation().size(), split.test().size(), seed);
            List<Path> models = new ArrayList<>();
            for (int q = 0; q < DigitsStudy.VIEWS; q++) {
                models.add(DigitsStudy.trainView(split.train(), q, out.resolve("models").resolve(cfg.modalityNames().get(q) + ".onnx")));
            }
            Path val = out.resolve("validation-scores.csv");
            Path test = out.resolve("test-scores.csv");
            Path trainAndVal = out.resolve("train-and-validation-scores.csv");
            List<LabelledScores.Event> validation = DigitsStudy.score(cfg, models, split.validation());
            LabelledScores.write(val, cfg, validation);
            LabelledScores.write(test, cfg, DigitsStudy.score(cfg, models, split.test()));
            // The intermediate heads fuse the quadrants' embeddings, a projection fitted without labels (principal
            // components), so they may train on the training split too; heads that read scores may not, as the
            // quadrant models' scores on their own training images are overconfident.
            List<LabelledScores.Event> both = new ArrayList<>(DigitsStudy.score(cfg, models, split.train()));
            both.addAll(validation);
            LabelledScores.write(trainAndVal, cfg, both);
            // The test split as the scorers' input, for `produce --features` (docs/models.md, "The digits walkthrough").
            FeatureRows.write(out.resolve("test-features.csv"), DigitsStudy.features(cfg, split.test()));
            // The early heads read the raw pixels, which no model was fitted to either.
            return trainAndEvaluate(config, heads(val, trainAndVal, trainAndVal, 64, 200), test, out, seed,
                    "UCI digits, four quadrant views (test split)");
        }
    }

    /** The DDSD study's embedding length. */
    static final int DDSD_EMBEDDING = 8;

    @Command(name = "ddsd", mixinStandardHelpOptions = true,
            description = "The synthetic DDSD stream: heads trained on one seeded stream, evaluated on another.")
    static final class Ddsd implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOption configOption;

        @Option(names = "--out", defaultValue = "target/study/ddsd", description = "Default ${DEFAULT-VALUE}.")
        Path out;

        @Option(names = "--seed", defaultValue = "7", description = "Default ${DEFAULT-VALUE}; the test stream uses seed + 1.")
        long seed;

        @Option(names = "--events", defaultValue = "4000", description = "Utterances per split (default ${DEFAULT-VALUE}).")
        int events;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            OptionChecks.of(spec).atLeast("--events", 1);
            ConfigOption.Loaded loaded = configOption.load("ddsd.yaml");
            PipelineConfig cfg = loaded.config();
            Path config = loaded.fileIn(out, "ddsd.yaml");
            Path val = out.resolve("validation-scores.csv");
            Path test = out.resolve("test-scores.csv");
            // Embeddings of 8 values per modality, whose acoustic and lexical cues together carry the label.
            LabelledScores.write(val, cfg, new SyntheticDdsd(seed).labelledWithEmbeddings(events, DDSD_EMBEDDING));
            LabelledScores.write(test, cfg, new SyntheticDdsd(seed + 1).labelledWithEmbeddings(events, DDSD_EMBEDDING));
            System.out.printf("Synthetic DDSD: %d validation and %d test utterances (seeds %d and %d)%n", events, events,
                    seed, seed + 1);
            // The synthetic stream has no raw features, so no early heads.
            return trainAndEvaluate(config, heads(val, val, null, 32, 100), test, out, seed, "Synthetic DDSD (test stream)");
        }
    }
}
