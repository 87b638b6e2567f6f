package io.latefuse.training;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DigitsStudyTest {

    @Test
    void principalComponentsAreTheOrthonormalAxesOfLargestVariance_largestFirst_withAFixedSign() {
        // Variance 9 along (1, 1, 0)/sqrt 2, 1 along (1, -1, 0)/sqrt 2, 0.01 along z.
        SplittableRandom r = new SplittableRandom(3);
        List<float[]> x = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            double a = 3 * r.nextGaussian();
            double b = r.nextGaussian();
            double s = Math.sqrt(0.5);
            x.add(new float[] {(float) (s * (a + b) + 5), (float) (s * (a - b) - 2), (float) (0.1 * r.nextGaussian())});
        }
        float[][] p = DigitsStudy.principalComponents(x, 2);
        assertThat(p).hasDimensions(3, 2);
        assertThat((double) p[0][0]).isCloseTo(Math.sqrt(0.5), within(0.02));
        assertThat((double) p[1][0]).isCloseTo(Math.sqrt(0.5), within(0.02));
        assertThat((double) Math.abs(p[0][1])).isCloseTo(Math.sqrt(0.5), within(0.02));
        assertThat((double) p[0][1] * p[1][1]).as("the second axis is (1, -1)").isNegative();
        for (int c = 0; c < 2; c++) {
            double norm = 0;
            for (float[] row : p) {
                norm += row[c] * row[c];
            }
            assertThat(norm).isCloseTo(1.0, within(1e-5));
            assertThat((double) p[2][c]).isCloseTo(0.0, within(0.02));
        }
        assertThat(DigitsStudy.principalComponents(x, 2)).as("deterministic").isEqualTo(p);
    }
}
