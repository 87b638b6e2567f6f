package io.latefuse.topology;

import org.junit.jupiter.api.Test;

import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review: a quarantined modality's late score is counted in latefuse.revisions.suppressed, which docs/reference.md and the
 * meter's description define as "late arrivals whose revision changed nothing that counts (revision.policy
 * on_change)": under the default revision.policy always, a dashboard of on_change suppressions now counts quarantine.
 */
class QuarantineMetricsReviewTest {
    @Test
    void aQuarantinedLateScoreIsNotCountedAsAnOnChangeSuppression() {
        try (FusionDriver d = new FusionDriver("""
                modality.health: quarantine
                modality.health.quarantined: [acoustic]
                """)) {
            d.send(score("e1", "lexical", 0.2f));
            d.send(score("e1", "prosody", 0.3f));
            assertThat(d.drain()).hasSize(1);
            d.send(score("e1", "acoustic", 0.9f)); // late, quarantined: no revision
            assertThat(d.drain()).isEmpty();
            assertThat(d.metricTotal("latefuse.revisions.suppressed")).as("revision.policy is always").isZero();
        }
    }
}
