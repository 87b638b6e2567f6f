package io.latefuse.streams;

import io.latefuse.metrics.FusionTelemetry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the records restored into each state store ({@code latefuse_restored_records_total{store}}, as they come,
 * so that a long restore shows its progress) and logs a line per store and changelog partition when its restore
 * starts and ends: after a crash, how long an instance spends restoring, and how much, is the first thing to ask.
 * Kafka Streams calls it from its restoring thread(s); standby updates do not come here.
 */
public final class RestoreLog implements StateRestoreListener {
    private static final Logger log = LoggerFactory.getLogger(RestoreLog.class);

    private final FusionTelemetry telemetry;
    /** Nanotime each (changelog partition, store) restore started. */
    private final Map<String, Long> started = new ConcurrentHashMap<>();

    public RestoreLog(FusionTelemetry telemetry) {
        this.telemetry = telemetry;
    }

    private static String key(TopicPartition changelog, String store) {
        return changelog + "/" + store;
    }

    @Override
    public void onRestoreStart(TopicPartition changelog, String store, long startingOffset, long endingOffset) {
        started.put(key(changelog, store), System.nanoTime());
        log.info("Restore of store '{}' from {} started: offsets {} to {} (up to {} records)", store, changelog,
                startingOffset, endingOffset, Math.max(0, endingOffset - startingOffset));
    }

    @Override
    public void onBatchRestored(TopicPartition changelog, String store, long batchEndOffset, long numRestored) {
        telemetry.restored(store, numRestored);
    }

    @Override
    public void onRestoreEnd(TopicPartition changelog, String store, long totalRestored) {
        log.info("Restore of store '{}' from {} ended: {} records in {} ms", store, changelog, totalRestored,
                millisSince(key(changelog, store)));
    }

    @Override
    public void onRestoreSuspended(TopicPartition changelog, String store, long totalRestored) {
        log.info("Restore of store '{}' from {} suspended (its task moved or closed): {} records in {} ms", store,
                changelog, totalRestored, millisSince(key(changelog, store)));
    }

    private long millisSince(String key) {
        Long t = started.remove(key);
        return t == null ? -1 : (System.nanoTime() - t) / 1_000_000;
    }
}
