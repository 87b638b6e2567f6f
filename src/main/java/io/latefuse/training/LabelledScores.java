package io.latefuse.training;

import io.latefuse.avro.LabelledModalityScore;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Labelled per-modality scores in CSV: {@code event_id,label,<modality>_<class>...}, modalities and classes in
 * config order, the label a class name, and empty cells where a modality is missing; optionally followed by every
 * modality's embedding, {@code <modality>.emb.0 .. <modality>.emb.<E-1>} (one E for all, as the head contract takes
 * [B, N*E]); and optionally then every modality's raw features, {@code <modality>.feat.0 .. <modality>.feat.<F-1>},
 * for early fusion (F may differ between modalities). A modality's scores, embedding and features are present or
 * missing together. Or an Avro data file of {@code LabelledModalityScore}, whose scores may carry embeddings and
 * whose records may carry features. Bad files give an error that names the line (record) and the column.
 */
public final class LabelledScores {

    /**
     * One labelled event: raw scores [N][C], null where the modality is missing; embeddings [N][E] and features
     * [N][F_i] with the same rows present, each null when the data has none.
     */
    public record Event(String eventId, int label, float[][] scores, float[][] embeddings, float[][] features) {
        public Event(String eventId, int label, float[][] scores) {
            this(eventId, label, scores, null, null);
        }

        public Event(String eventId, int label, float[][] scores, float[][] embeddings) {
            this(eventId, label, scores, embeddings, null);
        }
    }

    /** Each modality's feature count F_i in {@code events}, or null when they carry no features. */
    public static int[] featureSizes(List<Event> events, int n) {
        int[] sizes = new int[n];
        boolean any = false;
        for (Event e : events) {
            for (int m = 0; e.features() != null && m < n; m++) {
                if (e.features()[m] != null && sizes[m] == 0) {
                    sizes[m] = e.features()[m].length;
                    any = true;
                }
            }
        }
        return any ? sizes : null;
    }

    /** The feature columns: every modality's {@code <modality>.feat.<k>} for its F_i, in config order. */
    public static List<String> featuresHeader(PipelineConfig config, int[] sizes) {
        List<String> h = new ArrayList<>();
        for (int m = 0; sizes != null && m < config.numModalities(); m++) {
            for (int k = 0; k < sizes[m]; k++) {
                h.add(config.modalityNames().get(m) + ".feat." + k);
            }
        }
        return h;
    }

    /** The embedding length E of {@code events}, or 0 when they carry none. */
    public static int embeddingSize(List<Event> events) {
        for (Event e : events) {
            if (e.embeddings() != null) {
                for (float[] v : e.embeddings()) {
                    if (v != null) {
                        return v.length;
                    }
                }
            }
        }
        return 0;
    }

    /** The embedding columns for E: every modality's {@code <modality>.emb.<k>}, in config order. */
    public static List<String> embeddingHeader(PipelineConfig config, int e) {
        List<String> h = new ArrayList<>();
        for (String m : config.modalityNames()) {
            for (int k = 0; k < e; k++) {
                h.add(m + ".emb." + k);
            }
        }
        return h;
    }

    private LabelledScores() {}

    public static List<String> header(PipelineConfig config) {
        List<String> h = new ArrayList<>(List.of("event_id", "label"));
        for (String m : config.modalityNames()) {
            for (String c : config.classes()) {
                h.add(m + "_" + c);
            }
        }
        return h;
    }

