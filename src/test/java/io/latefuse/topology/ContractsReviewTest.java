package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.fusion.EventFusion;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.lookup.EventView;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.progress.ConsumerRegistry;
import io.latefuse.progress.InputProgress;
import io.latefuse.progress.TrackingConsumer;
import io.latefuse.streams.VersionedStateSerde;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static io.latefuse.topology.FusionDriver.score;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** Review of issue 26's contracts: each test states a promise of the issue and fails where it is not kept. */
class ContractsReviewTest {

    private static PipelineConfig config(String extra) {
        return PipelineConfigLoader.parse(FusionDriver.BASE.formatted("review") + extra, "test", Map.of());
    }

    private static int murmur2(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private static List<PartitionInfo> partitions(String topic, int n) {
        List<PartitionInfo> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new PartitionInfo(topic, i, null, null, null));
        }
        return out;
    }

    /**
     * Promise 1: a score on the partition its key maps to is never dead-lettered. Partitions are added to an input
     * topic (4 to 6; the app's own TrackingConsumer/EndOffsetProbe already handle "a partition added to a topic"),
     * a Java producer places a key by murmur2 % 6, and the app's consumer metadata says 6. The partition count the
     * check uses comes from TrackingConsumer.partitionCount, which caches the first answer forever.
     */
    @Test
    void aScoreOnItsKeysPartitionAfterPartitionsWereAddedIsNotDeadLettered() throws Exception {
        PipelineConfig config = config("");
        String topic = config.modalities().get(config.modalityIndex("acoustic")).topic();
        // A key Java producers put on partition 0 of 6 partitions, which murmur2 % 4 puts elsewhere.
        String key = null;
        for (int i = 0; key == null; i++) {
            String id = "grown-" + i;
            if (murmur2(id, 6) == 0 && murmur2(id, 4) != 0) {
                key = id;
            }
        }

        // The stream thread's consumer, as TrackingClientSupplier wraps it, over a mock of Kafka's.
        ConsumerRegistry registry = new ConsumerRegistry();
        MockConsumer<byte[], byte[]> kafka = new MockConsumer<>("earliest");
        kafka.updatePartitions(topic, partitions(topic, 4));
        Constructor<TrackingConsumer> ctor = TrackingConsumer.class.getDeclaredConstructor(Consumer.class,
                ConsumerRegistry.class);
        ctor.setAccessible(true);
        TrackingConsumer consumer = ctor.newInstance(kafka, registry);
        TopicPartition p0 = new TopicPartition(topic, 0);
        consumer.assign(List.of(p0));
        kafka.updateBeginningOffsets(Map.of(p0, 0L));
        consumer.poll(Duration.ZERO); // this thread is now the stream thread polling it
        assertThat(registry.partitionCount(topic)).isEqualTo(4);

        // The topic grows to 6 partitions; the consumer's metadata knows it.
        kafka.updatePartitions(topic, partitions(topic, 6));
        assertThat(kafka.partitionsFor(topic, Duration.ZERO)).hasSize(6);

        // The join, with its partition counts from the registry (as FusionApp gives it) and a scripted read mark.
        MockProcessorContext<String, SpecificRecord> context = new MockProcessorContext<>(new Properties());
        context.setCurrentSystemTimeMs(FusionDriver.T0.toEpochMilli());
        context.setCurrentStreamTimeMs(FusionDriver.T0.toEpochMilli());
        ScriptedInputProgress scripted = new ScriptedInputProgress(context::currentSystemTimeMs);
        InputProgress progress = new InputProgress() {
            @Override
            public void seen(TopicPartition partition, long offset) {
                scripted.seen(partition, offset);
            }

            @Override
            public long readTo(TopicPartition partition) {
                return scripted.readTo(partition);
            }

            @Override
            public long progressedAt(TopicPartition partition) {
                return scripted.progressedAt(partition);
            }

            @Override
            public long now() {
                return scripted.now();
            }

            @Override
            public int partitionCount(String t, boolean fresh) {
                return registry.partitionCount(t, fresh);
            }
        };
        PipelineConfig.StoreType memory = PipelineConfig.StoreType.MEMORY;
        for (StateStore s : List.<StateStore>of(
                FusionTopology.pendingStore(memory).withLoggingDisabled().withCachingDisabled().build(),
                FusionTopology.emittedStore(memory, config.lateRetention()).withLoggingDisabled().build(),
                FusionTopology.deadlineIndexStore(memory).build(),
                FusionTopology.legacyFinishedStore(memory).withLoggingDisabled().build())) {
            s.init(context.getStateStoreContext(), s);
            context.addStateStore(s);
        }
        FusionProcessor processor = new FusionProcessor(config, new EventFusion(config, FusionStrategies.create(config)),
                new FusionTelemetry(new SimpleMeterRegistry()), progress);
        processor.init(context);

        ModalityScore s = score(key, "acoustic", 0.9f);
        Record<String, ModalityScore> record = new Record<>(key, s, s.getEventTime().toEpochMilli());
        context.setRecordMetadata(topic, 0, 0);
        assertThatCode(() -> processor.process(record))
                .as("key '%s' is on partition 0, where murmur2 %% 6 (the topic's partition count now) puts it", key)
                .doesNotThrowAnyException();
        assertThat(registry.partitionCount(topic))
                .as("the partition count after partitions were added to the topic").isEqualTo(6);
    }

    /** A value as a release of state format 4 wrote it: marker, 4, Avro in EventState-v4.avsc. */
    private static byte[] format4(EventState state) throws Exception {
        Schema v4;
        try (InputStream in = VersionedStateSerde.class.getResourceAsStream("/io/latefuse/state/EventState-v4.avsc")) {
            v4 = new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1);
        out.write(4);
        BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
        new SpecificDatumWriter<EventState>(v4).write(state, enc);
        enc.flush();
        return out.toByteArray();
    }

    private static EventView emittedView(PipelineConfig config, EventState state) throws Exception {
        Class<?> views = Class.forName("io.latefuse.lookup.EventViews");
        Constructor<?> ctor = views.getDeclaredConstructor(PipelineConfig.class);
        ctor.setAccessible(true);
        Method emitted = views.getDeclaredMethod("emitted", EventState.class, String.class, int.class);
        emitted.setAccessible(true);
        return (EventView) emitted.invoke(ctor.newInstance(config), state, "h:1", 0);
    }

    /**
     * Promise 3: under revision.policy on_change the lookup shows the last prediction emitted, as emitted. Revision 0
     * (DEGRADED, lexical missing) was emitted by the release before (state format 4: no emitted_with); after the
     * upgrade lexical arrives and changes too little for a revision. Nothing but revision 0 went out.
     */
    @Test
    void aScoreHeldAfterAnUpgradeFromFormat4IsNotShownAsPresent() throws Exception {
        PipelineConfig onChange = config("revision.policy: on_change\nrevision.min.delta: 0.5\n");
        ProcessorHarness h = new ProcessorHarness(onChange);
        h.process(score("e1", "acoustic", 0.9f));
        h.process(score("e1", "prosody", 0.9f));
        h.setWall(1_000);
        h.punctuate(); // revision 0: DEGRADED, lexical missing
        assertThat(h.predictions()).singleElement().satisfies(p -> assertThat(p.getPresent())
                .containsExactly("acoustic", "prosody"));

        // The emitted entry as format 4 wrote it, restored by this release.
        KeyValue<Windowed<String>, EventState> entry;
        try (KeyValueIterator<Windowed<String>, EventState> it = h.emitted.all()) {
            entry = it.next();
        }
        EventState restored = new VersionedStateSerde<>(EventState.class).deserializer()
                .deserialize("changelog", format4(entry.value));
        assertThat(restored.getEmittedWith()).isNull();
        h.emitted.put(entry.key.key(), restored, entry.key.window().start());

        h.process(score("e1", "lexical", 0.9f)); // agrees: held, not emitted
        assertThat(h.predictions()).extracting(FusedPrediction::getRevision).containsExactly(0);

        EventState now;
        try (KeyValueIterator<Windowed<String>, EventState> it = h.emitted.all()) {
            now = it.next().value;
        }
        EventView view = emittedView(onChange, now);
        assertThat(view.present()).as("present in the last emitted prediction (revision 0)")
                .containsExactly("acoustic", "prosody");
        assertThat(view.prediction().status()).as("revision 0's status").isEqualTo("DEGRADED");
    }
}
