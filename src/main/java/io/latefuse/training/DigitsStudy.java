package io.latefuse.training;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.PipelineConfig;
import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.scoring.ModalityScorer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;

/**
 * The UCI digits as four views: each 8x8 image split into 4x4 quadrants. One softmax regression per quadrant,
 * exported to ONNX and run through {@link ModalityScorer}, the production scorer code.
 */
public final class DigitsStudy {
    public static final int VIEWS = 4;
    public static final int PIXELS = 16;
    public static final int CLASSES = 10;

    /** One image: 64 pixels (0..16) row-major, and its digit. */
    public record Image(String id, int[] pixels, int label) {}

    /** Indices of a stratified split. */
    public record Split(List<Image> train, List<Image> validation, List<Image> test) {}

    private DigitsStudy() {}

    public static List<Image> read(Path csvGz) throws IOException {
        List<Image> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(csvGz)),
                StandardCharsets.UTF_8))) {
            String line;
            int row = 0;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",");
                if (cells.length != 65) {
                    throw new IllegalArgumentException(csvGz + " row " + (row + 1) + ": " + cells.length + " cells, expected 65");
                }
                int[] px = new int[64];
                for (int i = 0; i < 64; i++) {
                    px[i] = Integer.parseInt(cells[i].trim());
                }
                out.add(new Image("digit-" + row, px, Integer.parseInt(cells[64].trim())));
                row++;
            }
        }
        return out;
    }

    /** A stratified split: within each digit, shuffled with {@code seed}, then 60% / 20% / 20%. */
    public static Split split(List<Image> images, long seed) {
        Random rnd = new Random(seed);
        List<Image> train = new ArrayList<>();
        List<Image> val = new ArrayList<>();
        List<Image> test = new ArrayList<>();
        for (int digit = 0; digit < CLASSES; digit++) {
            final int d = digit;
            List<Image> of = new ArrayList<>(images.stream().filter(i -> i.label() == d).toList());
            Collections.shuffle(of, rnd);
            int nTrain = (int) Math.round(of.size() * 0.6);
            int nVal = (int) Math.round(of.size() * 0.2);
            train.addAll(of.subList(0, nTrain));
            val.addAll(of.subList(nTrain, nTrain + nVal));
            test.addAll(of.subList(nTrain + nVal, of.size()));
        }
        return new Split(train, val, test);
    }

    /** Quadrant {@code q} (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right), pixels scaled to [0, 1]. */
    public static float[] view(Image image, int q) {
        int row0 = q < 2 ? 0 : 4;
        int col0 = q % 2 == 0 ? 0 : 4;
        float[] v = new float[PIXELS];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                v[r * 4 + c] = image.pixels()[(row0 + r) * 8 + col0 + c] / 16f;
            }
        }
        return v;
    }

    /** The images' quadrants as scorers' features ({@link #view}: pixels already divided by 16), by modality name. */
    public static List<FeatureRows.Event> features(PipelineConfig config, List<Image> images) {
        List<FeatureRows.Event> out = new ArrayList<>(images.size());
        for (Image img : images) {
            java.util.Map<String, float[]> f = new java.util.LinkedHashMap<>();
            for (int q = 0; q < VIEWS; q++) {
                f.put(config.modalityNames().get(q), view(img, q));
            }
            out.add(new FeatureRows.Event(img.id(), f));
        }
        return out;
    }

    /** The quadrant models' embedding output: the quadrant's first principal components. */
    public static final String EMBEDDING_OUTPUT = "embedding";
    /** How many principal components of its 16 pixels a quadrant's embedding holds. */
    public static final int EMBEDDING = 8;

    /**
     * Fits the quadrant's model on {@code train} and writes it as ONNX: class probabilities, and as its embedding the
     * projection of its scaled pixels on their first {@link #EMBEDDING} principal components (fitted on
     * {@code train}, with no label), which intermediate and hybrid heads fuse.
     */
    public static Path trainView(List<Image> train, int q, Path file) throws IOException {
        int[] y = train.stream().mapToInt(Image::label).toArray();
        List<float[]> x = train.stream().map(i -> view(i, q)).toList();
        SoftmaxRegression.Weights w = SoftmaxRegression.fit(PIXELS, CLASSES, y, (epoch, i) -> x.get(i),
                new SoftmaxRegression.Settings(300, 0.05, 1e-3));
        OnnxGraphs.write(OnnxGraphs.softmaxRegressionWithEmbedding("pixels", "probabilities", EMBEDDING_OUTPUT,
                w.w(), w.b(), principalComponents(x, EMBEDDING)), file);
        return file;
    }

    /** The first {@code k} principal axes of {@code x} as a [features][k] projection, largest variance first. */
    static float[][] principalComponents(List<float[]> x, int k) {
        int d = x.get(0).length;
        double[] mean = new double[d];
        for (float[] row : x) {
            for (int i = 0; i < d; i++) {
                mean[i] += row[i] / (double) x.size();
            }
        }
        double[][] cov = new double[d][d];
        for (float[] row : x) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    cov[i][j] += (row[i] - mean[i]) * (row[j] - mean[j]) / (x.size() - 1);
                }
            }
        }
        org.apache.commons.math3.linear.EigenDecomposition eig = new org.apache.commons.math3.linear.EigenDecomposition(
                new org.apache.commons.math3.linear.Array2DRowRealMatrix(cov));
        double[] values = eig.getRealEigenvalues();
        Integer[] order = new Integer[d];
        for (int i = 0; i < d; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a]));
        float[][] p = new float[d][k];
        for (int c = 0; c < k; c++) {
            org.apache.commons.math3.linear.RealVector axis = eig.getEigenvector(order[c]);
            // An eigenvector's sign is arbitrary; fix it (largest component positive) so the same data gives the same model.
            double sign = axis.getEntry(axis.getMaxIndex()) >= -axis.getEntry(axis.getMinIndex()) ? 1 : -1;
            for (int i = 0; i < d; i++) {
                p[i][c] = (float) (sign * axis.getEntry(i));
            }
        }
        return p;
    }

    /**
     * Scores {@code images} with each quadrant's ONNX model through the production scorer: scores and embeddings; and
     * each quadrant's raw pixels (0 to 16, as the data gives them) as its features, for early fusion.
     */
    public static List<LabelledScores.Event> score(PipelineConfig config, List<Path> models, List<Image> images) {
        float[][][] scores = new float[images.size()][VIEWS][];
        float[][][] embeddings = new float[images.size()][VIEWS][];
        float[][][] features = new float[images.size()][VIEWS][];
        for (int q = 0; q < VIEWS; q++) {
            String modality = config.modalityNames().get(q);
            try (ModalityScorer scorer = ModalityScorer.load(modality, models.get(q), CLASSES, ScoreType.PROBABILITY,
                    EMBEDDING_OUTPUT, EMBEDDING)) {
                List<ModalityFeatures> batch = new ArrayList<>();
                for (int i = 0; i < images.size(); i++) {
                    Image img = images.get(i);
                    List<Float> v = new ArrayList<>();
                    float[] raw = view(img, q);
                    for (int k = 0; k < raw.length; k++) {
                        v.add(raw[k]);
                        raw[k] *= 16f;
                    }
                    features[i][q] = raw;
                    batch.add(ModalityFeatures.newBuilder().setEventId(img.id()).setModality(modality).setValues(v)
                            .setEventTime(Instant.EPOCH).build());
                }
                for (int from = 0; from < batch.size(); from += 256) {
                    List<ModalityScore> out = scorer.score(batch.subList(from, Math.min(batch.size(), from + 256)));
                    for (int i = 0; i < out.size(); i++) {
                        float[] s = new float[CLASSES];
                        for (int k = 0; k < CLASSES; k++) {
                            s[k] = out.get(i).getScores().get(k);
                        }
                        scores[from + i][q] = s;
                        float[] e = new float[EMBEDDING];
                        for (int k = 0; k < EMBEDDING; k++) {
                            e[k] = out.get(i).getEmbedding().get(k);
                        }
                        embeddings[from + i][q] = e;
                    }
                }
            }
        }
        List<LabelledScores.Event> events = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            events.add(new LabelledScores.Event(images.get(i).id(), images.get(i).label(), scores[i], embeddings[i],
                    features[i]));
        }
        return events;
    }
}
