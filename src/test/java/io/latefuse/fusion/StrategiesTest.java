package io.latefuse.fusion;

import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfig.Calibration;
import io.latefuse.config.PipelineConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class StrategiesTest {
    private static final double EPS = 1e-12;

    @Test
    void everyStrategyNameTheConfigAcceptsIsCreatedUnderThatName() {
        // The config owns the list of names (config must not depend on fusion); this keeps the two in step.
        for (String name : PipelineConfig.STRATEGIES) {
            if (name.equals(OnnxHeadStrategy.NAME)) {
                continue; // needs a head file: OnnxHeadStrategyTest creates it from a config
            }
            PipelineConfig config = PipelineConfigLoader.parse("""
                    application.id: a
                    bootstrap.servers: localhost:9092
                    schema.registry.url: http://localhost:8081
                    classes: [yes, no]
                    modalities: [{name: m1}, {name: m2}]
                    strategy: %s
                    """.formatted(name), "test", Map.of());
            try (FusionStrategy s = FusionStrategies.create(config)) {
                assertThat(s.name()).isEqualTo(name);
            }
        }
        assertThat(PipelineConfig.STRATEGIES).contains(OnnxHeadStrategy.NAME).doesNotHaveDuplicates();
    }

    @Test
    void weightedMeanRenormalizesOverPresentModalities() {
        WeightedMeanStrategy s = new WeightedMeanStrategy(new double[] {1, 3, 2});
        FusionResult r = s.fuse(new FusionInput(new double[][] {{0.9, 0.1}, null, {0.3, 0.7}}));
        // weights 1 and 2 over the present ones: (0.9*1 + 0.3*2) / 3
        assertThat(r.probabilities()[0]).isCloseTo(0.5, within(EPS));
        assertThat(r.contributions()).containsExactly(1 / 3.0, 0, 2 / 3.0);
    }

    @Test
    void logOddsWithEqualWeightsIsBayesForIndependentEvidence() {
        LogOddsStrategy s = new LogOddsStrategy(new double[] {1, 1}, null);
        FusionResult r = s.fuse(new FusionInput(new double[][] {{0.8, 0.2}, {0.8, 0.2}}));
        // Two independent 4:1 votes under a uniform prior give 16:1.
        assertThat(r.probabilities()[0]).isCloseTo(16 / 17.0, within(1e-9));
    }

    @Test
    void logOddsCorrectsForTheClassPrior() {
        // Each expert's posterior already contains the prior once; the pool must not count it twice.
        LogOddsStrategy s = new LogOddsStrategy(new double[] {1, 1}, new double[] {0.8, 0.2});
        FusionResult r = s.fuse(new FusionInput(new double[][] {{0.8, 0.2}, {0.8, 0.2}}));
        assertThat(r.probabilities()[0]).isCloseTo(0.8, within(1e-9)); // neither expert saw evidence beyond the prior
    }

    @Test
    void logOddsWithOneModalityReturnsItsDistribution() {
        LogOddsStrategy s = new LogOddsStrategy(new double[] {0.3, 2}, null);
        FusionResult r = s.fuse(new FusionInput(new double[][] {null, {0.35, 0.65}}));
        assertThat(r.probabilities()[0]).isCloseTo(0.35, within(1e-9));
    }

    @Test
    void aZeroWeightIsTheSameAsAbsent() {
        double[][] withZero = {{0.9, 0.1}, {0.2, 0.8}, {0.6, 0.4}};
        double[][] absent = {{0.9, 0.1}, {0.2, 0.8}, null};
        for (FusionStrategy s : List.of(new WeightedMeanStrategy(new double[] {1, 2, 0}),
                new LogOddsStrategy(new double[] {1, 2, 0}, null))) {
            assertThat(s.fuse(new FusionInput(withZero)).probabilities())
                    .containsExactly(s.fuse(new FusionInput(absent)).probabilities(), within(1e-12));
        }
    }

    @Test
    void temperatureAndPlattCalibrateProbabilitiesAndLogits() {
        Calibrator t2 = new Calibrator(new Calibration(Calibration.Method.TEMPERATURE, 2, 1, 0));
        double[] p = t2.probabilities(List.of(0.8f, 0.2f), ScoreType.PROBABILITY);
        // log-odds ln 4 halved: odds 2:1
        assertThat(p[0]).isCloseTo(2 / 3.0, within(1e-6));
        double[] fromLogits = t2.probabilities(List.of(2f, 0f), ScoreType.LOGIT);
        assertThat(fromLogits[0]).isCloseTo(1 / (1 + Math.exp(-1)), within(1e-6));

        Calibrator platt = new Calibrator(new Calibration(Calibration.Method.PLATT, 1, 0.5, 1));
        double[] q = platt.probabilities(List.of(1f, -1f), ScoreType.LOGIT);
        assertThat(q[0]).isCloseTo(1 / (1 + Math.exp(-(0.5 * 2 + 1))), within(1e-6));
        assertThat(q[0] + q[1]).isCloseTo(1, within(1e-12));

        Calibrator none = new Calibrator(Calibration.NONE);
        assertThat(none.probabilities(List.of(0.25f, 0.75f), ScoreType.PROBABILITY)[1]).isCloseTo(0.75, within(1e-6));
    }
}
