package io.latefuse.topology;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.PredictionStatus;
import io.latefuse.config.InvalidConfigException;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.fusion.OnnxModel;
import io.latefuse.streams.DeadLetterReason;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.latefuse.topology.FusionDriver.T0;
import static io.latefuse.topology.FusionDriver.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * Early fusion in the topology: features topics joined complete-or-deadline like scores, one head run on the
 * concatenated features and the mask, and bad features dead-lettered as they came in.
 */
class EarlyFusionTopologyTest {
    /** acoustic 3 features, lexical 2, prosody 4 (required); visual 1 (optional). */
    static final int[] F = {3, 2, 4, 1};
    static final String MODALITIES = """
            fusion.level: early
            strategy: onnx
            modalities:
              - {name: acoustic, features.size: 3}
              - {name: lexical, features.size: 2}
              - {name: prosody, features.size: 4}
              - {name: visual, features.size: 1, required: false}
            """;

    @TempDir
    Path dir;
    Path model;

    @BeforeEach
    void head() throws Exception {
        model = dir.resolve("early.onnx");
        OnnxGraphs.write(mlp("features", 10, 4, 6, 2, 7), model);
    }

    /** An MLP over [features (width), mask (n)] with seeded weights: every feature and mask bit moves the output. */
    static ai.onnx.proto.OnnxMl.ModelProto mlp(String featuresName, int width, int n, int hidden, int c, long seed) {
        Random r = new Random(seed);
        float[][] w1 = new float[width + n][hidden];
        float[] b1 = new float[hidden];
        float[][] w2 = new float[hidden][c];
        float[] b2 = new float[c];
        for (float[] row : w1) {
            for (int j = 0; j < hidden; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        for (int j = 0; j < hidden; j++) {
            b1[j] = (float) r.nextGaussian() * 0.1f;
            for (int k = 0; k < c; k++) {
                w2[j][k] = (float) r.nextGaussian();
            }
        }
        return OnnxGraphs.mlpHead(List.of(featuresName, "mask"), List.of(width, n), "probabilities", w1, b1, w2, b2);
    }

    static ModalityFeatures features(String event, String modality, Float... values) {
        return ModalityFeatures.newBuilder().setEventId(event).setModality(modality).setValues(List.of(values))
                .setEventTime(T0).build();
    }

    /** What the head gives for these features (null: missing), run directly: the layout is built here by hand. */
    double[] expected(float[][] perModality) {
        float[] x = new float[10];
        float[] mask = new float[4];
        int at = 0;
        for (int i = 0; i < 4; i++) {
            if (perModality[i] != null) {
                System.arraycopy(perModality[i], 0, x, at, F[i]);
                mask[i] = 1f;
            }
            at += F[i];
        }
        try (OnnxModel m = OnnxModel.load(model)) {
            float[] out = m.run(Map.of("features", x, "mask", mask), Map.of("features", 10, "mask", 4), 1, "probabilities")[0];
            return new double[] {out[0], out[1]};
        }
    }

    private FusionDriver driver() {
        return new FusionDriver(MODALITIES + "onnx.model: " + model + "\n");
    }

    @Test
    void aCompleteEventIsTheHeadsOutputOverItsConcatenatedFeatures() {
        try (FusionDriver d = driver()) {
            d.send(features("e1", "lexical", 0.5f, -1f));
            d.send(features("e1", "acoustic", 1f, 2f, 3f));
            d.send(features("e1", "visual", 0.25f));
            assertThat(d.drain()).as("prosody is required").isEmpty();
            d.send(features("e1", "prosody", -0.5f, 0f, 0.5f, 1f));
            double[] want = expected(new float[][] {{1f, 2f, 3f}, {0.5f, -1f}, {-0.5f, 0f, 0.5f, 1f}, {0.25f}});
            assertThat(d.drain()).singleElement().satisfies(p -> {
                assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
                assertThat(p.getStrategy()).isEqualTo("onnx");
                assertThat(p.getPresent()).containsExactly("acoustic", "lexical", "prosody", "visual");
                assertThat((double) p.getScores().get(0)).isCloseTo(want[0], within(1e-6));
                assertThat((double) p.getScores().get(1)).isCloseTo(want[1], within(1e-6));
            });
            d.advanceWall(1_000);
            assertThat(d.drain()).as("emitted once").isEmpty();
        }
    }

    @Test
    void aMissingModalityIsZerosAndAMaskBitAtTheDeadline_andItsLateFeaturesRevise() {
        try (FusionDriver d = driver()) {
            d.send(features("e1", "acoustic", 1f, 2f, 3f));
            d.send(features("e1", "prosody", -0.5f, 0f, 0.5f, 1f));
            d.advanceWall(310);
            double[] degraded = expected(new float[][] {{1f, 2f, 3f}, null, {-0.5f, 0f, 0.5f, 1f}, null});
            assertThat(d.drain()).singleElement().satisfies(p -> {
                assertThat(p.getStatus()).isEqualTo(PredictionStatus.DEGRADED);
                assertThat(p.getMissing()).containsExactly("lexical", "visual");
                assertThat((double) p.getScores().get(0)).isCloseTo(degraded[0], within(1e-6));
            });
            d.send(features("e1", "lexical", 0.5f, -1f));
            double[] revised = expected(new float[][] {{1f, 2f, 3f}, {0.5f, -1f}, {-0.5f, 0f, 0.5f, 1f}, null});
            assertThat(revised[0]).as("the test's features move the head").isNotCloseTo(degraded[0], within(1e-4));
            assertThat(d.drain()).singleElement().satisfies(p -> {
                assertThat(p.getRevision()).isEqualTo(1);
                assertThat(p.getStatus()).isEqualTo(PredictionStatus.COMPLETE);
                assertThat((double) p.getScores().get(0)).isCloseTo(revised[0], within(1e-6));
            });
        }
    }

    @Test
    void featuresOfTheWrongSizeOrWithANanGoToTheDeadLetterTopicAsTheyCameIn_andTheEventGoesOn() {
        try (FusionDriver d = driver()) {
            d.send(features("e1", "acoustic", 1f, 2f));
            d.send(features("e1", "lexical", 0.5f, Float.NaN));
            List<TestRecord<byte[], byte[]>> dead = d.drainDeadLetters();
            assertThat(dead).hasSize(2);
            assertThat(header(dead.get(0), DeadLetterReason.HEADER)).isEqualTo("wrong_length");
            assertThat(header(dead.get(0), DeadLetterReason.DETAIL_HEADER))
                    .contains("modality acoustic").contains("features has 2 values, expected features.size 3");
            assertThat(header(dead.get(1), DeadLetterReason.HEADER)).isEqualTo("not_finite");
            assertThat(header(dead.get(1), DeadLetterReason.DETAIL_HEADER)).contains("lexical").contains("features[1] is NaN");
            ModalityFeatures back = d.featuresSerde.deserializer().deserialize("t.dead-letters", dead.get(0).value());
            assertThat(back).isEqualTo(features("e1", "acoustic", 1f, 2f));

            // Good features of the same event still make it.
            d.send(features("e1", "acoustic", 1f, 2f, 3f));
            d.send(features("e1", "lexical", 0.5f, -1f));
            d.send(features("e1", "prosody", -0.5f, 0f, 0.5f, 1f));
            assertThat(d.drain()).extracting(FusedPrediction::getStatus).containsExactly(PredictionStatus.COMPLETE);
        }
    }

    @Test
    void theEarlyTopologyReadsTheFeaturesTopicsThroughOneNamedNodeIntoTheSameJoin() {
        try (FusionDriver d = driver()) {
            assertThat(d.config.inputTopics()).containsExactly("t.features.acoustic", "t.features.lexical",
                    "t.features.prosody", "t.features.visual");
            String topology = d.topology.describe().toString();
            assertThat(topology).contains("Source: features-acoustic (topics: [t.features.acoustic])")
                    .contains("Processor: features-as-arrivals").contains("Processor: fuse (stores: [")
                    .contains("pending").contains("Sink: dead-letter-sink").doesNotContain("scores-acoustic");
        }
    }

    @Test
    void aHeldArrivalDeadLettersAsTheFeaturesRecordItWas() {
        ModalityFeatures f = features("e9", "visual", 0.75f);
        assertThat(FeaturesArrivals.features(FeaturesArrivals.arrival(f))).isEqualTo(f);
    }

    @Test
    void aHeadWhoseFeaturesWidthIsNotTheSumOfFeaturesSizeStopsStartupListingItsInputs() throws Exception {
        Path wrong = dir.resolve("wrong.onnx");
        OnnxGraphs.write(mlp("features", 9, 4, 3, 2, 1), wrong);
        assertThatThrownBy(() -> new FusionDriver(MODALITIES + "onnx.model: " + wrong + "\n"))
                .isInstanceOf(OnnxModel.ModelMismatchException.class)
                .hasMessageContaining("features").hasMessageContaining("10").hasMessageContaining("[3, 2, 4, 1]");
    }

    @Test
    void mixturesThatMakeNoSenseAreRefusedNamingTheKey() {
        List<String> refused = new ArrayList<>();
        for (String extra : List.of(
                "fusion.level: early\nstrategy: log_odds\n",
                MODALITIES.replace("{name: lexical, features.size: 2}", "{name: lexical}") + "onnx.model: " + model + "\n",
                MODALITIES.replace("features.size: 2}", "features.size: 2, calibration: {method: temperature, temperature: 2}}")
                        + "onnx.model: " + model + "\n",
                "strategy: onnx\nonnx.model: " + model + "\nonnx.input.embeddings: embeddings\n",
                "modalities:\n  - {name: acoustic, features.size: 3}\n")) {
            assertThatThrownBy(() -> new FusionDriver(extra)).isInstanceOf(InvalidConfigException.class)
                    .satisfies(e -> refused.add(e.getMessage()));
        }
        assertThat(refused.get(0)).contains("strategy = 'log_odds'").contains("fusion.level is early").contains("strategy: onnx");
        assertThat(refused.get(1)).contains("modalities[1] (lexical).features.size").contains("missing");
        assertThat(refused.get(2)).contains("modalities[1] (lexical).calibration").contains("fusion.level is early");
        assertThat(refused.get(3)).contains("onnx.input.embeddings = 'embeddings'").contains("fusion.level is late")
                .contains("intermediate or hybrid");
        assertThat(refused.get(4)).contains("modalities[0] (acoustic).features.size").contains("only early fusion");
    }
}
