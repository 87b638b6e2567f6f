package io.latefuse.config;

import java.util.Locale;

/**
 * What a pipeline fuses ({@code fusion.level}), and so what a learned head takes (the head contract's inputs):
 * <ul>
 *   <li>{@code LATE}: each modality's scores [N*C] and the mask [N]; any strategy;</li>
 *   <li>{@code INTERMEDIATE}: the embeddings [N*E] and the mask; a learned head;</li>
 *   <li>{@code HYBRID}: the scores, the embeddings and the mask; a learned head;</li>
 *   <li>{@code EARLY}: the features [sum F_i], concatenated in modality order, and the mask; a learned head, which
 *       reads {@code ModalityFeatures} from each modality's features topic instead of scores.</li>
 * </ul>
 */
public enum FusionLevel {
    LATE, INTERMEDIATE, HYBRID, EARLY;

    public boolean takesScores() {
        return this == LATE || this == HYBRID;
    }

    public boolean takesEmbeddings() {
        return this == INTERMEDIATE || this == HYBRID;
    }

    public boolean takesFeatures() {
        return this == EARLY;
    }

    /** As the config and the command line spell it. */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The level named {@code code}, or null. */
    public static FusionLevel of(String code) {
        for (FusionLevel l : values()) {
            if (l.code().equalsIgnoreCase(code.trim())) {
                return l;
            }
        }
        return null;
    }
}
