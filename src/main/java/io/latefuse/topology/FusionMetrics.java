package io.latefuse.topology;

import io.latefuse.avro.PredictionStatus;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.StreamsMetrics;

import java.util.List;

/**
 * The fusion processor's own metrics, registered with Kafka Streams (group {@code stream-latefuse-metrics},
 * {@code <operation>-total} and {@code <operation>-rate}), so they are exported with the client's metrics.
 */
final class FusionMetrics {
    static final String SCOPE = "latefuse";
    static final String COMPLETE = "predictions-complete";
    static final String DEGRADED = "predictions-degraded";
    static final String REVISIONS = "revisions";
    static final String DUPLICATES = "duplicates";
    static final String LATE = "late-arrivals";
    static final String TIMER_VISITS = "deadline-index-visits";

    private final StreamsMetrics metrics;
    final Sensor complete;
    final Sensor degraded;
    final Sensor revisions;
    final Sensor duplicates;
    final Sensor late;
    final Sensor timerVisits;

    FusionMetrics(StreamsMetrics metrics, String taskId) {
        this.metrics = metrics;
        this.complete = sensor(taskId, COMPLETE);
        this.degraded = sensor(taskId, DEGRADED);
        this.revisions = sensor(taskId, REVISIONS);
        this.duplicates = sensor(taskId, DUPLICATES);
        this.late = sensor(taskId, LATE);
        this.timerVisits = sensor(taskId, TIMER_VISITS);
    }

    private Sensor sensor(String taskId, String operation) {
        return metrics.addRateTotalSensor(SCOPE, "task-" + taskId, operation, Sensor.RecordingLevel.INFO);
    }

    void emitted(PredictionStatus status, int revision) {
        if (revision > 0) {
            revisions.record();
        } else if (status == PredictionStatus.COMPLETE) {
            complete.record();
        } else {
            degraded.record();
        }
    }

    void close() {
        for (Sensor s : List.of(complete, degraded, revisions, duplicates, late, timerVisits)) {
            metrics.removeSensor(s);
        }
    }
}
