package io.latefuse.bench;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A JFR recording of the benchmark, read back as the stream threads' hot path: for each variant, where its stream
 * thread spent its CPU samples, by part of the work (Avro, state stores, RocksDB, the changelog and output sends,
 * the commit, fusion) and by top frame. Every app of the benchmark shares this JVM, so samples are told apart by
 * thread name, which carries the variant's application id.
 */
public final class HotPathProfile implements AutoCloseable {

    /** A part of the work, recognised by a frame on the stack; the first that matches from the top wins. */
    private record Part(String name, String... framePrefixes) {
        boolean matches(String frame) {
            for (String p : framePrefixes) {
                if (frame.startsWith(p)) {
                    return true;
                }
            }
            return false;
        }
    }

    private static final String IDLE = "idle: waiting in poll (native)";
    private static final String START_UP = "start-up: spinning while tasks restore (Kafka Streams' state updater)";

    /** Checked top-down: a RocksDB call inside a cache flush inside a commit counts as RocksDB. */
    private static final List<Part> PARTS = List.of(
            new Part(IDLE, "sun.nio.ch.EPoll.wait", "sun.nio.ch.EPollSelectorImpl"),
            // Kafka Streams 4.4 asks its state updater for restored tasks with a zero timeout, and the wait loop
            // spins until the clock's millisecond turns: while any task of the thread is still restoring, this
            // takes nearly all of the thread. A start-up cost, not a per-event one.
            new Part(START_UP, "org.apache.kafka.streams.processor.internals.DefaultStateUpdater"),
            new Part("RocksDB (JNI)", "org.rocksdb."),
            new Part("Avro decode (scores, state)", "org.apache.avro.io.BinaryDecoder", "org.apache.avro.specific.SpecificDatumReader",
                    "org.apache.avro.generic.GenericDatumReader", "io.latefuse.registry.AvroDeserializer"),
            new Part("Avro encode (predictions, state)", "org.apache.avro.io.BinaryEncoder", "org.apache.avro.io.BufferedBinaryEncoder",
                    "org.apache.avro.specific.SpecificDatumWriter", "org.apache.avro.generic.GenericDatumWriter",
                    "io.latefuse.registry.AvroSerializer"),
            new Part("record cache", "org.apache.kafka.streams.state.internals.ThreadCache",
                    "org.apache.kafka.streams.state.internals.NamedCache"),
            new Part("in-memory store", "org.apache.kafka.streams.state.internals.InMemoryKeyValueStore"),
            new Part("changelog and output sends", "org.apache.kafka.streams.processor.internals.RecordCollectorImpl",
                    "org.apache.kafka.clients.producer."),
            new Part("commit (flush, transaction)", "org.apache.kafka.streams.processor.internals.TaskExecutor.commit",
                    "org.apache.kafka.streams.processor.internals.TaskManager.commit",
                    "org.apache.kafka.streams.processor.internals.StreamsProducer.commit"),
            new Part("fusion (strategy, prediction)", "io.latefuse.fusion."),
            new Part("fusion processor (join logic)", "io.latefuse.topology.", "io.latefuse.streams.", "io.latefuse.progress."),
            new Part("consumer poll and fetch", "org.apache.kafka.clients.consumer."));

    private final Recording recording;
    private final Path file;

    private HotPathProfile(Recording recording, Path file) {
        this.recording = recording;
        this.file = file;
    }

