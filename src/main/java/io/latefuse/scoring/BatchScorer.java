package io.latefuse.scoring;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;

import java.util.List;

/** What the scorer topology needs of a model: one modality, a fixed feature width, and scores for a micro-batch. */
interface BatchScorer {
    String modality();

    /** The feature length the model takes. */
    int features();

    /** The model, as dead letters name it. */
    String describe();

    /** One score per record, in order; may throw when the model fails on the batch. */
    List<ModalityScore> score(List<ModalityFeatures> batch);
}
