package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.metrics.FusionTelemetry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One {@link FusionProcessor} on Kafka's {@link MockProcessorContext}, with its stores in memory, so that a test can
 * do what Kafka Streams does to a task: snapshot and restore its changelogged stores, close it and init it again.
 */
final class ProcessorHarness {
    final PipelineConfig config;
    final MockProcessorContext<String, SpecificRecord> context;
    final FusionTelemetry telemetry = new FusionTelemetry(new SimpleMeterRegistry());
    final FusionProcessor processor;
    final KeyValueStore<String, EventState> pending;
    final WindowStore<String, EventState> emitted;
    final KeyValueStore<Bytes, byte[]> deadlines;
    final KeyValueStore<String, EventState> legacyFinished;
    final ScriptedInputProgress progress;

    ProcessorHarness(PipelineConfig config) {
        this(config, null);
    }

    /** @param stores the stores of an earlier harness, as a task reassigned to a new instance would find them */
    ProcessorHarness(PipelineConfig config, ProcessorHarness stores) {
        this.config = config;
        context = new MockProcessorContext<>(new Properties());
        progress = new ScriptedInputProgress(context::currentSystemTimeMs);
        context.setCurrentSystemTimeMs(FusionDriver.T0.toEpochMilli());
        context.setCurrentStreamTimeMs(FusionDriver.T0.toEpochMilli());
        if (stores == null) {
            PipelineConfig.StoreType memory = PipelineConfig.StoreType.MEMORY;
            pending = FusionTopology.pendingStore(memory).withLoggingDisabled().withCachingDisabled().build();
            emitted = FusionTopology.emittedStore(memory, config.lateRetention()).withLoggingDisabled().build();
            deadlines = FusionTopology.deadlineIndexStore(memory).build();
            legacyFinished = FusionTopology.legacyFinishedStore(memory).withLoggingDisabled().build();
            for (StateStore s : List.<StateStore>of(pending, emitted, deadlines, legacyFinished)) {
                s.init(context.getStateStoreContext(), s);
            }
        } else {
            pending = stores.pending;
            emitted = stores.emitted;
            deadlines = stores.deadlines;
            legacyFinished = stores.legacyFinished;
        }
        for (StateStore s : List.<StateStore>of(pending, emitted, deadlines, legacyFinished)) {
            context.addStateStore(s);
        }
        processor = new FusionProcessor(config, new EventFusion(config, FusionStrategies.create(config)), telemetry,
                progress);
        processor.init(context);
    }

    private long offset;

    void setWall(long offsetFromT0) {
        context.setCurrentSystemTimeMs(FusionDriver.T0.toEpochMilli() + offsetFromT0);
    }

    void process(ModalityScore score) {
        int m = config.modalityIndex(score.getModality());
        context.setRecordMetadata(config.modalities().get(m).topic(), 0, offset++);
        processor.process(new Record<>(score.getEventId(), score, score.getEventTime().toEpochMilli()));
    }

    /** Runs the processor's most recently scheduled punctuator, as Kafka Streams would when it is due. */
    void punctuate() {
        List<MockProcessorContext.CapturedPunctuator> all = context.scheduledPunctuators();
        all.get(all.size() - 1).getPunctuator().punctuate(context.currentSystemTimeMs());
    }

    List<FusedPrediction> predictions() {
        List<FusedPrediction> out = new ArrayList<>();
        context.forwarded(FusionTopology.SINK).forEach(f -> out.add((FusedPrediction) f.record().value()));
        return out;
    }

    List<Record<? extends String, ? extends SpecificRecord>> deadLetters() {
        List<Record<? extends String, ? extends SpecificRecord>> out = new ArrayList<>();
        context.forwarded(FusionTopology.DEAD_LETTER_SINK).forEach(f -> out.add(f.record()));
        return out;
    }

    /** Every entry of the changelogged stores, as their changelogs would hold them. */
    Map<String, List<KeyValue<Object, Object>>> snapshot() {
        Map<String, List<KeyValue<Object, Object>>> s = new LinkedHashMap<>();
        s.put(FusionTopology.PENDING_STORE, copy(pending));
        s.put(FusionTopology.LEGACY_FINISHED_STORE, copy(legacyFinished));
        List<KeyValue<Object, Object>> windows = new ArrayList<>();
        try (KeyValueIterator<Windowed<String>, EventState> it = emitted.all()) {
            it.forEachRemaining(kv -> windows.add(KeyValue.pair(kv.key, kv.value)));
        }
        s.put(FusionTopology.EMITTED_STORE, windows);
        return s;
    }

    /**
     * Wipes every store and fills the changelogged ones from {@code snapshot}, as a restore does. The deadline index
     * has no changelog: it comes back empty, and the processor's init must rebuild it.
     */
    @SuppressWarnings("unchecked")
    void restore(Map<String, List<KeyValue<Object, Object>>> snapshot) {
        for (KeyValueStore<?, ?> store : List.of(pending, legacyFinished, deadlines)) {
            KeyValueStore<Object, Object> s = (KeyValueStore<Object, Object>) store;
            for (KeyValue<Object, Object> kv : copy(s)) {
                s.delete(kv.key);
            }
            for (KeyValue<Object, Object> kv : snapshot.getOrDefault(store.name(), List.of())) {
                s.put(kv.key, kv.value);
            }
        }
        List<Windowed<String>> old = new ArrayList<>();
        try (KeyValueIterator<Windowed<String>, EventState> it = emitted.all()) {
            it.forEachRemaining(kv -> old.add(kv.key));
        }
        for (Windowed<String> w : old) {
            emitted.put(w.key(), null, w.window().start());
        }
        for (KeyValue<Object, Object> kv : snapshot.get(FusionTopology.EMITTED_STORE)) {
            Windowed<String> w = (Windowed<String>) kv.key;
            emitted.put(w.key(), (EventState) kv.value, w.window().start());
        }
    }

    @SuppressWarnings("unchecked")
    private static List<KeyValue<Object, Object>> copy(KeyValueStore<?, ?> store) {
        List<KeyValue<Object, Object>> out = new ArrayList<>();
        try (KeyValueIterator<?, ?> it = store.all()) {
            it.forEachRemaining(kv -> out.add((KeyValue<Object, Object>) kv));
        }
        return out;
    }

    double pendingGauge() {
        return telemetry.registry().get("latefuse.pending.events").gauge().value();
    }
}
