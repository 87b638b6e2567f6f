package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.training.LabelledScores;
import io.latefuse.training.SyntheticDdsd;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Writes a labelled file from a synthetic generator. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Write labelled per-modality scores from a synthetic generator (the format train and evaluate read).")
final class GenerateCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "The generator: ${COMPLETION-CANDIDATES}.")
    Generator generator;

    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--seed", defaultValue = "1", description = "Default ${DEFAULT-VALUE}. The same seed gives the same file.")
    long seed;

    @Option(names = "--events", defaultValue = "10000", description = "Default ${DEFAULT-VALUE}.")
    int events;

    @Option(names = "--break", description = "A modality whose model breaks, as <modality>:<stuck|swap>@<event>, e.g. "
            + "acoustic:swap@5000: stuck at P(directed) 0.2, or its classes swapped, from that event on.")
    String breakSpec;

    @Option(names = "--out", required = true, description = "The file to write: .csv, or .avro for an Avro data file of LabelledModalityScore.")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    enum Generator { ddsd }

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).atLeast("--events", 1);
        ConfigOption.Loaded loaded = configOption.load("ddsd.yaml");
        PipelineConfig cfg = loaded.config();
        ScoreStream.requireDdsd(cfg, loaded.source());
        SyntheticDdsd.Break broken = null;
        if (breakSpec != null) {
            try {
                broken = SyntheticDdsd.Break.parse(breakSpec);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--break: " + e.getMessage());
            }
        }
        LabelledScores.write(out, cfg, new SyntheticDdsd(seed).withBreak(broken).labelled(events));
        System.out.printf("Wrote %d synthetic DDSD utterances (seed %d) to %s%n", events, seed, out);
        return 0;
    }
}
