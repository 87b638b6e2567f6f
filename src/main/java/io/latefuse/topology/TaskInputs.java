package io.latefuse.topology;

import io.latefuse.config.PipelineConfig;
import io.latefuse.progress.InputProgress;
import org.apache.kafka.common.TopicPartition;

/**
 * How far one task has read each of its input partitions, for the input deadline clock: the consumer's word on the
 * partitions that are caught up ({@link InputProgress}), and, for the others, the highest write time this task has
 * taken off each since it was initialized.
 */
final class TaskInputs {
    private final InputProgress progress;
    /** This task's input partitions, by modality index. */
    private final TopicPartition[] inputs;
    /**
     * Per modality index: every record of this task's partition written up to this time has been read (the highest
     * write time read since init, less 1 ms).
     */
    private final long[] readTo;

    /** A task that has read nothing yet: only a caught-up partition counts as read. */
    TaskInputs(PipelineConfig config, int partition, InputProgress progress) {
        this.progress = progress;
        this.inputs = new TopicPartition[config.numModalities()];
        this.readTo = new long[config.numModalities()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = new TopicPartition(config.modalities().get(i).topic(), partition);
            readTo[i] = Long.MIN_VALUE;
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
        readTo[index] = Math.max(readTo[index], writtenAt - 1);
    }

    /** The time up to which every input partition of the task has been read, at most {@code wallNow}. */
    long readTo(long wallNow) {
        long to = wallNow;
        for (int i = 0; i < inputs.length; i++) {
            to = Math.min(to, Math.max(progress.readTo(inputs[i]), readTo[i]));
        }
        return to;
    }
}
