package io.latefuse.topology;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.util.List;
import java.util.Map;

/**
 * Early fusion's first node: each {@code ModalityFeatures} record becomes an arrival of the join, a
 * {@link ModalityScore} with no scores whose {@code embedding} holds the features. The join, its state, revisions and
 * dead letters then work for features as they do for scores; {@link ScoreValidator} checks the features' length and
 * values against {@code features.size}, and the dead-letter sink turns an arrival back into the record that came in.
 * A tombstone passes through as one, for the validator to name.
 */
final class FeaturesArrivals implements Processor<String, ModalityFeatures, String, ModalityScore> {
    /** What {@code ModalityScore.model} says of an arrival made from features. */
    static final String MODEL = "features";

    private ProcessorContext<String, ModalityScore> context;

    @Override
    public void init(ProcessorContext<String, ModalityScore> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, ModalityFeatures> record) {
        context.forward(record.withValue(record.value() == null ? null : arrival(record.value())));
    }

    static ModalityScore arrival(ModalityFeatures f) {
        return ModalityScore.newBuilder()
                .setEventId(f.getEventId())
                .setModality(f.getModality())
                .setModel(MODEL)
                .setModelVersion("")
                .setScores(List.of())
                .setScoreType(ScoreType.PROBABILITY)
                .setEventTime(f.getEventTime())
                .setEmbedding(f.getValues())
                .setAttributes(Map.of())
                .build();
    }

    /** The record an arrival was made from, for the dead-letter topic. */
    static ModalityFeatures features(ModalityScore arrival) {
        return ModalityFeatures.newBuilder()
                .setEventId(arrival.getEventId())
                .setModality(arrival.getModality())
                .setValues(arrival.getEmbedding() == null ? List.of() : arrival.getEmbedding())
                .setEventTime(arrival.getEventTime())
                .build();
    }
}
