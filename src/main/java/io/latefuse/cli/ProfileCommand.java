package io.latefuse.cli;

import io.latefuse.config.HealthProfile;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionInput;
import io.latefuse.health.HealthProfiles;
import io.latefuse.training.Evaluation;
import io.latefuse.training.LabelledScores;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Learns the reference that modality.health judges each modality against. */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = {"Learn, on validation data, the reference that modality.health judges each modality against: "
                + "the distribution of its calibrated scores, and how often its class agrees with the other modalities.",
                "Set the file it writes as modality.health.profile."})
final class ProfileCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ConfigOption configOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, description = "Labelled validation scores, as for train and evaluate "
            + "(CSV or .avro), from the models as they serve.")
    Path data;

    @Option(names = "--out", required = true, description = "Where to write the profile (JSON).")
    Path out;

    PrintStream stdout = System.out;

    @Override
    public Integer call() throws Exception {
        PipelineConfig cfg = PipelineConfigLoader.load(configOption.path());
        List<LabelledScores.Event> events = LabelledScores.read(data, cfg);
        List<FusionInput> inputs = new ArrayList<>(events.size());
        for (LabelledScores.Event e : events) {
            inputs.add(Evaluation.input(e, Evaluation.calibrated(cfg, e), Evaluation.present(e), false));
        }
        HealthProfile profile = HealthProfiles.learn(cfg, inputs);
        List<String> problems = profile.problems(cfg.classes(), cfg.modalityNames());
        if (!problems.isEmpty()) {
            spec.commandLine().getErr().println("latefuse profile: did not write " + out + ":\n  - "
                    + String.join("\n  - ", problems));
            return 1;
        }
        profile.write(out);
        stdout.printf(Locale.ROOT, "Profiled %d validation events from %s:%n", events.size(), data);
        stdout.printf(Locale.ROOT, "  %-20s %8s %10s%n", "modality", "scores", "agreement");
        for (String m : cfg.modalityNames()) {
            HealthProfile.Modality p = profile.modalities().get(m);
            if (p == null) {
                stdout.printf(Locale.ROOT, "  %-20s %8s %10s  fewer than %d scores: profiled from its warm-up%n", m,
                        "-", "-", HealthProfiles.MIN_SCORES);
            } else {
                stdout.printf(Locale.ROOT, "  %-20s %8d %10s%n", m, p.scores(),
                        Double.isNaN(p.agreement()) ? "-" : String.format(Locale.ROOT, "%.3f", p.agreement()));
            }
        }
        stdout.println("Wrote " + out + "; set modality.health.profile: " + out + " in the pipeline config.");
        return 0;
    }
}
