package io.latefuse.fusion;

import io.latefuse.config.PipelineConfig;

/** Creates the configured strategy: one for each name in {@link PipelineConfig#STRATEGIES}. */
public final class FusionStrategies {
    private FusionStrategies() {}

    public static FusionStrategy create(PipelineConfig config) {
        double[] weights = config.modalities().stream().mapToDouble(PipelineConfig.ModalityConfig::weight).toArray();
        double[] priors = config.classPriors() == null ? null
                : config.classPriors().stream().mapToDouble(Double::doubleValue).toArray();
        return switch (config.strategy()) {
            case WeightedMeanStrategy.NAME -> new WeightedMeanStrategy(weights);
            case LogOddsStrategy.NAME -> new LogOddsStrategy(weights, priors);
            case MaxConfidenceStrategy.NAME -> new MaxConfidenceStrategy(weights);
            case VoteStrategy.NAME -> new VoteStrategy(weights);
            case OnnxHeadStrategy.NAME -> OnnxHeadStrategy.load(config);
            default -> throw new IllegalArgumentException("strategy '" + config.strategy()
                    + "': unknown (available: " + PipelineConfig.STRATEGIES + ")");
        };
    }
}
