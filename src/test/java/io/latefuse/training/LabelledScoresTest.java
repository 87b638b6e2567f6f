package io.latefuse.training;

import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LabelledScoresTest {
    static final PipelineConfig DDSD = PipelineConfigLoader.load(Path.of("config/ddsd.yaml"), Map.of());

    @Test
    void csvRoundTripsWithMissingModalities(@TempDir Path dir) throws Exception {
        List<LabelledScores.Event> events = new SyntheticDdsd(1).labelled(50);
        Path f = dir.resolve("s.csv");
        LabelledScores.write(f, DDSD, events);
        List<LabelledScores.Event> back = LabelledScores.read(f, DDSD);
        assertThat(back).hasSize(50);
        for (int i = 0; i < 50; i++) {
            assertThat(back.get(i).label()).isEqualTo(events.get(i).label());
            for (int m = 0; m < 4; m++) {
                if (events.get(i).scores()[m] == null) {
                    assertThat(back.get(i).scores()[m]).isNull();
                } else {
                    assertThat(back.get(i).scores()[m][0]).isCloseTo(events.get(i).scores()[m][0], within(1e-5f));
                }
            }
        }
    }

    @Test
    void avroIsWrittenWhenAskedForReadsBackAndIsTheSameForTheSameEvents(@TempDir Path dir) throws Exception {
        List<LabelledScores.Event> events = new SyntheticDdsd(4).labelled(80);
        Path a = dir.resolve("a.avro");
        Path b = dir.resolve("b.AVRO");
        LabelledScores.write(a, DDSD, events);
        LabelledScores.write(b, DDSD, events);
        assertThat(Files.readAllBytes(a)).startsWith('O', 'b', 'j', 1).isEqualTo(Files.readAllBytes(b));
        List<LabelledScores.Event> back = LabelledScores.read(a, DDSD);
        assertThat(back).hasSize(80);
        for (int i = 0; i < 80; i++) {
            assertThat(back.get(i).eventId()).isEqualTo(events.get(i).eventId());
            assertThat(back.get(i).label()).isEqualTo(events.get(i).label());
            for (int m = 0; m < 4; m++) {
                if (events.get(i).scores()[m] == null) {
                    assertThat(back.get(i).scores()[m]).isNull();
                } else {
                    assertThat(back.get(i).scores()[m]).containsExactly(events.get(i).scores()[m], within(1e-6f));
                }
            }
        }
    }

    @Test
    void embeddingsRoundTripInCsvAndAvro(@TempDir Path dir) throws Exception {
        List<LabelledScores.Event> base = new SyntheticDdsd(2).labelled(30);
        List<LabelledScores.Event> events = new java.util.ArrayList<>();
        for (LabelledScores.Event e : base) {
            float[][] emb = new float[4][];
            for (int m = 0; m < 4; m++) {
                if (e.scores()[m] != null) {
                    emb[m] = new float[] {m + 0.25f, -m - 0.5f, e.scores()[m][0]};
                }
            }
            events.add(new LabelledScores.Event(e.eventId(), e.label(), e.scores(), emb));
        }
        for (String name : List.of("e.csv", "e.avro")) {
            Path f = dir.resolve(name);
            LabelledScores.write(f, DDSD, events);
            if (name.endsWith(".csv")) {
                assertThat(Files.readAllLines(f).get(0)).endsWith(",visual.emb.0,visual.emb.1,visual.emb.2")
                        .contains("visual_undirected,acoustic.emb.0,");
            }
            List<LabelledScores.Event> back = LabelledScores.read(f, DDSD);
            assertThat(LabelledScores.embeddingSize(back)).as(name).isEqualTo(3);
            for (int i = 0; i < events.size(); i++) {
                for (int m = 0; m < 4; m++) {
                    if (events.get(i).embeddings()[m] == null) {
                        assertThat(back.get(i).embeddings()[m]).as(name).isNull();
                    } else {
                        assertThat(back.get(i).embeddings()[m]).as(name).containsExactly(events.get(i).embeddings()[m], within(1e-5f));
                    }
                }
            }
        }
        // A present modality without its embedding, in a file that has embeddings, names its line.
        Path f = dir.resolve("e.csv");
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(f));
        int row = 1;
        while (events.get(row - 1).scores()[0] == null) {
            row++;
        }
        String[] cells = lines.get(row).split(",", -1);
        int firstEmb = 2 + 4 * 2;
        cells[firstEmb] = "";
        lines.set(row, String.join(",", cells));
        Files.write(f, lines);
        int line = row + 1;
        assertThatThrownBy(() -> LabelledScores.read(f, DDSD)).isInstanceOf(DataFileException.class)
                .hasMessageContaining("line " + line + ": modality acoustic has scores but not all of its embedding");
    }

    @Test
    void featuresOfPerModalitySizesRoundTripBesideEmbeddingsInCsvAndAvro_andABadCellIsNamed(@TempDir Path dir) throws Exception {
        List<LabelledScores.Event> events = new java.util.ArrayList<>();
        int[] sizes = {3, 1, 2, 4};
        for (LabelledScores.Event e : new SyntheticDdsd(3).labelled(30)) {
            float[][] emb = new float[4][];
            float[][] feat = new float[4][];
            for (int m = 0; m < 4; m++) {
                if (e.scores()[m] != null) {
                    emb[m] = new float[] {m, e.scores()[m][0]};
                    feat[m] = new float[sizes[m]];
                    for (int k = 0; k < sizes[m]; k++) {
                        feat[m][k] = m * 10 + k + 0.5f;
                    }
                }
            }
            events.add(new LabelledScores.Event(e.eventId(), e.label(), e.scores(), emb, feat));
        }
        for (String name : List.of("f.csv", "f.avro")) {
            Path f = dir.resolve(name);
            LabelledScores.write(f, DDSD, events);
            if (name.endsWith(".csv")) {
                assertThat(Files.readAllLines(f).get(0)).contains(",visual.emb.1,acoustic.feat.0,acoustic.feat.1,acoustic.feat.2,lexical.feat.0,")
                        .endsWith(",visual.feat.3");
            }
            List<LabelledScores.Event> back = LabelledScores.read(f, DDSD);
            assertThat(LabelledScores.featureSizes(back, 4)).as(name).containsExactly(sizes);
            for (int i = 0; i < events.size(); i++) {
                for (int m = 0; m < 4; m++) {
                    float[] want = events.get(i).features()[m];
                    if (want == null) {
                        assertThat(back.get(i).features()[m]).as(name).isNull();
                    } else {
                        assertThat(back.get(i).features()[m]).as(name).containsExactly(want, within(1e-5f));
                        assertThat(back.get(i).embeddings()[m]).as(name).hasSize(2);
                    }
                }
            }
        }
        Path f = dir.resolve("f.csv");
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(f));
        int row = 1;
        while (events.get(row - 1).scores()[1] == null) {
            row++;
        }
        String[] cells = lines.get(row).split(",", -1);
        cells[2 + 4 * 2 + 4 * 2 + 3] = "NaN"; // lexical.feat.0
        lines.set(row, String.join(",", cells));
        Files.write(f, lines);
        int line = row + 1;
        assertThatThrownBy(() -> LabelledScores.read(f, DDSD)).isInstanceOf(DataFileException.class)
                .hasMessageContaining("line " + line + ", column lexical.feat.0: 'NaN' is not a finite number");
    }

    @Test
    void aMissingOrMisnamedFileIsOneLineThatSaysWhatToDo(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> LabelledScores.read(dir.resolve("none.csv"), DDSD)).isInstanceOf(DataFileException.class)
                .hasMessageEndingWith("none.csv: no such file; write one with: latefuse generate ddsd --out none.csv");
        Path csv = dir.resolve("s.csv");
        Path avro = dir.resolve("s.avro");
        LabelledScores.write(csv, DDSD, new SyntheticDdsd(1).labelled(5));
        LabelledScores.write(avro, DDSD, new SyntheticDdsd(1).labelled(5));
        Path csvNamedAvro = Files.copy(csv, dir.resolve("csv.avro"));
        Path avroNamedCsv = Files.copy(avro, dir.resolve("avro.csv"));
        assertThatThrownBy(() -> LabelledScores.read(csvNamedAvro, DDSD)).isInstanceOf(DataFileException.class)
                .hasMessageContaining("csv.avro: not an Avro data file, though its name ends in .avro");
        assertThatThrownBy(() -> LabelledScores.read(avroNamedCsv, DDSD)).isInstanceOf(DataFileException.class)
                .hasMessageContaining("avro.csv: an Avro data file, but its name does not end in .avro");
        assertThatThrownBy(() -> LabelledScores.write(dir.resolve("s.json"), DDSD, List.of()))
                .isInstanceOf(DataFileException.class).hasMessageContaining("s.json: write .csv").hasMessageContaining(".avro");
    }

    @Test
    void badCsvNamesTheLineAndColumn(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.csv");
        String header = String.join(",", LabelledScores.header(DDSD));
        Files.writeString(f, header + "\nu1,directed,0.9,0.1,,,,,,\nu2,maybe,0.9,0.1,,,,,,\n");
        assertThatThrownBy(() -> LabelledScores.read(f, DDSD)).hasMessageContaining("line 3").hasMessageContaining("'maybe'");
        Files.writeString(f, header + "\nu1,directed,0.9,x,,,,,,\n");
        assertThatThrownBy(() -> LabelledScores.read(f, DDSD)).hasMessageContaining("line 2").hasMessageContaining("acoustic_undirected");
        Files.writeString(f, "event_id,label\n");
        assertThatThrownBy(() -> LabelledScores.read(f, DDSD)).hasMessageContaining("line 1").hasMessageContaining("header");
    }

    @Test
    void readsAnAvroFileOfModalityScoresPlusLabel(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("train.avro");
        try (DataFileWriter<LabelledModalityScore> w = new DataFileWriter<>(new SpecificDatumWriter<>(LabelledModalityScore.class))) {
            w.create(LabelledModalityScore.getClassSchema(), f.toFile());
            w.append(new LabelledModalityScore("directed", score("u1", "acoustic", List.of(0.8f, 0.2f), ScoreType.PROBABILITY), null));
            w.append(new LabelledModalityScore("directed", score("u1", "visual", List.of(2f, 0f), ScoreType.LOGIT), null));
            w.append(new LabelledModalityScore("undirected", score("u2", "lexical", List.of(0.3f, 0.7f), ScoreType.PROBABILITY), null));
        }
        List<LabelledScores.Event> events = LabelledScores.read(f, DDSD);
        assertThat(events).hasSize(2);
        assertThat(events.get(0).label()).isZero();
        assertThat(events.get(0).scores()[0][0]).isCloseTo(0.8f, within(1e-6f));
        assertThat(events.get(0).scores()[3][0]).isCloseTo((float) (1 / (1 + Math.exp(-2))), within(1e-6f));
        assertThat(events.get(0).scores()[1]).isNull();
        assertThat(events.get(1).label()).isEqualTo(1);
    }

    /** Issue 27, item 6: one rule set (the fusion app's) for scores in CSV and Avro, naming the record. */
    @Test
    void avroAndCsvScoresMeetTheRulesTheAppHoldsScoresTo(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("train.avro");
        Object[][] bad = {
                {List.of(Float.NaN, 0.2f), ScoreType.PROBABILITY, "scores[0] (directed) is NaN"},
                {List.of(0.5f, Float.POSITIVE_INFINITY), ScoreType.LOGIT, "scores[1] (undirected) is Infinity"},
                {List.of(1.5f, -0.5f), ScoreType.PROBABILITY, "scores[0] (directed) = 1.5 is not a probability in [0, 1]"},
                {List.of(0.5f, 0.2f), ScoreType.PROBABILITY, "PROBABILITY scores sum to 0.7, not 1"},
        };
        for (Object[] b : bad) {
            @SuppressWarnings("unchecked")
            List<Float> values = (List<Float>) b[0];
            try (DataFileWriter<LabelledModalityScore> w = new DataFileWriter<>(new SpecificDatumWriter<>(LabelledModalityScore.class))) {
                w.create(LabelledModalityScore.getClassSchema(), f.toFile());
                w.append(new LabelledModalityScore("directed", score("u1", "acoustic", List.of(0.8f, 0.2f), ScoreType.PROBABILITY), null));
                w.append(new LabelledModalityScore("undirected", score("u2", "lexical", values, (ScoreType) b[1]), null));
            }
            assertThatThrownBy(() -> LabelledScores.read(f, DDSD)).as("%s", b[0])
                    .isInstanceOf(DataFileException.class)
                    .hasMessageContaining("train.avro record 2 (event u2), modality lexical: " + b[2]);
        }
        Path csv = dir.resolve("train.csv");
        String header = String.join(",", LabelledScores.header(DDSD));
        Files.writeString(csv, header + "\nu1,directed,0.9,0.1,,,,,,\nu2,directed,0.5,0.2,,,,,,\n");
        assertThatThrownBy(() -> LabelledScores.read(csv, DDSD)).isInstanceOf(DataFileException.class)
                .hasMessageContaining("train.csv line 3, modality acoustic: PROBABILITY scores sum to 0.7, not 1");
    }

    @Test
    void aHeadWhoseWeightsAreNotFiniteIsNeverMade() {
        float[][] w = new float[FusionHead.featureCount(2, 2)][2];
        w[3][1] = Float.NaN;
        assertThatThrownBy(() -> new FusionHead(2, 2, w, new float[2]))
                .hasMessageContaining("weights[3][1] is NaN").hasMessageContaining("not written");
        assertThatThrownBy(() -> new MlpHead(new float[][] {{0f}}, new float[] {Float.POSITIVE_INFINITY},
                new float[][] {{0f, 0f}}, new float[2])).hasMessageContaining("b1[0][0] is Infinity");
    }

    private static ModalityScore score(String id, String m, List<Float> s, ScoreType t) {
        return ModalityScore.newBuilder().setEventId(id).setModality(m).setModel(m).setModelVersion("1").setScores(s)
                .setScoreType(t).setEventTime(Instant.EPOCH).build();
    }
}
