package io.latefuse.fusion;

import java.util.ArrayList;
import java.util.List;

/**
 * A fusion strategy: a pure function of the present modalities' calibrated scores, the mask, and its config.
 * Implementations are thread-safe and shared by all stream threads.
 */
public interface FusionStrategy extends AutoCloseable {

    /** The name used in config and written to {@code FusedPrediction.strategy}. */
    String name();

    /** Written to {@code FusedPrediction.fusion_model_version}: a learned head's file hash, or the strategy's own version. */
    String modelVersion();

    /** Fuses one event; at least one modality is present. */
    FusionResult fuse(FusionInput input);

    /** Fuses several events at once; learned heads run them as one batch. */
    default List<FusionResult> fuseBatch(List<FusionInput> inputs) {
        List<FusionResult> out = new ArrayList<>(inputs.size());
        for (FusionInput in : inputs) {
            out.add(fuse(in));
        }
        return out;
    }

    /** The embedding length every modality must send, when the strategy uses embeddings. */
    default java.util.OptionalInt embeddingSize() {
        return java.util.OptionalInt.empty();
    }

    /** Whether the strategy fuses features (early fusion): {@link FusionInput#embeddings()} then holds them. */
    default boolean takesFeatures() {
        return false;
    }

    @Override
    default void close() {}
}
