package io.latefuse.training;

import io.latefuse.config.PipelineConfig;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Features for scorers in CSV, one row per (event, modality): {@code event_id,modality,f1,f2,...}, as many values as
 * the modality's model takes (rows of different modalities may differ in length). What {@code produce --features}
 * sends as {@code ModalityFeatures}, and what {@code study digits} writes for its test split.
 */
public final class FeatureRows {
    public static final String HEADER = "event_id,modality,features...";

    /** One event's features, by modality in file order. */
    public record Event(String eventId, Map<String, float[]> features) {}

    private FeatureRows() {}

    public static void write(Path file, List<Event> events) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(HEADER);
            w.newLine();
            for (Event e : events) {
                for (Map.Entry<String, float[]> m : e.features().entrySet()) {
                    StringBuilder sb = new StringBuilder(e.eventId()).append(',').append(m.getKey());
                    for (float v : m.getValue()) {
                        sb.append(',').append(String.format(Locale.ROOT, "%.6g", v));
                    }
                    w.write(sb.toString());
                    w.newLine();
                }
            }
        }
    }

    /**
     * Reads the rows, grouped by event in order of first appearance. A modality that is not in {@code config}, a
     * value that is not a finite number, or a second row for one (event, modality) names its line.
     */
    public static List<Event> read(Path file, PipelineConfig config) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new DataFileException(file + ": no such file");
        }
        Map<String, Event> byId = new LinkedHashMap<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String head = r.readLine();
            if (head == null || !head.trim().startsWith("event_id,modality")) {
                throw new DataFileException(file + " line 1: the header must be " + HEADER + ", but is " + head);
            }
            String line;
            int lineNo = 1;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",", -1);
                String where = file + " line " + lineNo;
                if (cells.length < 3) {
                    throw new DataFileException(where + ": needs event_id, modality and at least one value");
                }
                String modality = cells[1].trim();
                if (config.modalityIndex(modality) < 0) {
                    throw new DataFileException(where + ": modality '" + modality + "' is not configured ("
                            + String.join(", ", config.modalityNames()) + ")");
                }
                float[] values = new float[cells.length - 2];
                for (int i = 0; i < values.length; i++) {
                    try {
                        values[i] = Float.parseFloat(cells[i + 2].trim());
                    } catch (NumberFormatException e) {
                        values[i] = Float.NaN;
                    }
                    if (!Float.isFinite(values[i])) {
                        throw new DataFileException(where + ", value " + (i + 1) + ": '" + cells[i + 2] + "' is not a finite number");
                    }
                }
                Event e = byId.computeIfAbsent(cells[0].trim(), id -> new Event(id, new LinkedHashMap<>()));
                if (e.features().put(modality, values) != null) {
                    throw new DataFileException(where + ": a second row for event " + e.eventId() + ", modality " + modality);
                }
            }
        }
        if (byId.isEmpty()) {
            throw new DataFileException(file + ": no rows");
        }
        return new ArrayList<>(byId.values());
    }
}
