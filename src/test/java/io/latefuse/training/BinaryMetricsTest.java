package io.latefuse.training;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Small cases computed by hand. */
class BinaryMetricsTest {
    private static final boolean T = true;
    private static final boolean F = false;

    @Test
    void perfectSeparation() {
        BinaryMetrics m = BinaryMetrics.of(new double[] {0.1, 0.2, 0.8, 0.9}, new boolean[] {F, F, T, T}, 0.1);
        assertThat(m.auc()).isEqualTo(1.0);
        assertThat(m.eer()).isEqualTo(0.0);
        assertThat(m.faAtFr()).isEqualTo(0.0);
    }

    @Test
    void aHandComputedMixedCase() {
        // Positives 0.9 0.7 0.4 ; negatives 0.8 0.3 0.2.
        // Pairs (pos > neg): 0.9 beats 3, 0.7 beats 2, 0.4 beats 2 -> 7 of 9.
        double[] s = {0.9, 0.7, 0.4, 0.8, 0.3, 0.2};
        boolean[] y = {T, T, T, F, F, F};
        BinaryMetrics m = BinaryMetrics.of(s, y, 0.1);
        assertThat(m.auc()).isCloseTo(7 / 9.0, within(1e-12));
        // Thresholds (accept >= t): t=0.4 -> FRR 0, FAR 1/3; t=0.7 -> FRR 1/3, FAR 1/3. FRR <= 10% holds up to 0.4.
        assertThat(m.faAtFr()).isCloseTo(1 / 3.0, within(1e-12));
        // FAR - FRR: t=0.4 gives 1/3 - 0 > 0, t=0.7 gives 1/3 - 1/3 = 0: the curves meet at 1/3.
        assertThat(m.eer()).isCloseTo(1 / 3.0, within(1e-12));
    }

    @Test
    void tiesCountHalf() {
        BinaryMetrics m = BinaryMetrics.of(new double[] {0.5, 0.5}, new boolean[] {T, F}, 0.1);
        assertThat(m.auc()).isEqualTo(0.5);
        assertThat(m.eer()).isCloseTo(0.5, within(1e-12));
        assertThat(m.faAtFr()).isEqualTo(1.0);
    }

    @Test
    void interpolatesTheEqualErrorRate() {
        // Positives 0.6 0.9 ; negatives 0.1 0.65 0.7 0.95 (4): t=0.6 FAR 3/4 FRR 0 ; t=0.65 FAR 3/4 FRR 1/2 ;
        // t=0.7 FAR 2/4 FRR 1/2 -> d = 0, EER 1/2.
        BinaryMetrics m = BinaryMetrics.of(new double[] {0.6, 0.9, 0.1, 0.65, 0.7, 0.95}, new boolean[] {T, T, F, F, F, F}, 0.1);
        assertThat(m.eer()).isCloseTo(0.5, within(1e-12));
        // Interpolation proper: FAR 1 -> 0 and FRR 0 -> 1 in one step cross at 1/2.
        BinaryMetrics flip = BinaryMetrics.of(new double[] {0.2, 0.8}, new boolean[] {F, T}, 0.1);
        assertThat(flip.eer()).isEqualTo(0.0);
        BinaryMetrics inverted = BinaryMetrics.of(new double[] {0.8, 0.2}, new boolean[] {F, T}, 0.1);
        assertThat(inverted.auc()).isEqualTo(0.0);
        assertThat(inverted.eer()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void accuracyIsTheShareOfCorrectArgmaxes() {
        double[][] p = {{0.7, 0.3}, {0.2, 0.8}, {0.6, 0.4}};
        assertThat(BinaryMetrics.accuracy(p, new int[] {0, 1, 1})).isCloseTo(2 / 3.0, within(1e-12));
    }

    @Test
    void needsBothClasses() {
        assertThatThrownBy(() -> BinaryMetrics.of(new double[] {0.1}, new boolean[] {T}, 0.1))
                .hasMessageContaining("both classes");
    }
}
