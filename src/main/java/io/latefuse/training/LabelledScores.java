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
 * config order, the label a class name, and empty cells where a modality is missing; or an Avro data file of
 * {@code LabelledModalityScore}. Bad files give an error that names the line (record) and the column.
 */
public final class LabelledScores {

    /** One labelled event: raw scores [N][C], null where the modality is missing. */
    public record Event(String eventId, int label, float[][] scores) {}

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
                    List<Float> scores = new ArrayList<>(s.length);
                    for (float v : s) {
                        scores.add(v);
                    }
                    w.append(new LabelledModalityScore(config.classes().get(e.label()), ModalityScore.newBuilder()
                            .setEventId(e.eventId()).setModality(config.modalityNames().get(m))
                            .setModel("labelled").setModelVersion("1").setScores(scores)
                            .setScoreType(io.latefuse.avro.ScoreType.PROBABILITY)
                            .setEventTime(java.time.Instant.ofEpochSecond(index)).build()));
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
                    Event e = byId.computeIfAbsent(s.getEventId(),
                            id -> new Event(id, label, new float[config.numModalities()][]));
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
                }
            }
        } catch (org.apache.avro.AvroRuntimeException | IOException e) {
            throw new DataFileException(file + ": not an Avro data file of LabelledModalityScore ("
                    + e.getMessage() + ")", e);
        }
        if (byId.isEmpty()) {
            throw new DataFileException(file + ": no records");
        }
        return new ArrayList<>(byId.values());
    }

    static List<Event> readCsv(Path file, PipelineConfig config) throws IOException {
        int n = config.numModalities();
        int c = config.numClasses();
        List<String> expected = header(config);
        List<Event> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String head = r.readLine();
            if (head == null || !List.of(head.trim().split(",", -1)).equals(expected)) {
                throw new DataFileException(file + " line 1: the header must be " + String.join(",", expected)
                        + " (config order), but is " + head);
            }
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
                        } catch (NumberFormatException e) {
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
                        scores[i] = s;
                        any = true;
                    }
                }
                if (!any) {
                    throw new DataFileException(file + " line " + lineNo + ": no modality present");
                }
                out.add(new Event(cells[0], label, scores));
            }
        }
        if (out.isEmpty()) {
            throw new DataFileException(file + ": no rows");
        }
        return out;
    }

    private static void writeCsv(Path file, PipelineConfig config, List<Event> events) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(String.join(",", header(config)));
            w.newLine();
            for (Event e : events) {
                StringBuilder sb = new StringBuilder(e.eventId()).append(',').append(config.classes().get(e.label()));
                for (float[] s : e.scores()) {
                    for (int k = 0; k < config.numClasses(); k++) {
                        sb.append(',');
                        if (s != null) {
                            sb.append(String.format(Locale.ROOT, "%.6g", s[k]));
                        }
                    }
                }
                w.write(sb.toString());
                w.newLine();
            }
        }
    }
}
