package io.latefuse.cli;

import io.latefuse.config.HealthProfile;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.health.HealthProfiles;
import io.latefuse.training.Evaluation;
import io.latefuse.training.HealthStudy;
import io.latefuse.training.LabelledScores;
import io.latefuse.training.SyntheticDdsd;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The modality-health study of docs/EVALUATION.md: a DDSD stream whose {@code --modality} breaks halfway, stuck or
 * swapped, fused with every modality trusted, under quarantine (with a profile from a validation stream, and with
 * a warm-up instead), and without the broken modality; and healthy streams, for false quarantines.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Modality health: a DDSD stream whose modality breaks halfway (stuck, then swapped classes), fused "
                + "trusting it, under quarantine, and without it; and healthy streams, for false quarantines.")
final class HealthStudyCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ConfigOption configOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--events", defaultValue = "20000", description = "Events per stream (default ${DEFAULT-VALUE}); "
            + "the modality breaks halfway.")
    int events;

    @Option(names = "--modality", defaultValue = "acoustic", description = "The modality that breaks (default ${DEFAULT-VALUE}).")
    String modality;

    @Option(names = "--seed", defaultValue = "11", description = "Default ${DEFAULT-VALUE}: the profile's validation "
            + "stream; the broken streams use seed + 1, the healthy ones seed + 2 on.")
    long seed;

    @Option(names = "--healthy-streams", defaultValue = "5", description = "Healthy streams judged for false "
            + "quarantines (default ${DEFAULT-VALUE}).")
    int healthyStreams;

    @Option(names = "--window", defaultValue = "1000", description = "Events per reported window (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--settle", defaultValue = "2000", description = "Accuracy after the break is counted from this many "
            + "events after it (default ${DEFAULT-VALUE}).")
    int settle;

    @Option(names = "--out", defaultValue = "target/study/health", description = "Default ${DEFAULT-VALUE}: results.md.")
    Path out;

    PrintStream stdout = System.out;

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).atLeast("--events", 2).atLeast("--window", 1).atLeast("--healthy-streams", 0)
                .atLeast("--settle", 0);
        ConfigOption.Loaded loaded = configOption.load("ddsd.yaml");
        PipelineConfig base = loaded.config();
        ScoreStream.requireDdsd(base, loaded.source());
        int broken = base.modalityIndex(modality);
        if (broken < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--modality " + modality
                    + " is not one of " + base.modalityNames());
        }
        PipelineConfig.Health keys = base.health();
        List<FusionInput> validation = new ArrayList<>();
        for (LabelledScores.Event e : new SyntheticDdsd(seed).labelled(events)) {
            validation.add(Evaluation.input(e, Evaluation.calibrated(base, e), Evaluation.present(e), false));
        }
        HealthProfile profile = HealthProfiles.learn(base, validation);
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "Modality health study: %d-event DDSD streams, %s breaks at event %d; "
                + "window %d, stuck after %d, max PSI %.2f, max agreement drop %.2f, release after %d", events, modality,
                events / 2, keys.window(), keys.stuckScores(), keys.maxPsi(), keys.maxAgreementDrop(),
                keys.releaseScores()));
        lines.add("");
        lines.add("| break | reference | detected after (events) | false quarantines | accuracy after +" + settle
                + ": off | quarantine | without " + modality + " | quarantine - without (points) |");
        lines.add("|---|---|---:|---:|---:|---:|---:|---:|");
        List<String> details = new ArrayList<>();
        try (FusionStrategy strategy = FusionStrategies.create(base)) {
            for (SyntheticDdsd.BreakKind kind : SyntheticDdsd.BreakKind.values()) {
                for (boolean withProfile : new boolean[] {true, false}) {
                    PipelineConfig cfg = configured(base, withProfile ? profile : null);
                    List<LabelledScores.Event> stream = new SyntheticDdsd(seed + 1).withBreak(
                            new SyntheticDdsd.Break(modality, kind, events / 2, 0.2f)).labelled(events);
                    HealthStudy.Result r = HealthStudy.run(cfg, strategy, stream, broken, events / 2, window, settle);
                    double[] a = r.accuracyAfter();
                    lines.add(String.format(Locale.ROOT, "| %s | %s | %s | %d | %.4f | %.4f | %.4f | %+.2f |",
                            kind.name().toLowerCase(Locale.ROOT), withProfile ? "profile" : "warm-up",
                            r.detectedAt() < 0 ? "never" : Long.toString(r.detectedAt() - events / 2),
                            r.falseQuarantines(), a[0], a[1], a[2], 100 * (a[1] - a[2])));
                    details.add("");
                    details.add("### " + kind.name().toLowerCase(Locale.ROOT) + ", "
                            + (withProfile ? "profile" : "warm-up") + ": accuracy per window");
                    details.add("");
                    details.add("| events | off | quarantine | without " + modality + " | events fused with a modality quarantined |");
                    details.add("|---|---:|---:|---:|---:|");
                    for (HealthStudy.Window w : r.windows()) {
                        details.add(String.format(Locale.ROOT, "| %d-%d | %.4f | %.4f | %.4f | %d |", w.from(), w.to(),
                                w.off(), w.quarantine(), w.without(), w.quarantinedEvents()));
                    }
                    details.add("");
                    r.episodes().forEach(e -> details.add("- " + e));
                }
            }
            int falseOnHealthy = 0;
            List<String> healthyNotes = new ArrayList<>();
            for (int s = 0; s < healthyStreams; s++) {
                for (boolean withProfile : new boolean[] {true, false}) {
                    HealthStudy.Result r = HealthStudy.run(configured(base, withProfile ? profile : null), strategy,
                            new SyntheticDdsd(seed + 2 + s).labelled(events), -1, events, window, 0);
                    falseOnHealthy += r.falseQuarantines();
                    String which = "- seed " + (seed + 2 + s) + ", " + (withProfile ? "profile" : "warm-up") + ": ";
                    r.episodes().forEach(e -> healthyNotes.add(which + e));
                }
            }
            lines.add("");
            lines.add(String.format(Locale.ROOT, "Healthy streams: %d streams of %d events (seeds %d-%d), each with the "
                    + "profile and with a warm-up: %d false quarantines.", healthyStreams, events, seed + 2,
                    seed + 1 + healthyStreams, falseOnHealthy));
            lines.addAll(healthyNotes);
        }
        lines.addAll(details);
        Files.createDirectories(out);
        Path results = out.resolve("results.md");
        Files.writeString(results, String.join("\n", lines) + "\n");
        for (String l : lines.subList(0, Math.min(lines.size(), 8 + healthyStreams * 2))) {
            stdout.println(l);
        }
        stdout.println("Wrote " + results);
        return 0;
    }

    /** {@code base} under quarantine, with its health keys and {@code profile} (null: warm-up). */
    private static PipelineConfig configured(PipelineConfig base, HealthProfile profile) {
        PipelineConfig.Health h = base.health();
        return base.withHealth(new PipelineConfig.Health(PipelineConfig.Health.Mode.QUARANTINE, profile, h.window(),
                h.stuckScores(), h.maxPsi(), h.maxAgreementDrop(), h.releaseScores(), List.of(), h.trusted()));
    }
}
