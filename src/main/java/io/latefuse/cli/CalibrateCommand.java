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

import java.io.PrintStream;
import java.nio.file.Path;
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

        @Option(names = "--target-far", description = "The false-accept rate to hold, in (0, 1): negatives accepted.")
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
        OperatingPoints.Metric metric = target.frr != null ? OperatingPoints.Metric.FRR : OperatingPoints.Metric.FAR;
        double rate = target.frr != null ? target.frr : target.far;
        String flag = "--target-" + metric.name().toLowerCase(Locale.ROOT);
        if (!(rate > 0 && rate < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + " " + rate + " is not a rate in (0, 1)");
        }
        if (minEvents < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--min-events " + minEvents + " must be at least 1");
        }
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
        points.write(out);
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

    private static String fmt(double rate) {
        return String.format(Locale.ROOT, "%.4g", rate);
    }
}
