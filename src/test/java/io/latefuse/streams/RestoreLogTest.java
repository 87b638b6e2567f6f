package io.latefuse.streams;

import io.latefuse.metrics.FusionTelemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RestoreLogTest {
    @Test
    void countsRestoredRecordsPerStoreAsTheBatchesCome() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RestoreLog listener = new RestoreLog(new FusionTelemetry(registry));
        TopicPartition p0 = new TopicPartition("app-pending-changelog", 0);
        TopicPartition p1 = new TopicPartition("app-pending-changelog", 1);
        listener.onRestoreStart(p0, "pending", 0, 1_000);
        listener.onRestoreStart(p1, "pending", 10, 20);
        listener.onBatchRestored(p0, "pending", 600, 600);
        assertThat(registry.get("latefuse.restored.records").tag("store", "pending").counter().count()).isEqualTo(600);
        listener.onBatchRestored(p0, "pending", 1_000, 400);
        listener.onBatchRestored(p1, "pending", 20, 10);
        listener.onRestoreEnd(p0, "pending", 1_000);
        listener.onRestoreSuspended(p1, "pending", 10);
        listener.onBatchRestored(new TopicPartition("app-emitted-changelog", 0), "emitted", 5, 5);
        assertThat(registry.get("latefuse.restored.records").tag("store", "pending").counter().count()).isEqualTo(1_010);
        assertThat(registry.get("latefuse.restored.records").tag("store", "emitted").counter().count()).isEqualTo(5);
        // An end without a start (a listener installed late) is logged, not thrown.
        listener.onRestoreEnd(new TopicPartition("x", 0), "emitted", 0);
    }
}
