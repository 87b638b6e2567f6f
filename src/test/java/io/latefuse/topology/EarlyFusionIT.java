package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.cli.Main;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.FusionInput;
import io.latefuse.fusion.FusionStrategies;
import io.latefuse.fusion.FusionStrategy;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.RegistryConfig;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.testkit.CommittedReader;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.training.LabelledScores;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * Early fusion on the real broker and registry: a head trained by {@code train --level early} on raw features,
 * served by a pipeline that reads the features topics with no scorer in between. An event whose second modality
 * never comes is DEGRADED; features of the wrong size or with a NaN go to the dead-letter topic, named, as the
 * records they were. Every event comes out once, with the head's own output for what arrived.
 */
@ExtendWith(RealKafka.class)
class EarlyFusionIT {
    /** a: 3 features, the sign first; b: 1 feature, a sign. The class is the product of the signs. */
    private static float[][] features(float sa, float sb, SplittableRandom r) {
        return new float[][] {{sa + (float) (r.nextDouble() - 0.5) * 0.3f, (float) r.nextDouble(), (float) r.nextDouble()},
                {sb + (float) (r.nextDouble() - 0.5) * 0.3f}};
    }

    private static ModalityFeatures record(String id, String m, float[] v) {
        List<Float> values = new ArrayList<>();
        for (float x : v) {
            values.add(x);
        }
        return ModalityFeatures.newBuilder().setEventId(id).setModality(m).setValues(values).setEventTime(Instant.now()).build();
    }

    @Test
    void anEarlyPipelineFusesFeaturesTopicsWithTheTrainedHead(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        String prefix = "early" + UUID.randomUUID().toString().substring(0, 6) + ".";
        String classes = "classes: [\"yes\", \"no\"]\n";
        // 1. Training data: labelled features (the scores columns, which early fusion does not read, say nothing).
        PipelineConfig late = env.pipeline("early-train", prefix, classes + "modalities: [{name: a}, {name: b}]\n");
        SplittableRandom r = new SplittableRandom(5);
        List<LabelledScores.Event> training = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
            float sa = r.nextBoolean() ? 1f : -1f;
            float sb = r.nextBoolean() ? 1f : -1f;
            training.add(new LabelledScores.Event("t" + i, sa * sb > 0 ? 0 : 1,
                    new float[][] {{0.5f, 0.5f}, {0.5f, 0.5f}}, null, features(sa, sb, r)));
        }
        Path data = dir.resolve("train.csv");
        LabelledScores.write(data, late, training);
        Path trainConfig = Files.writeString(dir.resolve("train.yaml"), "application.id: t\nbootstrap.servers: x:1\n"
                + "schema.registry.url: http://x\n" + classes + "modalities: [{name: a}, {name: b}]\n");
        Path head = dir.resolve("early.onnx");
        assertThat(Main.commandLine().execute("train", "--config", trainConfig.toString(), "--data", data.toString(),
                "--level", "early", "--hidden", "16", "--epochs", "60", "--dropout", "0.3", "--out", head.toString()))
                .isZero();

