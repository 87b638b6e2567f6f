package io.latefuse.fusion;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Properties every closed-form strategy must have, on random modality counts, classes, weights and masks. */
class StrategyPropertiesTest {

    /** One random fusion problem: calibrated probabilities (null = missing), weights, confidences. */
    record Case(double[][] probs, double[] weights, double[] confidences, long seed) {
        int n() {
            return probs.length;
        }

        FusionInput input() {
            return new FusionInput(probs, confidences, new float[probs.length][]);
        }

        @Override
        public String toString() {
            return "Case{probs=" + Arrays.deepToString(probs) + ", weights=" + Arrays.toString(weights) + "}";
        }
    }

    static final List<Function<double[], FusionStrategy>> STRATEGIES = List.of(
            WeightedMeanStrategy::new, w -> new LogOddsStrategy(w, null), MaxConfidenceStrategy::new, VoteStrategy::new);

    @Provide
    Arbitrary<Case> cases() {
        return Combinators.combine(Arbitraries.integers().between(1, 6), Arbitraries.integers().between(2, 5),
                Arbitraries.longs()).as(StrategyPropertiesTest::randomCase);
    }

    static Case randomCase(int n, int classes, long seed) {
        Random r = new Random(seed);
        double[][] probs = new double[n][];
        double[] weights = new double[n];
        double[] conf = new double[n];
        for (int i = 0; i < n; i++) {
            if (i == 0 || r.nextDouble() < 0.7) {
                probs[i] = randomDistribution(r, classes);
            }
            weights[i] = r.nextDouble() < 0.15 ? 0 : 0.05 + 3 * r.nextDouble();
            conf[i] = r.nextBoolean() ? r.nextDouble() : Double.NaN;
        }
        weights[0] = 0.05 + r.nextDouble(); // at least one present modality carries weight
        return new Case(probs, weights, conf, seed);
    }

    static double[] randomDistribution(Random r, int classes) {
        double[] p = new double[classes];
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            p[c] = r.nextDouble() < 0.05 ? 0 : -Math.log(1 - r.nextDouble()); // Dirichlet(1), sometimes a hard 0
            sum += p[c];
        }
        if (sum == 0) {
            p[0] = sum = 1;
        }
        for (int c = 0; c < classes; c++) {
            p[c] /= sum;
        }
        return p;
    }

    @Property(tries = 300)
    void outputsAreFiniteProbabilitiesSummingToOne(@ForAll("cases") Case k) {
        for (Function<double[], FusionStrategy> make : STRATEGIES) {
            double[] p = make.apply(k.weights()).fuse(k.input()).probabilities();
            double sum = 0;
            for (double v : p) {
                assertThat(v).isFinite().isBetween(-1e-12, 1.0 + 1e-12);
                sum += v;
            }
            assertThat(sum).isCloseTo(1.0, within(1e-6));
        }
    }

    @Property(tries = 300)
    void permutingModalitiesTogetherWithTheirWeightsChangesNothing(@ForAll("cases") Case k) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < k.n(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(k.seed()));
        double[][] probs = new double[k.n()][];
        double[] weights = new double[k.n()];
        double[] conf = new double[k.n()];
        for (int i = 0; i < k.n(); i++) {
            probs[i] = k.probs()[order.get(i)];
            weights[i] = k.weights()[order.get(i)];
            conf[i] = k.confidences()[order.get(i)];
        }
        Case permuted = new Case(probs, weights, conf, k.seed());
        for (Function<double[], FusionStrategy> make : STRATEGIES) {
            assertThat(make.apply(permuted.weights()).fuse(permuted.input()).probabilities())
                    .containsExactly(make.apply(k.weights()).fuse(k.input()).probabilities(), within(1e-9));
        }
    }

    @Property(tries = 300)
    void aWeightOfZeroHasNoEffect(@ForAll("cases") Case k) {
        for (int z = 1; z < k.n(); z++) {
            if (k.probs()[z] == null) {
                continue;
            }
            double[] zeroed = k.weights().clone();
            zeroed[z] = 0;
            double[][] without = k.probs().clone();
            without[z] = null;
            for (Function<double[], FusionStrategy> make : STRATEGIES) {
                FusionStrategy s = make.apply(zeroed);
                assertThat(s.fuse(k.input()).probabilities())
                        .containsExactly(s.fuse(new FusionInput(without, k.confidences(), new float[k.n()][])).probabilities(),
                                within(1e-12));
            }
        }
    }

    @Property(tries = 200)
    void withOneModalityWeightedMeanReturnsItsCalibratedDistribution(@ForAll("cases") Case k) {
        double[][] only = new double[k.n()][];
        only[0] = k.probs()[0];
        FusionResult r = new WeightedMeanStrategy(k.weights()).fuse(new FusionInput(only));
        assertThat(r.probabilities()).containsExactly(k.probs()[0], within(1e-12));
        assertThat(r.contributions()[0]).isEqualTo(1.0);
    }

    @Property(tries = 300)
    void missingModalitiesRenormalize(@ForAll("cases") Case k) {
        // Fusing with some modalities missing equals fusing a config that has only the present ones.
        List<Integer> present = new ArrayList<>();
        for (int i = 0; i < k.n(); i++) {
            if (k.probs()[i] != null) {
                present.add(i);
            }
        }
        double[][] probs = new double[present.size()][];
        double[] weights = new double[present.size()];
        double[] conf = new double[present.size()];
        for (int j = 0; j < present.size(); j++) {
            probs[j] = k.probs()[present.get(j)];
            weights[j] = k.weights()[present.get(j)];
            conf[j] = k.confidences()[present.get(j)];
        }
        for (Function<double[], FusionStrategy> make : STRATEGIES) {
            FusionResult full = make.apply(k.weights()).fuse(k.input());
            FusionResult compact = make.apply(weights).fuse(new FusionInput(probs, conf, new float[probs.length][]));
            assertThat(full.probabilities()).containsExactly(compact.probabilities(), within(1e-12));
            double shares = Arrays.stream(full.contributions()).sum();
            assertThat(shares).isCloseTo(1.0, within(1e-9));
            for (int i = 0; i < k.n(); i++) {
                if (k.probs()[i] == null) {
                    assertThat(full.contributions()[i]).isZero();
                }
            }
        }
    }
}