    /**
     * Starts recording with the JDK's "profile" settings, CPU samples every millisecond rather than every 10: a
     * backlog run lasts seconds.
     */
    public static HotPathProfile start(Path file) throws IOException, ParseException {
        Recording r = new Recording(Configuration.getConfiguration("profile"));
        r.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(1));
        // Java samples skip threads in native code, where RocksDB works: sample those too.
        r.enable("jdk.NativeMethodSample").withPeriod(java.time.Duration.ofMillis(1));
        r.setToDisk(true);
        r.setDestination(file);
        r.start();
        return new HotPathProfile(r, file);
    }

    /** Stops the recording and writes it; {@link #summarize} reads it. */
    @Override
    public void close() {
        recording.close();
    }

    /** One variant's stream-thread samples. */
    public record VariantProfile(String variant, long samples, Map<String, Long> parts, List<Map.Entry<String, Long>> topFrames,
                                 List<Map.Entry<String, Long>> topLatefuseFrames) {}

    /**
     * Reads the recording back: for each of {@code variants}, the samples of its stream threads (over all
     * repetitions), split by part, the top self frames and latefuse's own top frames (inclusive).
     */
    public List<VariantProfile> summarize(List<String> variants, String mode, int top) throws IOException {
        recording.stop();
        Map<String, long[]> samples = new LinkedHashMap<>();
        Map<String, Map<String, Long>> parts = new HashMap<>();
        Map<String, Map<String, Long>> self = new HashMap<>();
        Map<String, Map<String, Long>> ours = new HashMap<>();
        for (String v : variants) {
            samples.put(v, new long[1]);
            parts.put(v, new LinkedHashMap<>());
            self.put(v, new HashMap<>());
            ours.put(v, new HashMap<>());
        }
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            if (!type.equals("jdk.ExecutionSample") && !type.equals("jdk.NativeMethodSample")) {
                continue;
            }
            RecordedThread t = e.getThread("sampledThread");
            String variant = t == null ? null : variantOf(t.getJavaName(), variants, mode);
            RecordedStackTrace st = e.getStackTrace();
            if (variant == null || st == null || st.getFrames().isEmpty()) {
                continue;
            }
            samples.get(variant)[0]++;
            List<String> frames = new ArrayList<>();
            for (RecordedFrame f : st.getFrames()) {
                frames.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
            }
            self.get(variant).merge(frames.get(0), 1L, Long::sum);
            parts.get(variant).merge(partOf(frames), 1L, Long::sum);
            Set<String> seen = new HashSet<>();
            for (String f : frames) {
                if (f.startsWith("io.latefuse.") && seen.add(f)) {
                    ours.get(variant).merge(f, 1L, Long::sum);
                }
            }
        }
        List<VariantProfile> out = new ArrayList<>();
        for (String v : variants) {
            Map<String, Long> sortedParts = new LinkedHashMap<>();
            parts.get(v).entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(en -> sortedParts.put(en.getKey(), en.getValue()));
            out.add(new VariantProfile(v, samples.get(v)[0], sortedParts, topOf(self.get(v), top), topOf(ours.get(v), top)));
        }
        return out;
    }

    private static List<Map.Entry<String, Long>> topOf(Map<String, Long> counts, int n) {
        return counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .map(en -> Map.entry(en.getKey(), en.getValue())).toList();
    }

    private static String partOf(List<String> frames) {
        for (String f : frames) {
            for (Part p : PARTS) {
                if (p.matches(f)) {
                    return p.name();
                }
            }
        }
        return "other (Kafka Streams' loop, JVM)";
    }

    /**
     * The variant whose app runs on this thread: stream threads are named after the client id, which begins with
     * the application id {@code bench-<run>-<mode>-<variant>[-r<n>]}.
     */
    static String variantOf(String thread, List<String> variants, String mode) {
        // The stream thread itself: its producer's and consumer's own threads carry its name with a suffix.
        if (thread == null || !thread.matches(".*-StreamThread-\\d+") || thread.contains("-warmup-")) {
            return null;
        }
        for (String v : variants) {
            if (thread.contains("-" + mode + "-" + v + "-")) {
                return v;
            }
        }
        return null;
    }

    /**
     * The profiles as markdown: the split by part, then the top frames. Shares of <em>busy</em> samples leave out the
     * thread's waits for input (which include the quiet time after the backlog is done) and Kafka Streams' start-up
     * spin, so that they describe the work per event.
     */
    public static String markdown(List<VariantProfile> profiles) {
        StringBuilder md = new StringBuilder();
        md.append("### Profile: the stream thread's samples (JFR, every repetition)\n\n");
        md.append("Java samples and native samples (RocksDB works in native code), every millisecond. A sample counts "
                + "for the innermost frame that names a part of the work. Busy samples leave out the waits for input "
                + "and Kafka Streams' start-up spin.\n\n");
        for (VariantProfile p : profiles) {
            if (p.samples() == 0) {
                continue;
            }
            long busy = p.samples() - p.parts().getOrDefault(IDLE, 0L) - p.parts().getOrDefault(START_UP, 0L);
            md.append("#### ").append(p.variant()).append(String.format(Locale.ROOT, " (%,d samples, %,d busy)%n%n",
                    p.samples(), busy));
            md.append("| part of the work (innermost frame that names one) | share of all | share of busy |\n|---|---:|---:|\n");
            p.parts().forEach((k, n) -> md.append(String.format(Locale.ROOT, "| %s | %.1f%% | %s |%n", k,
                    100.0 * n / p.samples(), k.equals(IDLE) || k.equals(START_UP) || busy == 0 ? "–"
                            : String.format(Locale.ROOT, "%.1f%%", 100.0 * n / busy))));
            md.append("\n| top frame (self) | share of all |\n|---|---:|\n");
            for (Map.Entry<String, Long> en : p.topFrames()) {
                md.append(String.format(Locale.ROOT, "| `%s` | %.1f%% |%n", en.getKey(), 100.0 * en.getValue() / p.samples()));
            }
            if (!p.topLatefuseFrames().isEmpty()) {
                md.append("\n| latefuse frame (inclusive) | share of all |\n|---|---:|\n");
                for (Map.Entry<String, Long> en : p.topLatefuseFrames()) {
                    md.append(String.format(Locale.ROOT, "| `%s` | %.1f%% |%n", en.getKey(), 100.0 * en.getValue() / p.samples()));
                }
            }
            md.append('\n');
        }
        return md.toString();
    }
}