        // 2. The early pipeline over the features topics; no scorer runs.
        PipelineConfig config = env.pipeline("early", prefix, classes + """
                fusion.level: early
                modalities:
                  - {name: a, features.size: 3}
                  - {name: b, features.size: 1}
                max.wait: 3s
                punctuation.interval: 100ms
                store.type: memory
                strategy: onnx
                onnx.model: %s
                """.formatted(head));
        assertThat(config.inputTopics()).containsExactly(prefix + "features.a", prefix + "features.b");
        try (Admin admin = env.admin()) {
            TopicPreflight.check(admin, config, true, Optional.of(2), Optional.of((short) 1));
        }
        RegistryConfig rc = RegistryConfig.of(env.registryUrl());
        try (FusionStrategy expected = FusionStrategies.create(config);
             FusionApp fusion = new FusionApp(config, Map.of(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString(),
                     // Commits every 100 ms, so that read_committed readers see outputs well inside their wait.
                     StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100"))) {
            fusion.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> fusion.streams().state() == KafkaStreams.State.RUNNING);

            // 3. 120 events, one in ten without b; and two bad records of otherwise good events.
            Map<String, Integer> label = new HashMap<>();
            Map<String, FusionInput> inputs = new HashMap<>();
            try (KafkaProducer<String, ModalityFeatures> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()),
                    new StringSerializer(), new AvroSerializer<>(SchemaRegistry.connect(rc), rc, false))) {
                for (int e = 0; e < 120; e++) {
                    String id = "ev-" + e;
                    float sa = r.nextBoolean() ? 1f : -1f;
                    float sb = r.nextBoolean() ? 1f : -1f;
                    label.put(id, sa * sb > 0 ? 0 : 1);
                    boolean withB = e % 10 != 3;
                    float[][] f = features(sa, sb, r);
                    if (!withB) {
                        f[1] = null;
                    }
                    if (e == 5) {
                        producer.send(new ProducerRecord<>(prefix + "features.a", id, record(id, "a", new float[] {1f, 2f})));
                    }
                    if (e == 6) {
                        producer.send(new ProducerRecord<>(prefix + "features.b", id, record(id, "b", new float[] {Float.NaN})));
                    }
                    for (int m = 0; m < 2; m++) {
                        if (f[m] != null) {
                            producer.send(new ProducerRecord<>(config.inputTopics().get(m), id, record(id, m == 0 ? "a" : "b", f[m])));
                        }
                    }
                    inputs.put(id, new FusionInput(new double[][] {{}, withB ? new double[0] : null},
                            new double[] {Double.NaN, Double.NaN}, f));
                }
            }

            // 4. Each event once; COMPLETE with both, DEGRADED without b; the head's own output; mostly right.
            Map<String, Integer> emitted = new HashMap<>();
            int right = 0;
            int complete = 0;
            for (ConsumerRecord<String, FusedPrediction> rec : CommittedReader.read(env, config.outputTopic(),
                    AvroDeserializer.specific(FusedPrediction.class, SchemaRegistry.connect(rc)), label.size())) {
                FusedPrediction p = rec.value();
                emitted.merge(p.getEventId(), 1, Integer::sum);
                FusionInput in = inputs.get(p.getEventId());
                boolean withB = in.present(1);
                assertThat(p.getStatus()).as(p.getEventId())
                        .isEqualTo(withB ? PredictionStatus.COMPLETE : PredictionStatus.DEGRADED);
                assertThat((double) p.getScores().get(0)).as(p.getEventId())
                        .isCloseTo(expected.fuse(in).probabilities()[0], within(1e-6));
                if (withB) {
                    complete++;
                    right += (p.getLabel().equals("yes") ? 0 : 1) == label.get(p.getEventId()) ? 1 : 0;
                }
            }
            assertThat(emitted).hasSize(label.size()).allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            assertThat(right).as("right among the COMPLETE events, on a class that needs both modalities' features")
                    .isGreaterThan((int) (0.9 * complete));

            // 5. The two bad records, as they came in, each with its reason.
            Map<String, String> reasons = new HashMap<>();
            for (ConsumerRecord<String, ModalityFeatures> d : CommittedReader.read(env, config.deadLetterTopic(),
                    AvroDeserializer.specific(ModalityFeatures.class, SchemaRegistry.connect(rc)), 2)) {
                reasons.put(d.value().getModality() + "/" + d.value().getValues().size(), new String(
                        d.headers().lastHeader(DeadLetterReason.HEADER).value(), StandardCharsets.UTF_8));
            }
            assertThat(reasons).containsExactlyInAnyOrderEntriesOf(Map.of("a/2", "wrong_length", "b/1", "not_finite"));
        }
    }
}
