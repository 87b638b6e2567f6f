package io.latefuse.quality;

import io.latefuse.avro.QualityRevision;

/** Which of an event's predictions is judged: revision 0, or the last revision read when the event was judged. */
enum RevisionKind {
    FIRST, LAST;

    /** The code in outcomes, metric tags and the quality records. */
    String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static RevisionKind of(String code) {
        return valueOf(code.toUpperCase(java.util.Locale.ROOT));
    }

    QualityRevision contract() {
        return QualityRevision.valueOf(name());
    }
}
