package io.latefuse.cli;

import io.latefuse.avro.ScoreType;
import io.latefuse.config.InvalidConfigException;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.scoring.ModalityScorer;
import io.latefuse.scoring.ScoringApp;
import io.latefuse.streams.BrokerCheck;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.streams.TopicPreflight;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Runs one modality's ONNX model as a Kafka Streams scorer: features in, scores out. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score one modality: read ModalityFeatures from its features topic, run its ONNX model in "
                + "micro-batches, write ModalityScore to its scores topic. Runs until SIGTERM or SIGINT.")
final class ScoreCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ScoreCommand.class);

    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--modality", required = true, description = "The modality to score, as named in the config.")
    String modality;

    @Option(names = "--model", required = true, description = "The modality's ONNX model: float[batch, F] in, float[batch, C] out.")
    Path model;

    @Option(names = "--output-logits", description = "The model outputs logits, not probabilities.")
    boolean logits;

    @Option(names = "--batch-size", defaultValue = "64", description = "Score when this many records are buffered (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--linger", defaultValue = "5ms", converter = DurationFlag.AtLeastOneMillisecond.class,
            description = "Score what is buffered at least this often, 1ms or more (default ${DEFAULT-VALUE}).")
    Duration linger;

    @Option(names = "--create-topics", description = "Create this modality's features and scores topics and the dead-letter topic if they are missing (with the score topics' partition count).")
    boolean createTopics;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).atLeast("--batch-size", 1);
        Path config = configOption.path();
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        if (cfg.modalityIndex(modality) < 0) {
            throw new InvalidConfigException("--modality", List.of("--modality = '" + modality
                    + "': not in the config (configured: " + String.join(", ", cfg.modalityNames()) + ")"));
        }
        if (cfg.fusionLevel() == io.latefuse.config.FusionLevel.EARLY) {
            throw new InvalidConfigException(config.toString(), List.of("fusion.level = 'early': the fusion app reads "
                    + "the features topics itself, so no modality is scored; use a late, intermediate or hybrid config"));
        }
        Duration lingerTime = linger;
        PipelineConfig.ModalityConfig m = cfg.modalities().get(cfg.modalityIndex(modality));
        ModalityScorer scorer = ModalityScorer.load(modality, model, cfg.numClasses(),
                logits ? ScoreType.LOGIT : ScoreType.PROBABILITY, m.embeddingOutput(), m.embeddingSize());
        BrokerCheck.await(cfg);
        try (Admin admin = Admin.create(StreamsProperties.of(cfg))) {
            TopicPreflight.checkScorer(admin, cfg, modality, createTopics);
        }
        log.info("Scoring {}: {} -> {} with {} ({} features, version {}), batches of {} or every {}", modality,
                m.featuresTopic(), m.topic(), model, scorer.features(), scorer.modelVersion(), batchSize, lingerTime);
        ScoringApp app = new ScoringApp(cfg, scorer, batchSize, lingerTime, Map.of());
        return StreamsLifecycle.runUntilStopped(app.streams(), "score-" + modality, !cfg.instanceId().isEmpty(),
                app::start, app::close);
    }
}
