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
        subcommands = {StudyCommand.Digits.class, StudyCommand.Ddsd.class})
final class StudyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Trains the two heads on the validation scores and evaluates everything on the test scores. */
    static int trainAndEvaluate(Path config, Path validation, Path test, Path out, long seed, String title) throws Exception {
        Path noDropout = out.resolve("head-no-dropout.onnx");
        Path dropout = out.resolve("head-dropout.onnx");
        int rc = Main.commandLine().execute("train", "--config", config.toString(), "--data", validation.toString(),
                "--dropout", "0", "--seed", Long.toString(seed), "--out", noDropout.toString());
        rc |= Main.commandLine().execute("train", "--config", config.toString(), "--data", validation.toString(),
                "--dropout", "0.5", "--seed", Long.toString(seed), "--out", dropout.toString());
        if (rc != 0) {
            return rc;
        }
        return Main.commandLine().execute("evaluate", "--config", config.toString(), "--data", test.toString(),
                "--head", noDropout.toString(), "--head", dropout.toString(), "--report", out.resolve("report").toString(),
                "--title", title);
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
            LabelledScores.write(val, cfg, DigitsStudy.score(cfg, models, split.validation()));
            LabelledScores.write(test, cfg, DigitsStudy.score(cfg, models, split.test()));
            // The test split as the scorers' input, for `produce --features` (README, "The digits walkthrough").
            FeatureRows.write(out.resolve("test-features.csv"), DigitsStudy.features(cfg, split.test()));
            return trainAndEvaluate(config, val, test, out, seed, "UCI digits, four quadrant views (test split)");
        }
    }

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

        @Override
        public Integer call() throws Exception {
            ConfigOption.Loaded loaded = configOption.load("ddsd.yaml");
            PipelineConfig cfg = loaded.config();
            Path config = loaded.fileIn(out, "ddsd.yaml");
            Path val = out.resolve("validation-scores.csv");
            Path test = out.resolve("test-scores.csv");
            LabelledScores.write(val, cfg, new SyntheticDdsd(seed).labelled(events));
            LabelledScores.write(test, cfg, new SyntheticDdsd(seed + 1).labelled(events));
            System.out.printf("Synthetic DDSD: %d validation and %d test utterances (seeds %d and %d)%n", events, events,
                    seed, seed + 1);
            return trainAndEvaluate(config, val, test, out, seed, "Synthetic DDSD (test stream)");
        }
    }
}
