package io.latefuse.bench;

/**
 * What one variant did in one mode.
 *
 * @param repetition     which of the interleaved repetitions this run was, from 1
 * @param inputRecords   score records sent
 * @param outputs        every record the variant wrote, partial, spurious and revisions included
 * @param revisions      latefuse's revisions after late arrivals (labelled updates, not answers)
 * @param answered       events that got an answer
 * @param correct        events whose answer came exactly once and held exactly the modalities sent on time (the
 *                       passthrough: every score passed exactly once)
 * @param lost           events with no answer
 * @param duplicated     events with more than one answer (the DSL's partial and spurious outputs)
 * @param incomplete     events whose answer lacked a modality that was sent on time, or held one sent late
 * @param lacking        of those, the answers that lacked a modality sent on time: a false DEGRADED
 * @param events         events judged (live: after the warm-up)
 * @param seconds        backlog: from RUNNING to the last answer's append; live: the producing time, warm-up included
 * @param eventsPerSecond backlog: events answered per second of {@code seconds}; live: the rate achieved
 * @param steadyEventsPerSecond backlog: the rate in steady state, start-up and tail left out: events answered between
 *                       the append of the answer that made 10% of the events answered and the one that made 90%,
 *                       per second between those two appends (every task runs before the first answer is written,
 *                       and the first 10% leave out the start of the run); live: as {@code eventsPerSecond}
 * @param completeWait   wait of events whose modalities all came on time, in ms
 * @param partialWait    wait of events with a missing or late modality, in ms
 * @param deadLetters    records the variant sent to its dead-letter topic, by reason
 */
public record VariantResult(String variant, int repetition, String mode, int events, long inputRecords, long outputs, long revisions,
                            int answered, int correct, int lost, int duplicated, int incomplete, int lacking,
                            double seconds, double eventsPerSecond, double steadyEventsPerSecond, Latency completeWait, Latency partialWait,
                            java.util.Map<String, Long> deadLetters) {

    public VariantResult {
        deadLetters = java.util.Map.copyOf(deadLetters);
    }

    /** The same result under another name (a variant run with a setting of its own), from repetition {@code rep}. */
    public VariantResult named(String name, int rep) {
        return new VariantResult(name, rep, mode, events, inputRecords, outputs, revisions, answered, correct, lost, duplicated,
                incomplete, lacking, seconds, eventsPerSecond, steadyEventsPerSecond, completeWait, partialWait, deadLetters);
    }

    /** The same result, with what the variant dead-lettered. */
    public VariantResult withDeadLetters(java.util.Map<String, Long> byReason) {
        return new VariantResult(variant, repetition, mode, events, inputRecords, outputs, revisions, answered, correct,
                lost, duplicated, incomplete, lacking, seconds, eventsPerSecond, steadyEventsPerSecond, completeWait, partialWait, byReason);
    }

    /** Wait percentiles in ms, from an HdrHistogram. */
    public record Latency(long count, long p50, long p95, long p99, long max) {
        static Latency of(org.HdrHistogram.Histogram h) {
            return new Latency(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(95),
                    h.getValueAtPercentile(99), h.getMaxValue());
        }
    }
}
