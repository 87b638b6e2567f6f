package io.latefuse.topology;

import io.latefuse.config.Durations;
import io.latefuse.config.PipelineConfig;
import io.latefuse.progress.InputProgress;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * How far one task has read each of its input partitions, for the input deadline clock: the consumer's word on the
 * partitions that are caught up ({@link InputProgress}), and, for the others, the highest write time this task has
 * taken off each since it was initialized.
 * <p>
 * <b>The hold-back bound.</b> A partition whose progress cannot be confirmed (its leader is down, the brokers do not
 * answer, the consumer has no position, a transaction stays open) would hold its task's deadlines forever. Once there
 * has been no evidence for {@code max.holdback} that it is being read (no record taken off it, and not found read to
 * a fresh end offset; {@link InputProgress#progressedAt}), it counts as read to {@code max.holdback} before the wall
 * clock: deadlines up to then fire anyway, {@link #unconfirmed} says which partitions they did not wait for and why,
 * and one WARN is logged per episode (and one INFO when its progress is confirmed again). A partition that is being
 * read, however far behind, gives that evidence with every record, so catching up on a backlog is never cut short.
 */
final class TaskInputs {
    private static final Logger log = LoggerFactory.getLogger(TaskInputs.class);

    private final InputProgress progress;
    private final String task;
    /** This task's input partitions, by modality index. */
    private final TopicPartition[] inputs;
    /**
     * Per modality index: every record of this task's partition written up to this time has been read (the highest
     * write time read since init, less 1 ms).
     */
    private final long[] taken;
    private final long maxHoldbackMs;
    /** Per modality index: the read mark at the last {@link #readTo}, as confirmed (no hold-back bound applied). */
    private final long[] confirmed;
    /** Per modality index: the wall-clock time of the latest evidence that the partition is being read (or init). */
    private final long[] progressedAt;
    /** Per modality index: whether deadlines go past it now, since its mark has not moved for max.holdback. */
    private final boolean[] released;
    private long confirmedReadTo = Long.MIN_VALUE;

    /** A task that has read nothing yet, at wall-clock time {@code initializedAt}: only a caught-up partition counts as read. */
    TaskInputs(PipelineConfig config, String task, int partition, InputProgress progress, long initializedAt) {
        this.progress = progress;
        this.task = task;
        this.maxHoldbackMs = config.maxHoldback().toMillis();
        int n = config.numModalities();
        this.inputs = new TopicPartition[n];
        this.taken = new long[n];
        this.confirmed = new long[n];
        this.progressedAt = new long[n];
        this.released = new boolean[n];
        for (int i = 0; i < n; i++) {
            inputs[i] = new TopicPartition(config.modalities().get(i).topic(), partition);
            taken[i] = Long.MIN_VALUE;
            confirmed[i] = Long.MIN_VALUE;
            progressedAt[i] = initializedAt;
        }
    }

    /** The modality index of {@code topic}, or -1. */
    int indexOf(String topic) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].topic().equals(topic)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * A record of input {@code index} was taken off the input (applied or dead-lettered). Records appended in one
     * batch share a LogAppendTime, so others stamped {@code writtenAt} may still be unread: read up to 1 ms before it.
     */
    void taken(int index, long offset, long writtenAt) {
        progress.seen(inputs[index], offset);
        taken[index] = Math.max(taken[index], writtenAt - 1);
        progressedAt[index] = Math.max(progressedAt[index], progress.now());
    }

    /**
     * The time up to which deadlines may fire: every input partition of the task read up to it, at most
     * {@code wallNow}; or, for a partition with no evidence of being read for {@code max.holdback},
     * {@code max.holdback} before {@code wallNow}.
     */
    long readTo(long wallNow) {
        long to = wallNow;
        long confirmedTo = wallNow;
        long bound = wallNow - maxHoldbackMs;
        for (int i = 0; i < inputs.length; i++) {
            long r = Math.max(progress.readTo(inputs[i]), taken[i]);
            confirmed[i] = r;
            progressedAt[i] = Math.max(progressedAt[i], progress.progressedAt(inputs[i]));
            confirmedTo = Math.min(confirmedTo, r);
            boolean stalled = wallNow - progressedAt[i] >= maxHoldbackMs && r < bound;
            if (stalled != released[i]) {
                released[i] = stalled;
                if (stalled) {
                    log.warn("Task {}: input partition {} is not confirmed read past {}, and nothing has shown it being "
                                    + "read since {} ({}); deadlines stop waiting for it after max.holdback {} and come "
                                    + "out DEGRADED saying so, until its progress is confirmed again", task, inputs[i],
                            r == InputProgress.UNKNOWN ? "anything" : Instant.ofEpochMilli(r),
                            Instant.ofEpochMilli(progressedAt[i]),
                            progress.why(inputs[i]), Durations.format(Duration.ofMillis(maxHoldbackMs)));
                } else {
                    log.info("Task {}: input partition {} is confirmed read to {} again; deadlines wait for it", task,
                            inputs[i], Instant.ofEpochMilli(r));
                }
            }
            to = Math.min(to, stalled ? bound : r);
        }
        confirmedReadTo = confirmedTo;
        return to;
    }

    /** Whether any input topic of the task was read stamped CreateTime (producers' clocks). */
    boolean createTime() {
        for (TopicPartition tp : inputs) {
            if (progress.createTime(tp.topic())) {
                return true;
            }
        }
        return false;
    }

    /** The time up to which every input partition was confirmed read at the last {@link #readTo}, without the bound. */
    long confirmedReadTo() {
        return confirmedReadTo;
    }

    /**
     * The input partitions not confirmed read to {@code time} at the last {@link #readTo}, each with why: the ones a
     * deadline at {@code time} fired without waiting for. Empty when it waited for all.
     */
    List<String> unconfirmed(long time) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            if (confirmed[i] < time) {
                out.add(inputs[i] + " (" + (confirmed[i] == InputProgress.UNKNOWN ? "read to nothing confirmed"
                        : "confirmed read to " + Instant.ofEpochMilli(confirmed[i])) + ": " + progress.why(inputs[i]) + ")");
            }
        }
        return out;
    }
}
