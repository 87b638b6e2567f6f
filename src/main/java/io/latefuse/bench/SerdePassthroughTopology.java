package io.latefuse.bench;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.PredictionStatus;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The Avro ceiling: every score is decoded from the registry's wire format, and the score of the last modality (in
 * config order) is turned into one Avro prediction, encoded and written. No state, no join, no fusion: what latefuse
 * costs beyond this is the price of its state and its fusion, not of Avro. One output per event only when every
 * modality is sent, so it is a backlog-mode variant.
 */
public final class SerdePassthroughTopology {
    private SerdePassthroughTopology() {}

    public static Topology build(List<String> inputTopics, List<String> modalities, String outputTopic,
                                 Serde<ModalityScore> scores, Serde<FusedPrediction> predictions) {
        Topology t = new Topology();
        t.addSource(AutoOffsetReset.earliest(), "scores", Serdes.String().deserializer(), scores.deserializer(),
                inputTopics.toArray(String[]::new));
        String last = modalities.get(modalities.size() - 1);
        t.addProcessor("to-prediction", () -> new ToPrediction(last, modalities), "scores");
        t.addSink("prediction-sink", outputTopic, Serdes.String().serializer(), predictions.serializer(), "to-prediction");
        return t;
    }

    private static final class ToPrediction implements Processor<String, ModalityScore, String, FusedPrediction> {
        private final String last;
        private final List<String> modalities;
        private ProcessorContext<String, FusedPrediction> context;

        ToPrediction(String last, List<String> modalities) {
            this.last = last;
            this.modalities = List.copyOf(modalities);
        }

        @Override
        public void init(ProcessorContext<String, FusedPrediction> context) {
            this.context = context;
        }

        @Override
        public void process(Record<String, ModalityScore> record) {
            ModalityScore s = record.value();
            if (!last.equals(s.getModality())) {
                return; // decoded, and that is all: the cost being measured
            }
            long now = System.currentTimeMillis();
            FusedPrediction p = FusedPrediction.newBuilder()
                    .setEventId(s.getEventId())
                    .setLabel("directed")
                    .setScores(s.getScores())
                    .setStatus(PredictionStatus.COMPLETE)
                    .setRevision(0)
                    .setPresent(modalities)
                    .setMissing(List.of())
                    .setStrategy("serde-passthrough")
                    .setFusionModelVersion("")
                    .setEventTime(s.getEventTime())
                    .setFirstArrival(Instant.ofEpochMilli(record.timestamp()))
                    .setEmittedAt(Instant.ofEpochMilli(now))
                    .setWaitMs(Math.max(0, now - record.timestamp()))
                    .setContributions(Map.of(last, 1f))
                    .build();
            context.forward(record.withValue(p));
        }
    }
}
