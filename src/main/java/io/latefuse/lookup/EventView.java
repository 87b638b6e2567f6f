package io.latefuse.lookup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * What an operator is told about one event: the JSON body of {@code GET /events/{event_id}}, and what
 * {@code latefuse explain} prints. Times are ISO-8601; absent fields are left out.
 *
 * @param state         where the event is (see {@link State})
 * @param present       modalities read, in config order
 * @param missing       modalities not read, in config order
 * @param firstArrival  when its first score was written (input clock) or read
 * @param deadline      when it is, or was, due, in the deadline clock's time
 * @param deadlineClock the clock {@code deadline} is on
 * @param revision      the last emitted revision; absent while pending
 * @param prediction    the last prediction, once emitted
 * @param reason        why: what a pending event waits for, why an emitted one was DEGRADED, why an unknown one is
 *                      not known, or why a dead-lettered one was
 * @param owner         the instance whose state answered ({@code host:port}), and {@code partition} its partition
 * @param quarantined   under {@code modality.health: quarantine}, the modalities the answering instance quarantines
 *                      now: not fused, not awaited (a prediction made while one was lists it in its own
 *                      {@code quarantined}, and a DEGRADED one says so in its reason)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EventView(
        @JsonProperty("event_id") String eventId,
        @JsonProperty("state") State state,
        @JsonProperty("present") List<String> present,
        @JsonProperty("missing") List<String> missing,
        @JsonProperty("first_arrival") String firstArrival,
        @JsonProperty("deadline") String deadline,
        @JsonProperty("deadline_clock") String deadlineClock,
        @JsonProperty("revision") Integer revision,
        @JsonProperty("prediction") Prediction prediction,
        @JsonProperty("reason") String reason,
        @JsonProperty("owner") String owner,
        @JsonProperty("partition") Integer partition,
        @JsonProperty("quarantined") List<String> quarantined) {

    /** A view with nothing quarantined ({@code quarantined} left out). */
    public EventView(String eventId, State state, List<String> present, List<String> missing, String firstArrival,
                     String deadline, String deadlineClock, Integer revision, Prediction prediction, String reason,
                     String owner, Integer partition) {
        this(eventId, state, present, missing, firstArrival, deadline, deadlineClock, revision, prediction, reason,
                owner, partition, null);
    }

    /** This view, telling the modalities the answering instance quarantines now (none: left out). */
    public EventView withQuarantined(List<String> modalities) {
        return new EventView(eventId, state, present, missing, firstArrival, deadline, deadlineClock, revision,
                prediction, reason, owner, partition, modalities == null || modalities.isEmpty() ? null
                : List.copyOf(modalities));
    }

    public enum State {
        /** Some scores are in, and it waits for the rest or for its deadline. */
        PENDING,
        /** A prediction was emitted, and the event is remembered for {@code late.retention}. */
        EMITTED,
        /** Its fusion failed, and its scores went to the dead-letter topic as {@code fusion_failed}. */
        DEAD_LETTERED,
        /** No state holds it: no score of it was read, or it was emitted longer than {@code late.retention} ago. */
        UNKNOWN
    }

    /**
     * The last prediction emitted for the event.
     *
     * @param scores   the fused probabilities in class order; absent for an event emitted by a release that did not
     *                 keep them (state format 2 and before)
     * @param decision with operating points: the decision it carried
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Prediction(@JsonProperty("status") String status, @JsonProperty("label") String label,
                             @JsonProperty("scores") List<Float> scores, @JsonProperty("decision") String decision) {}
}
