package io.latefuse.cli;

import io.latefuse.config.OperatingPoints;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.training.LabelledScores;
import io.latefuse.training.OperatingPointCalibration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Learns the operating points of a binary decision per subset of modalities present, on validation data. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Learn, on validation data, the threshold on the positive class that holds a target false-reject "
                + "(or false-accept) rate for every subset of modalities present, with the config's strategy or head.",
                "Set the file it writes as operating.points: each prediction then carries decision, threshold and "
                        + "operating_point."})
final class CalibrateCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ConfigOption configOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", required = true, description = "Labelled validation scores, as for train and evaluate "
            + "(CSV or .avro). Not the data the strategy or head was trained on, nor the test data.")
    Path data;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--target-frr", description = "The false-reject rate to hold, in (0, 1): positives rejected.")
        Double frr;

        @Option(names = "--target-far", description = "The false-accept rate to hold, in (0, 1): negatives accepted. "
                + "Where more than that share of a subset's negatives score 1.0, no threshold holds it: the threshold "
                + "is capped at 1.0, and calibrate names the subset and the rate 1.0 gives.")
        Double far;
    }

    @Option(names = "--positive", description = "The positive class (default: the first class).")
    String positive;

    @Option(names = "--name", description = "The operating point's name, which predictions carry (default: e.g. frr-0.10).")
    String name;

    @Option(names = "--min-events", defaultValue = "100", description = "A subset with fewer validation events of the "
            + "class the target counts uses the global threshold (default ${DEFAULT-VALUE}).")
    int minEvents;

    @Option(names = "--out", required = true, description = "Where to write the operating points (JSON).")
    Path out;

    PrintStream stdout = System.out;

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).within("--target-frr", 0, false, 1, false).within("--target-far", 0, false, 1, false)
                .atLeast("--min-events", 1);
        OperatingPoints.Metric metric = target.frr != null ? OperatingPoints.Metric.FRR : OperatingPoints.Metric.FAR;
        double rate = target.frr != null ? target.frr : target.far;
        PipelineConfig cfg = PipelineConfigLoader.load(configOption.path());
        if (cfg.numClasses() != 2) {
            throw new CommandLine.ParameterException(spec.commandLine(), "operating points make a binary decision, but "
                    + "the pipeline has " + cfg.numClasses() + " classes " + cfg.classes());
        }
        String positiveClass = positive == null ? cfg.classes().get(0) : positive;
        if (!cfg.classes().contains(positiveClass)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--positive " + positiveClass
                    + " is not one of the classes " + cfg.classes());
        }
        String pointName = name != null ? name
                : metric.name().toLowerCase(Locale.ROOT) + "-" + String.format(Locale.ROOT, "%.2f", rate);
        List<LabelledScores.Event> events = LabelledScores.read(data, cfg);
        OperatingPointCalibration.Result result;
        try (FusionStrategy strategy = FusionStrategies.create(cfg)) {
            List<OperatingPointCalibration.Scored> scored = OperatingPointCalibration.score(cfg, events, strategy,
                    cfg.classes().indexOf(positiveClass));
            try {
                result = OperatingPointCalibration.calibrate(cfg, scored, metric, rate, positiveClass, pointName, minEvents);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), data + ": " + e.getMessage());
            }
        }
        OperatingPoints points = result.points();
        List<String> problems = writeChecked(points, cfg, out);
        if (!problems.isEmpty()) {
            spec.commandLine().getErr().println("latefuse calibrate: did not write " + out + ": run and evaluate would "
                    + "refuse these operating points:\n  - " + String.join("\n  - ", problems));
            return 1;
        }
        stdout.printf(Locale.ROOT, "Operating point %s for %s (%s %s, positive class %s) on %d validation events:%n",
                points.name(), points.strategy(), metric.name(), fmt(rate), positiveClass, events.size());
        stdout.printf(Locale.ROOT, "  %-40s %10s %8s%n", "present", "threshold", "events");
        stdout.printf(Locale.ROOT, "  %-40s %10.4f %8d%n", "(global: every event)", points.globalThreshold(), points.globalEvents());
        for (OperatingPoints.Subset s : points.subsets()) {
            stdout.printf(Locale.ROOT, "  %-40s %10.4f %8d%n", String.join("+", s.present()), s.threshold(), s.events());
        }
        result.notes().forEach(n -> stdout.println("  " + n));
        stdout.println("Wrote " + out + "; set operating.points: " + out + " in the pipeline config.");
        return 0;
    }

    /**
     * Writes {@code points} to {@code out} only if the file, read back, passes the checks the config loader makes
     * of {@code operating.points} ({@link OperatingPoints#read}, then {@link OperatingPoints#problems} against this
     * pipeline): through a temporary file beside it, so a file that would be refused never replaces {@code out}.
     *
     * @return what is wrong with the file, each as one line; empty when it was written
     */
    static List<String> writeChecked(OperatingPoints points, PipelineConfig cfg, Path out) throws IOException {
        // Not Files.createTempFile: its file is private to this user, and the points are read by run's user.
        Path tmp = out.toAbsolutePath().resolveSibling("." + out.getFileName() + "." + ProcessHandle.current().pid()
                + ".tmp");
        try {
            points.write(tmp);
            List<String> problems;
            try {
                problems = OperatingPoints.read(tmp).problems(cfg.classes(), cfg.strategy(), cfg.modalityNames());
            } catch (IOException | RuntimeException e) {
                problems = List.of("cannot be read as latefuse calibrate's output: " + e.getMessage());
            }
            if (!problems.isEmpty()) {
                return problems;
            }
            try {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
            return List.of();
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String fmt(double rate) {
        return String.format(Locale.ROOT, "%.4g", rate);
    }
}
