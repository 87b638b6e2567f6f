package io.latefuse.quality;

import java.util.List;

/** How a prediction's subset of modalities present is named in quality records and metric tags. */
final class Subsets {
    /** The row over every event, whatever was present. */
    static final String ALL = "all";

    private Subsets() {}

    /**
     * The modalities present, in the prediction's (config) order, joined with {@code +}: at most 2^N - 1 names for N
     * modalities. Modality names hold no {@code +}, so two subsets never share a name; a modality named {@code all},
     * present alone, is {@code all+}, so that it is not taken for the row over every event.
     */
    static String of(List<String> present) {
        String joined = String.join("+", present);
        return joined.equals(ALL) ? ALL + "+" : joined;
    }
}
