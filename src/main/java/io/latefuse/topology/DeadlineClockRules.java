package io.latefuse.topology;

import io.latefuse.config.Durations;
import io.latefuse.config.PipelineConfig.DeadlineClock;
import io.latefuse.progress.InputProgress;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.LongUnaryOperator;

/**
 * What {@code deadline.clock} decides, in one place: which time paces the scans for due deadlines, up to when
 * deadlines may fire, what time an arriving score counts from, where an event's deadline and first arrival start, and
 * how a DEGRADED answer explains itself.
 */
final class DeadlineClockRules {
    private final DeadlineClock clock;
    private final Duration maxWait;
    /** What "read past it" means when the input's timestamps are its producers'. */
    static final String CREATE_TIME = "; on a CreateTime topic, by its producers' timestamps: a score held in its "
            + "producer (retrying, or waiting for metadata) carries a time earlier than its append, and may still have "
            + "been written after this";
    private final Duration maxHoldback;
    private final InputProgress progress;

    DeadlineClockRules(DeadlineClock clock, Duration maxWait, Duration maxHoldback, InputProgress progress) {
        this.clock = clock;
        this.maxWait = maxWait;
        this.maxHoldback = maxHoldback;
        this.progress = progress;
    }

    /**
     * When a score was written, as the input clock takes it: its Kafka timestamp (the broker's append time on a
     * LogAppendTime topic), but never later than now, so that a producer clock running ahead cannot stretch a wait.
     */
    long writtenAt(long timestamp) {
        return Math.min(timestamp, progress.now());
    }

    PunctuationType punctuationType() {
        return clock == DeadlineClock.EVENT ? PunctuationType.STREAM_TIME : PunctuationType.WALL_CLOCK_TIME;
    }

    /** Whether deadlines wait for the input to be read (and the hold-back is worth reporting). */
    boolean waitsForInput() {
        return clock == DeadlineClock.INPUT;
    }

    /** The time that paces the scans for due deadlines: stream time on the event clock, otherwise the wall clock. */
    long now(ProcessorContext<?, ?> context) {
        return clock == DeadlineClock.EVENT ? context.currentStreamTimeMs() : context.currentSystemTimeMs();
    }

    /**
     * Deadlines up to this time may fire. On the input clock: the wall clock, held back to {@code inputReadTo}, how
     * far every input partition of the task has been read.
     */
    long dueBy(ProcessorContext<?, ?> context, LongUnaryOperator inputReadTo) {
        return switch (clock) {
            case EVENT -> context.currentStreamTimeMs();
            case PROCESSING_TIME -> context.currentSystemTimeMs();
            case INPUT -> inputReadTo.applyAsLong(context.currentSystemTimeMs());
        };
    }

    /** The time an arriving score, of Kafka timestamp {@code timestamp}, starts or shortens a wait from. */
    long arrival(ProcessorContext<?, ?> context, long timestamp) {
        return switch (clock) {
            case EVENT -> context.currentStreamTimeMs();
            case PROCESSING_TIME -> context.currentSystemTimeMs();
            case INPUT -> writtenAt(timestamp);
        };
    }

    /** An event's deadline: {@code max.wait} after its event time on the event clock, after its first arrival otherwise. */
    long deadline(long eventTime, long arrival) {
        return Saturating.add(clock == DeadlineClock.EVENT ? eventTime : arrival, maxWait.toMillis());
    }

    /** An event's first arrival: when its first score was written on the input clock, when it was read otherwise. */
    long firstArrival(long arrival, long wallNow) {
        return clock == DeadlineClock.INPUT ? arrival : wallNow;
    }

    /**
     * Why an event came out DEGRADED: which deadline passed, on which clock, with what read.
     *
     * @param unconfirmed on the input clock, the input partitions the deadline fired without waiting for (after
     *                    {@code max.holdback}), each with why; empty when every partition was read past it
     */
    String degradedReason(long deadline, long dueBy, List<String> missing, List<String> unconfirmed, boolean createTime) {
        String wait = Durations.format(maxWait);
        String never = "no score of " + String.join(", ", missing) + " was read";
        return switch (clock) {
            case INPUT -> unconfirmed.isEmpty()
                    ? never + " by the deadline " + Instant.ofEpochMilli(deadline) + " (max.wait " + wait
                    + " after the first score was written), and every input partition was read past it (to "
                    + Instant.ofEpochMilli(dueBy) + ")" + (createTime ? CREATE_TIME : "")
                    : never + " by the deadline " + Instant.ofEpochMilli(deadline) + " (max.wait " + wait
                    + " after the first score was written); answered without waiting longer, since max.holdback "
                    + Durations.format(maxHoldback) + " passed with these input partitions not confirmed read past it: "
                    + String.join("; ", unconfirmed);
            case EVENT -> never + " before stream time passed " + Instant.ofEpochMilli(deadline)
                    + " (max.wait " + wait + " after event_time)";
            case PROCESSING_TIME -> never + " by " + Instant.ofEpochMilli(deadline) + " on the wall clock (max.wait "
                    + wait + " after the first score was read); deadline.clock processing_time does not wait for unread input";
        };
    }
}