    /** Reads CSV, or an Avro data file of {@code LabelledModalityScore} when the name ends in {@code .avro}. */
    public static List<Event> read(Path file, PipelineConfig config) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DataFileException(file + ": no such file" + (Files.isDirectory(file) ? " (it is a directory)" : "")
                    + "; write one with: latefuse generate ddsd --out " + file.getFileName());
        }
        if (isAvro(file)) {
            return readAvro(file, config);
        }
        if (startsWithAvroMagic(file)) {
            throw new DataFileException(file + ": an Avro data file, but its name does not end in .avro; rename it");
        }
        return readCsv(file, config);
    }

    private static boolean isAvro(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".avro");
    }

    /** Avro data files begin with "Obj" and the format version 1. */
    private static boolean startsWithAvroMagic(Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 'O' && head[1] == 'b' && head[2] == 'j' && head[3] == 1;
        }
    }

    /** Writes CSV when the name ends in {@code .csv}, an Avro data file of {@code LabelledModalityScore} for {@code .avro}. */
    public static void write(Path file, PipelineConfig config, List<Event> events) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".csv") && !name.endsWith(".avro")) {
            throw new DataFileException(file + ": write .csv (labelled scores as CSV) or .avro (an Avro data file of "
                    + "LabelledModalityScore)");
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (name.endsWith(".avro")) {
            writeAvro(file, config, events);
        } else {
            writeCsv(file, config, events);
        }
    }

    /**
     * One record per (event, present modality), in event order: PROBABILITY scores, the model named
     * {@code labelled}, and as event_time the event's index in seconds after the epoch (the data has no clock). The
     * file's sync marker is fixed, so that the same events give the same bytes.
     */
    private static void writeAvro(Path file, PipelineConfig config, List<Event> events) throws IOException {
        byte[] sync = "latefuse-labels!".getBytes(StandardCharsets.US_ASCII);
        try (org.apache.avro.file.DataFileWriter<LabelledModalityScore> w = new org.apache.avro.file.DataFileWriter<>(
                new org.apache.avro.specific.SpecificDatumWriter<>(LabelledModalityScore.class))) {
            w.create(LabelledModalityScore.getClassSchema(), Files.newOutputStream(file), sync); // the writer closes it
            long index = 0;
            for (Event e : events) {
                for (int m = 0; m < config.numModalities(); m++) {
                    float[] s = e.scores()[m];
                    if (s == null) {
                        continue;
                    }
                    ModalityScore.Builder score = ModalityScore.newBuilder()
                            .setEventId(e.eventId()).setModality(config.modalityNames().get(m))
                            .setModel("labelled").setModelVersion("1").setScores(floats(s))
                            .setScoreType(io.latefuse.avro.ScoreType.PROBABILITY)
                            .setEventTime(java.time.Instant.ofEpochSecond(index));
                    float[] emb = e.embeddings() == null ? null : e.embeddings()[m];
                    if (emb != null) {
                        score.setEmbedding(floats(emb));
                    }
                    float[] feat = e.features() == null ? null : e.features()[m];
                    w.append(new LabelledModalityScore(config.classes().get(e.label()), score.build(),
                            feat == null ? null : floats(feat)));
                }
                index++;
            }
        }
    }

    /**
     * Reads an Avro data file of {@link LabelledModalityScore}: one record per (event, modality), grouped by event_id
     * in order of first appearance. Scores are calibrated later like CSV ones; LOGIT scores are turned into
     * probabilities here.
     */
    static List<Event> readAvro(Path file, PipelineConfig config) throws IOException {
        io.latefuse.registry.TrustedAvroClasses.trust(LabelledModalityScore.class);
        java.util.Map<String, Event> byId = new java.util.LinkedHashMap<>();
        if (!startsWithAvroMagic(file)) {
            throw new DataFileException(file + ": not an Avro data file, though its name ends in .avro (a .avro file "
                    + "is read as an Avro data file of LabelledModalityScore, any other as CSV); rename a CSV file to .csv");
        }
        try {
            try (org.apache.avro.file.DataFileReader<LabelledModalityScore> r = new org.apache.avro.file.DataFileReader<>(
                    file.toFile(), new org.apache.avro.specific.SpecificDatumReader<>(LabelledModalityScore.class))) {
                long record = 0;
                for (LabelledModalityScore l : r) {
                    record++;
                    ModalityScore s = l.getScore();
                    String where = file + " record " + record + " (event " + s.getEventId() + ")";
                    int label = config.classes().indexOf(l.getLabel());
                    if (label < 0) {
                        throw new DataFileException(where + ": label '" + l.getLabel() + "' is not a class ("
                                + String.join(", ", config.classes()) + ")");
                    }
                    int m = config.modalityIndex(s.getModality());
                    if (m < 0) {
                        throw new DataFileException(where + ": modality '" + s.getModality() + "' is not configured");
                    }
                    if (s.getScores().size() != config.numClasses()) {
                        throw new DataFileException(where + ": " + s.getScores().size() + " scores, expected "
                                + config.numClasses());
                    }
                    io.latefuse.fusion.ScoreRules.Problem broken =
                            io.latefuse.fusion.ScoreRules.check(s.getScores(), s.getScoreType(), config.classes());
                    if (broken != null) {
                        throw new DataFileException(where + ", modality " + s.getModality() + ": " + broken.text());
                    }
                    Event e = byId.computeIfAbsent(s.getEventId(),
                            id -> new Event(id, label, new float[config.numModalities()][], new float[config.numModalities()][],
                                    new float[config.numModalities()][]));
                    if (e.label() != label) {
                        throw new DataFileException(where + ": label '" + l.getLabel() + "' differs from the event's earlier records");
                    }
                    float[] p = new float[config.numClasses()];
                    double[] probs = new io.latefuse.fusion.Calibrator(PipelineConfig.Calibration.NONE)
                            .probabilities(s.getScores(), s.getScoreType());
                    for (int k = 0; k < p.length; k++) {
                        p[k] = (float) probs[k];
                    }
                    e.scores()[m] = p;
                    if (s.getEmbedding() != null) {
                        e.embeddings()[m] = finite(s.getEmbedding(), where, "embedding");
                    }
                    if (l.getFeatures() != null) {
                        e.features()[m] = finite(l.getFeatures(), where, "features");
                    }
                }
            }
        } catch (org.apache.avro.AvroRuntimeException | IOException e) {
            throw new DataFileException(file + ": not an Avro data file of LabelledModalityScore ("
                    + e.getMessage() + ")", e);
        }
        if (byId.isEmpty()) {
            throw new DataFileException(file + ": no records");
        }
        List<Event> out = new ArrayList<>();
        boolean embeddings = byId.values().stream().anyMatch(e -> java.util.Arrays.stream(e.embeddings()).anyMatch(v -> v != null));
        boolean features = byId.values().stream().anyMatch(e -> java.util.Arrays.stream(e.features()).anyMatch(v -> v != null));
        for (Event e : byId.values()) {
            out.add(new Event(e.eventId(), e.label(), e.scores(), embeddings ? e.embeddings() : null,
                    features ? e.features() : null));
        }
        int e = embeddingSize(out);
        int[] embeddingSizes = new int[config.numModalities()];
        java.util.Arrays.fill(embeddingSizes, e);
        checkVectors(file.toString(), out, config, e == 0 ? null : embeddingSizes, Event::embeddings, "embedding");
        checkVectors(file.toString(), out, config, featureSizes(out, config.numModalities()), Event::features, "features");
        return out;
    }

    private static float[] finite(List<Float> values, String where, String what) {
        float[] v = new float[values.size()];
        for (int k = 0; k < v.length; k++) {
            v[k] = values.get(k);
            if (!Float.isFinite(v[k])) {
                throw new DataFileException(where + ": " + what + " value " + k + " is not finite");
            }
        }
        return v;
    }

    /** {@code v} as Avro's array of floats; null gives an empty one. */
    static List<Float> floats(float[] v) {
        if (v == null) {
            return List.of();
        }
        List<Float> out = new ArrayList<>(v.length);
        for (float x : v) {
            out.add(x);
        }
        return out;
    }

    static List<Event> readCsv(Path file, PipelineConfig config) throws IOException {
        int n = config.numModalities();
        int c = config.numClasses();
        List<String> expected = header(config);
        List<Event> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String head = r.readLine();
            List<String> columns = head == null ? List.of() : List.of(head.trim().split(",", -1));
            List<String> rest = columns.size() < expected.size() ? List.of() : columns.subList(expected.size(), columns.size());
            int e = (int) rest.stream().filter(col -> col.contains(".emb.")).count() / n;
            int[] f = new int[n];
            for (String col : rest) {
                int m = config.modalityNames().indexOf(col.replaceFirst("\\.feat\\.\\d+$", ""));
                if (col.matches(".+\\.feat\\.\\d+") && m >= 0) {
                    f[m]++;
                }
            }
            int[] featureSizes = java.util.Arrays.stream(f).sum() == 0 ? null : f;
            List<String> extra = new ArrayList<>(embeddingHeader(config, e));
            extra.addAll(featuresHeader(config, featureSizes));
            if (columns.size() < expected.size() || !columns.subList(0, expected.size()).equals(expected)
                    || !rest.equals(extra)) {
                throw new DataFileException(file + " line 1: the header must be " + String.join(",", expected)
                        + " (config order), optionally followed by <modality>.emb.0.. for every modality and then "
                        + "<modality>.feat.0.. for every modality, but is " + head);
            }
            expected = columns;
            String line;
            int lineNo = 1;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",", -1);
                if (cells.length != expected.size()) {
                    throw new DataFileException(file + " line " + lineNo + ": " + cells.length + " cells, expected "
                            + expected.size());
                }
                int label = config.classes().indexOf(cells[1].trim());
                if (label < 0) {
                    throw new DataFileException(file + " line " + lineNo + ": label '" + cells[1]
                            + "' is not a class (" + String.join(", ", config.classes()) + ")");
                }
                float[][] scores = new float[n][];
                boolean any = false;
                for (int i = 0; i < n; i++) {
                    int empty = 0;
                    float[] s = new float[c];
                    for (int k = 0; k < c; k++) {
                        String cell = cells[2 + i * c + k].trim();
                        if (cell.isEmpty()) {
                            empty++;
                            continue;
                        }
                        try {
                            s[k] = Float.parseFloat(cell);
                        } catch (NumberFormatException bad) {
                            throw new DataFileException(file + " line " + lineNo + ", column " + expected.get(2 + i * c + k)
                                    + ": '" + cell + "' is not a number");
                        }
                        if (!(s[k] >= 0f && s[k] <= 1f)) {
                            throw new DataFileException(file + " line " + lineNo + ", column "
                                    + expected.get(2 + i * c + k) + ": " + cell + " is not a probability in [0, 1]");
                        }
                    }
                    if (empty != 0 && empty != c) {
                        throw new DataFileException(file + " line " + lineNo + ": modality " + config.modalityNames().get(i)
                                + " is partly empty; leave all of its cells empty when it is missing");
                    }
                    if (empty == 0) {
                        io.latefuse.fusion.ScoreRules.Problem broken = io.latefuse.fusion.ScoreRules.check(
                                floats(s), io.latefuse.avro.ScoreType.PROBABILITY, config.classes());
                        if (broken != null) {
                            throw new DataFileException(file + " line " + lineNo + ", modality "
                                    + config.modalityNames().get(i) + ": " + broken.text());
                        }
                        scores[i] = s;
                        any = true;
                    }
                }
                if (!any) {
                    throw new DataFileException(file + " line " + lineNo + ": no modality present");
                }
                String where = file + " line " + lineNo;
                int[] embeddingSizes = new int[n];
                java.util.Arrays.fill(embeddingSizes, e);
                out.add(new Event(cells[0], label, scores,
                        e == 0 ? null : vectors(cells, 2 + n * c, embeddingSizes, scores, config, where, expected, "embedding"),
                        featureSizes == null ? null : vectors(cells, 2 + n * c + n * e, featureSizes, scores, config,
                                where, expected, "features")));
            }
        }
        if (out.isEmpty()) {
            throw new DataFileException(file + ": no rows");
        }
        return out;
    }

    /** One row's embeddings or features: all cells of a present modality, none of a missing one. */
    private static float[][] vectors(String[] cells, int base, int[] sizes, float[][] scores, PipelineConfig config,
                                     String where, List<String> columns, String what) {
        int n = config.numModalities();
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            int empty = 0;
            int e = sizes[i];
            float[] v = new float[e];
            for (int k = 0; k < e; k++) {
                String cell = cells[base + k].trim();
                if (cell.isEmpty()) {
                    empty++;
                    continue;
                }
                try {
                    v[k] = Float.parseFloat(cell);
                } catch (NumberFormatException ex) {
                    v[k] = Float.NaN;
                }
                if (!Float.isFinite(v[k])) {
                    throw new DataFileException(where + ", column " + columns.get(base + k) + ": '" + cell
                            + "' is not a finite number");
                }
            }
            base += e;
            String m = config.modalityNames().get(i);
            if (scores[i] != null && empty != 0) {
                throw new DataFileException(where + ": modality " + m + " has scores but not all of its " + what);
            }
            if (scores[i] == null && empty != e) {
                throw new DataFileException(where + ": modality " + m + " has " + what + " values but no scores");
            }
            out[i] = scores[i] == null ? null : v;
        }
        return out;
    }

    /**
     * Every present modality of every event has its vector of the expected size (embeddings: one E for all;
     * features: one F per modality), or no event has any.
     *
     * @param sizes per modality, the expected length; null when the data has none
     */
    private static void checkVectors(String file, List<Event> events, PipelineConfig config, int[] sizes,
                                     java.util.function.Function<Event, float[][]> vectors, String what) {
        for (Event ev : events) {
            for (int m = 0; sizes != null && m < config.numModalities(); m++) {
                if (ev.scores()[m] == null) {
                    continue;
                }
                float[] v = vectors.apply(ev) == null ? null : vectors.apply(ev)[m];
                int len = v == null ? 0 : v.length;
                if (len != sizes[m]) {
                    throw new DataFileException(file + " (event " + ev.eventId() + ", modality "
                            + config.modalityNames().get(m) + "): " + what + " of " + len + " values, where others have "
                            + sizes[m] + "; give every present modality its " + what + ", of one length, or none");
                }
            }
        }
    }

    private static void writeCsv(Path file, PipelineConfig config, List<Event> events) throws IOException {
        int e = embeddingSize(events);
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            int[] f = featureSizes(events, config.numModalities());
            List<String> header = new ArrayList<>(header(config));
            header.addAll(embeddingHeader(config, e));
            header.addAll(featuresHeader(config, f));
            w.write(String.join(",", header));
            w.newLine();
            for (Event ev : events) {
                StringBuilder sb = new StringBuilder(ev.eventId()).append(',').append(config.classes().get(ev.label()));
                for (float[] s : ev.scores()) {
                    for (int k = 0; k < config.numClasses(); k++) {
                        sb.append(',');
                        if (s != null) {
                            sb.append(String.format(Locale.ROOT, "%.6g", s[k]));
                        }
                    }
                }
                for (int m = 0; e > 0 && m < config.numModalities(); m++) {
                    cells(sb, ev.embeddings() == null ? null : ev.embeddings()[m], e);
                }
                for (int m = 0; f != null && m < config.numModalities(); m++) {
                    cells(sb, ev.features() == null ? null : ev.features()[m], f[m]);
                }
                w.write(sb.toString());
                w.newLine();
            }
        }
    }

    private static void cells(StringBuilder sb, float[] v, int size) {
        for (int k = 0; k < size; k++) {
            sb.append(',');
            if (v != null) {
                sb.append(String.format(Locale.ROOT, "%.6g", v[k]));
            }
        }
    }
}
