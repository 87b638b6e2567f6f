package io.latefuse.lookup;

import io.latefuse.avro.internal.EventState;
import io.latefuse.config.Durations;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.Presence;
import io.latefuse.topology.FusionProcessor;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** Turns the join's state of one event into what an operator is told about it ({@link EventView}). */
final class EventViews {
    private final PipelineConfig config;
    private final Presence presence;

    /** The modalities quarantined now (modality.health), a bit per index. */
    private final java.util.function.LongSupplier quarantined;

    /** Views with the modalities the config quarantines by hand as the quarantined ones. */
    EventViews(PipelineConfig config) {
        this(config, byHand(config));
    }

    /** @param quarantined the modalities quarantined now: not awaited by a pending event */
    EventViews(PipelineConfig config, java.util.function.LongSupplier quarantined) {
        this.config = config;
        this.presence = new Presence(config);
        this.quarantined = quarantined;
    }

    private static java.util.function.LongSupplier byHand(PipelineConfig config) {
        long mask = 0;
        if (config.health().mode() == PipelineConfig.Health.Mode.QUARANTINE) {
            for (String m : config.health().quarantined()) {
                mask |= 1L << config.modalityIndex(m);
            }
        }
        long q = mask;
        return () -> q;
    }

    /** An event in the {@code pending} store. */
    EventView pending(EventState s, String owner, int partition) {
        long q = quarantined.getAsLong();
        long mask = presence.mask(s) & ~q;
        // Quarantined modalities are not awaited: they count as in.
        List<String> waitingFor = presence.requiredMissing(mask | q);
        List<String> optional = presence.names(presence.all() & ~(mask | q), true);
        boolean degraded = presence.anyRequired(q);
        String reason = waitingFor.isEmpty()
                ? "every required modality is in; waiting for optional " + String.join(", ", optional)
                        + " until " + iso(s.getTimer())
                : "waiting for " + String.join(", ", waitingFor) + ": emitted " + (degraded ? "DEGRADED" : "COMPLETE")
                        + " when the last of them is read, or DEGRADED once the " + clock()
                        + " clock passes the deadline " + iso(s.getTimer());
        if (q != 0) {
            reason += "; quarantined, so not awaited or fused: " + String.join(", ", presence.names(q, true));
        }
        return new EventView(s.getEventId(), EventView.State.PENDING, present(mask), presence.names(presence.all()
                & ~(mask | q), true), iso(s.getFirstArrival()), iso(s.getTimer()), clock(), null, null, reason, owner,
                partition);
    }

    /** An event in the {@code emitted} store. */
    EventView emitted(EventState s, String owner, int partition) {
        // What the last prediction emitted was made with (format 5). Before it: a settled event was answered with
        // every modality and keeps no scores; otherwise its scores say.
        long mask = s.getEmittedWith() != null ? maskOf(s.getEmittedWith())
                : s.getSettled() ? presence.all() : presence.mask(s);
        // Under revision.policy on_change, scores fused into no emitted revision yet.
        List<String> held = s.getEmittedWith() == null ? List.of()
                : presence.names(presence.mask(s) & ~mask, true);
        if (s.getRevision() == FusionProcessor.DEAD_LETTERED) {
            return new EventView(s.getEventId(), EventView.State.DEAD_LETTERED, present(mask), missing(mask),
                    iso(s.getFirstArrival()), iso(s.getTimer()), clock(), null, null, "its fusion failed: its scores went "
                    + "to the dead-letter topic " + config.deadLetterTopic() + " as fusion_failed, with the cause", owner,
                    partition);
        }
        boolean complete = presence.allRequired(mask);
        String status = complete ? "COMPLETE" : "DEGRADED";
        EventView.Prediction prediction = new EventView.Prediction(status, label(s.getScores()), s.getScores(),
                s.getDecision());
        String reason = null;
        if (s.getDegradedReason() != null) {
            reason = complete ? "revision 0 was DEGRADED: " + s.getDegradedReason() + "; a later revision has every "
                    + "required modality" : s.getDegradedReason();
        } else if (!complete) {
            reason = String.join(", ", missing(mask)) + " never read by the deadline (this event was emitted by a "
                    + "release that did not keep the reason)";
        }
        if (!held.isEmpty()) {
            String note = "held, not emitted: " + String.join(", ", held) + (config.health().mode()
                    == PipelineConfig.Health.Mode.QUARANTINE ? " (quarantined when revision " + s.getRevision()
                    + " was made, or, under revision.policy on_change, read after it and not worth a revision)"
                    : " (read after revision " + s.getRevision() + ", it changed the prediction too little for a "
                    + "revision under revision.policy on_change)");
            reason = reason == null ? note : reason + "; " + note;
        }
        return new EventView(s.getEventId(), EventView.State.EMITTED, present(mask), missing(mask),
                iso(s.getFirstArrival()), iso(s.getTimer()), clock(), s.getRevision(), prediction, reason, owner,
                partition);
    }

    /** An event no state holds. */
    EventView unknown(String id, String owner, Integer partition) {
        String reason = config.lateRetention().isZero()
                ? "no pending event has this id; emitted events are not remembered (late.retention is 0)"
                : "no score of this event has been read, or it was emitted more than "
                        + Durations.format(config.lateRetention()) + " (late.retention) ago";
        return new EventView(id, EventView.State.UNKNOWN, null, null, null, null, null, null, null, reason, owner,
                partition);
    }

    private long maskOf(List<String> modalities) {
        long m = 0;
        for (String name : modalities) {
            int i = config.modalityIndex(name);
            if (i >= 0) {
                m |= 1L << i;
            }
        }
        return m;
    }

    private List<String> present(long mask) {
        return presence.names(mask, true);
    }

    private List<String> missing(long mask) {
        return presence.names(mask, false);
    }

    private String label(List<Float> scores) {
        if (scores == null || scores.size() != config.numClasses()) {
            return null;
        }
        int best = 0;
        for (int i = 1; i < scores.size(); i++) {
            if (scores.get(i) > scores.get(best)) {
                best = i;
            }
        }
        return config.classes().get(best);
    }

    private String clock() {
        return config.deadlineClock().name().toLowerCase(Locale.ROOT);
    }

    private static String iso(long epochMs) {
        return Instant.ofEpochMilli(epochMs).toString();
    }
}
