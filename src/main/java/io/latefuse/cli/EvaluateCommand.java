package io.latefuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latefuse.config.FusionLevel;
import io.latefuse.config.OperatingPoints;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.fusion.OnnxHeadStrategy;
import io.latefuse.fusion.OnnxModel;
import io.latefuse.training.Evaluation;
import io.latefuse.training.EvaluationReport;
import io.latefuse.training.LabelledScores;
import io.latefuse.training.OperatingPointsReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Evaluates every strategy and head on every subset of present modalities. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate weighted_mean, log_odds, vote and each given head on every non-empty subset of the modalities.")
public final class EvaluateCommand implements Callable<Integer> {

    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--data", required = true, description = "Labelled scores, as for train: CSV, or an Avro data file (.avro) of LabelledModalityScore.")
    Path data;

    @Option(names = "--head", description = "A fusion head (.onnx) to evaluate too; its sidecar .json, if present, gives its dropout. Repeatable.")
    List<Path> heads = new ArrayList<>();

    @Option(names = "--operating-points", description = "Operating points from calibrate (learned on validation "
            + "data, for the config's strategy): also report, per subset present in --data, the false-reject and "
            + "false-accept rates with the global threshold and with the subset's own.")
    Path operatingPoints;

    @Option(names = "--report", description = "Also write results.json and a self-contained report.html into this "
            + "directory: the checks, accuracy per subset, the fusion gain per subset, DET curves per subset (two "
            + "classes, with the operating points marked) or confusion matrices (more), and reliability diagrams.")
    Path report;

    @Option(names = "--title", defaultValue = "latefuse evaluation", description = "Report title.")
    String title;

    PrintStream stdout = System.out;

    /**
     * A head as its sidecar describes it: one trained on embeddings (intermediate, hybrid) reads its "embeddings"
     * input, an early one its "features" input with the feature sizes it was trained on; without a sidecar, a late
     * head over scores and mask.
     */
    private static OnnxHeadStrategy head(Path h, JsonNode meta, PipelineConfig cfg) {
        OnnxModel model = OnnxModel.load(h);
        try {
            if (meta != null && meta.path("level").asText().equals(FusionLevel.EARLY.code())) {
                int[] sizes = new int[cfg.numModalities()];
                for (int i = 0; i < sizes.length; i++) {
                    sizes[i] = meta.path("feature_sizes").path(i).asInt();
                }
                return new OnnxHeadStrategy(model, new PipelineConfig.OnnxHead(h, "scores", "mask", null, "features", null,
                        false), FusionLevel.EARLY, cfg.numModalities(), cfg.numClasses(), sizes);
            }
            String embeddings = meta != null && meta.path("inputs").has("embeddings") ? "embeddings" : null;
            return new OnnxHeadStrategy(model, new PipelineConfig.OnnxHead(h, "scores", "mask", embeddings, null, false),
                    cfg.numModalities(), cfg.numClasses());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public Integer call() throws Exception {
        Path config = configOption.path();
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        List<LabelledScores.Event> events = LabelledScores.read(data, cfg);
        Map<String, FusionStrategy> strategies = new LinkedHashMap<>(Evaluation.closedForm(cfg));
        Map<String, Double> dropout = new LinkedHashMap<>();
        try {
            for (Path h : heads) {
                String name = h.getFileName().toString().replaceFirst("\\.onnx$", "");
                Path side = TrainCommand.sidecar(h);
                JsonNode meta = Files.exists(side) ? new ObjectMapper().readTree(side.toFile()) : null;
                strategies.put(name, head(h, meta, cfg));
                if (meta != null) {
                    dropout.put(name, meta.path("dropout").asDouble());
                }
            }
            Evaluation.Result result = Evaluation.runWithOutcomes(cfg, events, strategies);
            EvaluationReport.Operating operating = null;
            if (operatingPoints != null) {
                OperatingPoints points = OperatingPoints.read(operatingPoints);
                var compared = OperatingPointsReport.rows(cfg, events, points); // checks the points against the config first
                operating = new EvaluationReport.Operating(points, EventFusion.thresholdsByMask(cfg, points),
                        cfg.classes().indexOf(points.positiveClass()), compared);
            }
            EvaluationReport r = new EvaluationReport(title, result, cfg.modalityNames(), cfg.classes(),
                    Evaluation.closedForm(cfg).keySet(), dropout,
                    io.latefuse.training.LevelCost.measure(cfg, events, strategies), operating);
            stdout.print(r.markdown());
            if (operating != null) {
                stdout.print(OperatingPointsReport.markdown(operating.points(), operating.rows()));
            }
            if (report != null) {
                r.write(report);
                stdout.println("Wrote " + report.resolve("results.json") + " and " + report.resolve("report.html"));
            }
        } finally {
            strategies.values().forEach(FusionStrategy::close);
        }
        return 0;
    }
}
