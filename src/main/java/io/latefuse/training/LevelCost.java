package io.latefuse.training;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.FusionLevel;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.fusion.OnnxHeadStrategy;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What fusing at a level costs per event, on the evaluated data.
 * <ul>
 *   <li>Bytes: the values a pipeline at that level reads for one event, in the registry wire format (5 header bytes
 *   and the Avro body) of each present modality's record: a {@code ModalityScore} (with its embedding for the
 *   intermediate and hybrid levels) or a {@code ModalityFeatures} (early); the mean over the events. Record keys
 *   and Kafka's own framing are left out, as they are the same at every level.</li>
 *   <li>Time: one event fused alone (batch 1, as an event that completes on arrival is), the median over the
 *   events after a warm-up, in microseconds. A figure of this machine and this run: compare the strategies of one
 *   report with each other, not across machines; the JMH benchmark (docs/BENCHMARKS.md) is the careful one.</li>
 * </ul>
 */
public final class LevelCost {
    /** One strategy's cost. */
    public record Cost(String strategy, FusionLevel level, double bytesPerEvent, double microsPerEvent) {}

    private static final int WIRE_HEADER = 5;
    private static final int TIMED = 500;

    private LevelCost() {}

    public static FusionLevel levelOf(FusionStrategy s) {
        return s instanceof OnnxHeadStrategy h ? h.level() : FusionLevel.LATE;
    }

    public static List<Cost> measure(PipelineConfig config, List<LabelledScores.Event> events,
                                     Map<String, FusionStrategy> strategies) {
        Map<FusionLevel, Double> bytes = new LinkedHashMap<>();
        List<Cost> out = new ArrayList<>();
        for (Map.Entry<String, FusionStrategy> s : strategies.entrySet()) {
            FusionLevel level = levelOf(s.getValue());
            double b = bytes.computeIfAbsent(level, l -> meanBytes(config, events, l));
            out.add(new Cost(s.getKey(), level, b, medianMicros(config, events, s.getValue())));
        }
        return out;
    }

    private static double meanBytes(PipelineConfig config, List<LabelledScores.Event> events, FusionLevel level) {
        long total = 0;
        for (LabelledScores.Event e : events) {
            for (int m = 0; m < config.numModalities(); m++) {
                if (e.scores()[m] == null) {
                    continue;
                }
                String modality = config.modalityNames().get(m);
                SpecificRecord record;
                if (level.takesFeatures()) {
                    record = ModalityFeatures.newBuilder().setEventId(e.eventId()).setModality(modality)
                            .setValues(LabelledScores.floats(e.features() == null ? null : e.features()[m])).setEventTime(Instant.EPOCH)
                            .build();
                } else {
                    ModalityScore.Builder score = ModalityScore.newBuilder().setEventId(e.eventId()).setModality(modality)
                            .setModel(modality).setModelVersion("1").setScores(LabelledScores.floats(e.scores()[m]))
                            .setScoreType(ScoreType.PROBABILITY).setEventTime(Instant.EPOCH);
                    if (level.takesEmbeddings()) {
                        score.setEmbedding(LabelledScores.floats(e.embeddings() == null ? null : e.embeddings()[m]));
                    }
                    record = score.build();
                }
                total += WIRE_HEADER + avroSize(record);
            }
        }
        return (double) total / events.size();
    }

    private static double medianMicros(PipelineConfig config, List<LabelledScores.Event> events, FusionStrategy s) {
        int n = Math.min(TIMED, events.size());
        List<FusionInput> inputs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            LabelledScores.Event e = events.get(i);
            double[] confidences = new double[config.numModalities()];
            Arrays.fill(confidences, Double.NaN);
            inputs.add(new FusionInput(Evaluation.calibrated(config, e), confidences,
                    s.takesFeatures() ? e.features() : e.embeddings()));
        }
        for (FusionInput in : inputs) {
            s.fuse(in); // warm-up: class loading, the JIT and ONNX Runtime's first runs
        }
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            s.fuse(inputs.get(i));
            nanos[i] = System.nanoTime() - t0;
        }
        Arrays.sort(nanos);
        return nanos[n / 2] / 1000.0;
    }

    @SuppressWarnings("unchecked")
    private static int avroSize(SpecificRecord r) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(buf, null);
        try {
            new SpecificDatumWriter<>((Class<SpecificRecord>) r.getClass()).write(r, enc);
            enc.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buf.size();
    }
}
