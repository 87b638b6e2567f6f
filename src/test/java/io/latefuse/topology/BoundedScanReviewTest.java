package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.PredictionStatus;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.latefuse.topology.FusionDriver.T0;
import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;

/** Review 28b: the bounded deadline scan (MAX_DUE_PER_SCAN) must resume without new records. */
class BoundedScanReviewTest {

    /**
     * On the event clock the punctuation is STREAM_TIME: it runs only when a record moves stream time. Once a scan
     * stops at MAX_DUE_PER_SCAN after the last record, nothing resumes it: the remaining due deadlines (already due
     * by stream time, which will not move again until new input) are never fired. Before the limit, the scan that
     * stream time triggered fired them all.
     */
    @Test
    void onTheEventClockAStoppedScanResumesWithoutNewRecords() {
        int scan = FusionProcessor.MAX_DUE_PER_SCAN;
        int n = 3 * scan;
        try (FusionDriver d = new FusionDriver("store.type: memory\ndeadline.clock: event\n")) {
            for (int i = 0; i < n; i++) {
                d.send(score(String.format("p-%05d", i), "acoustic", 0.5f, T0));
            }
            // One record moves stream time past every deadline (event_time + 300 ms), then the input goes quiet.
            d.send(score("mover", "acoustic", 0.5f, T0.plusMillis(1_000)));
            List<FusedPrediction> out = new ArrayList<>(d.drain());
            for (int k = 0; k < 20; k++) {
                d.advanceWall(1_000);
                out.addAll(d.drain());
            }
            assertThat(out).as("every event due by stream time is answered").hasSize(n)
                    .allSatisfy(p -> assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED));
        }
    }
}
