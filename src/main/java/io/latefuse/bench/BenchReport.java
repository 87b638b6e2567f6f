package io.latefuse.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The benchmark's results as JSON (every number) and as markdown tables of ratios to the passthrough. */
public record BenchReport(String command, Map<String, Object> machine, Map<String, Object> settings,
                          List<VariantResult> backlog, List<VariantResult> live, List<VariantResult> restart,
                          List<MemoryFootprint.Result> memory, List<HotPathProfile.VariantProfile> profile) {

    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("results.json").toFile(), this);
        Files.writeString(dir.resolve("results.md"), markdown());
    }

    public String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("Command: `").append(command).append("`\n\n");
        md.append("Machine: ").append(joined(machine)).append("\n\n");
        md.append("Settings: ").append(joined(settings)).append("\n\n");
        if (!backlog.isEmpty()) {
            backlogSummary(md);
            md.append("#### Backlog: each run\n\n");
            md.append("| run | variant | events/s | steady events/s | steady × passthrough (same run, guarantee) | outputs | correct | lost | duplicated | incomplete |\n");
            md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (VariantResult r : backlog) {
                Optional<VariantResult> base = sameRun(backlog, r, "passthrough");
                md.append(String.format(Locale.ROOT, "| %d | %s | %,.0f | %,.0f | %s | %,d | %,d / %,d | %,d | %,d | %,d |%n",
                        r.repetition(), r.variant(), r.eventsPerSecond(), r.steadyEventsPerSecond(),
                        base.map(b -> String.format(Locale.ROOT, "%.2f", r.steadyEventsPerSecond() / b.steadyEventsPerSecond())).orElse("–"),
                        r.outputs(), r.correct(), r.events(), r.lost(), r.duplicated(), r.incomplete()));
            }
            md.append('\n');
        }
        if (!live.isEmpty()) {
            liveSummary(md);
            md.append("#### Live: each run, wait from the append of an event's last on-time score to the append of its answer (ms)\n\n");
            md.append("| run | variant | complete p50 / p95 / p99 | p99 × passthrough | partial p50 / p95 / p99 | outputs | revisions | correct | lost | duplicated | incomplete | dead letters |\n");
            md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
            for (VariantResult r : live) {
                Optional<VariantResult> base = sameRun(live, r, "passthrough");
                md.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %,d | %,d | %,d / %,d | %,d | %,d | %,d | %s |%n",
                        r.repetition(), r.variant(), waits(r.completeWait()),
                        base.map(b -> String.format(Locale.ROOT, "%.1f",
                                (double) r.completeWait().p99() / Math.max(1, b.completeWait().p99()))).orElse("–"),
                        waits(r.partialWait()), r.outputs(), r.revisions(), r.correct(), r.events(), r.lost(),
                        r.duplicated(), r.incomplete(), deadLetters(r)));
            }
            md.append('\n');
        }
        if (!restart.isEmpty()) {
            md.append("### Restart: SIGKILL under live traffic, down, restarted\n\n");
            md.append("A false DEGRADED answer lacks a modality that was sent on time (for the DSL: its unmatched output). "
                    + "A late-in answer holds a modality sent after the deadline.\n\n");
            md.append("| variant | correct | false DEGRADED | late-in | revisions | lost | duplicated | dead letters | complete p50 / p95 / p99 | partial p50 / p95 / p99 |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|\n");
            for (VariantResult r : restart) {
                md.append(String.format(Locale.ROOT, "| %s | %,d / %,d | %,d | %,d | %,d | %,d | %,d | %s | %s | %s |%n",
                        r.variant(), r.correct(), r.events(), r.lacking(), r.incomplete() - r.lacking(), r.revisions(),
                        r.lost(), r.duplicated(), deadLetters(r), waits(r.completeWait()), waits(r.partialWait())));
            }
            md.append('\n');
        }
        if (!profile.isEmpty()) {
            md.append(HotPathProfile.markdown(profile));
        }
        if (!memory.isEmpty()) {
            md.append("### Memory: the footprint of pending events\n\n");
            md.append("| store | pending events | RSS before → after (MiB) | RSS growth per event | heap used / live after GC (MiB) | live heap growth per event | state dir (MiB) | changelogs (MiB) | -Xmx |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (MemoryFootprint.Result m : memory) {
                md.append(String.format(Locale.ROOT, "| %s | %,d | %d → %d | %d B | %d / %d | %d B | %d | %d | %s |%n",
                        m.store(), m.pending(), m.rssBeforeBytes() >> 20, m.rssAfterBytes() >> 20,
                        (m.rssAfterBytes() - m.rssBeforeBytes()) / Math.max(1, m.pending()), m.heapUsedBytes() >> 20,
                        m.liveHeapBytes() >> 20, (m.liveHeapBytes() - m.liveHeapBefore()) / Math.max(1, m.pending()), m.stateDirBytes() >> 20,
                        m.changelogBytes() >> 20, m.heap()));
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static String joined(Map<String, Object> m) {
        return m.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining("; "));
    }

    private static String deadLetters(VariantResult r) {
        return r.deadLetters().isEmpty() ? "0" : r.deadLetters().entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "));
    }

    private static String waits(VariantResult.Latency l) {
        return l.count() == 0 ? "–" : l.p50() + " / " + l.p95() + " / " + l.p99();
    }

    /**
     * Medians over the repetitions with their range; each ratio is taken within a repetition (the two variants ran
     * back to back), then summarized.
     */
    private void backlogSummary(StringBuilder md) {
        Map<String, List<VariantResult>> by = BenchSummary.byVariant(backlog);
        int reps = by.values().stream().mapToInt(List::size).max().orElse(0);
        md.append("### Backlog: events fused per second of wall time, median (min-max) of ").append(reps)
                .append(reps == 1 ? " run" : " interleaved runs").append("\n\n");
        boolean embeddings = by.keySet().stream().anyMatch(n -> n.contains(" E="));
        md.append("Steady state: events answered between the answers that made 10% and 90% of the events answered, per "
                + "second between their appends; start-up (assignment, restoration, cold code) and the tail are left "
                + "out. The ratios are of steady-state rates, taken within each repetition.\n\n");
        md.append("| variant | events/s, RUNNING to last answer | events/s, steady state | × passthrough | × serde-passthrough "
                        + "| × DSL (same store, guarantee) | × Flink (same store, guarantee) | correct, every run |")
                .append(embeddings ? " × scores only |" : "").append('\n');
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|").append(embeddings ? "---:|" : "").append('\n');
        by.forEach((name, runs) -> {
            String g = BenchSummary.guarantee(name);
            String dsl = name.startsWith("latefuse-") ? "dsl-" + name.substring("latefuse-".length()) : null;
            String flink = name.startsWith("latefuse-") ? "flink-" + name.substring("latefuse-".length()) : null;
            int correct = runs.stream().mapToInt(VariantResult::correct).min().orElse(0);
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s |", name,
                    BenchSummary.of(runs, VariantResult::eventsPerSecond).format("%,.0f"),
                    BenchSummary.of(runs, VariantResult::steadyEventsPerSecond).format("%,.0f"),
                    ratio(backlog, name, "passthrough" + g, VariantResult::steadyEventsPerSecond),
                    ratio(backlog, name, "serde-passthrough" + g, VariantResult::steadyEventsPerSecond),
                    dsl == null ? "–" : ratio(backlog, name, dsl, VariantResult::steadyEventsPerSecond),
                    flink == null ? "–" : ratio(backlog, name, flink, VariantResult::steadyEventsPerSecond),
                    correct == runs.get(0).events() ? "all " + String.format(Locale.ROOT, "%,d", correct)
                            : String.format(Locale.ROOT, "%,d / %,d at worst", correct, runs.get(0).events())));
            if (embeddings) {
                md.append(' ').append(name.contains(" E=")
                        ? ratio(backlog, name, withoutEmbeddings(name), VariantResult::eventsPerSecond) : "–").append(" |");
            }
            md.append('\n');
        });
        md.append('\n');
    }

    private void liveSummary(StringBuilder md) {
        Map<String, List<VariantResult>> by = BenchSummary.byVariant(live);
        int reps = by.values().stream().mapToInt(List::size).max().orElse(0);
        md.append("### Live: wait from the append of an event's last on-time score to the append of its answer (ms), "
                + "median (min-max) of ").append(reps).append(reps == 1 ? " run" : " interleaved runs").append("\n\n");
        boolean embeddings = by.keySet().stream().anyMatch(n -> n.contains(" E="));
        md.append("| variant | complete p50 | complete p99 | partial p50 | partial p99 | correct, worst run | revisions |")
                .append(embeddings ? " complete p99 × scores only |" : "").append('\n');
        md.append("|---|---:|---:|---:|---:|---:|---:|").append(embeddings ? "---:|" : "").append('\n');
        by.forEach((name, runs) -> {
            VariantResult worst = runs.stream().min(java.util.Comparator.comparingInt(VariantResult::correct)).orElseThrow();
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %,d / %,d | %s |", name,
                    BenchSummary.of(runs, r -> r.completeWait().p50()).format("%.0f"),
                    BenchSummary.of(runs, r -> r.completeWait().p99()).format("%.0f"),
                    runs.get(0).partialWait().count() == 0 ? "–" : BenchSummary.of(runs, r -> r.partialWait().p50()).format("%.0f"),
                    runs.get(0).partialWait().count() == 0 ? "–" : BenchSummary.of(runs, r -> r.partialWait().p99()).format("%.0f"),
                    worst.correct(), worst.events(), BenchSummary.of(runs, r -> r.revisions()).format("%.0f")));
            if (embeddings) {
                md.append(' ').append(name.contains(" E=")
                        ? ratio(live, name, withoutEmbeddings(name), r -> r.completeWait().p99()) : "–").append(" |");
            }
            md.append('\n');
        });
        md.append('\n');
    }

    /** "latefuse-rocksdb-eos E=64" -> "latefuse-rocksdb-eos": the same variant on scores only. */
    private static String withoutEmbeddings(String name) {
        return name.replaceFirst(" E=\\d+", "");
    }

    private static String ratio(List<VariantResult> runs, String a, String b,
                                java.util.function.ToDoubleFunction<VariantResult> figure) {
        return BenchSummary.ratio(runs, a, b, figure).map(s -> s.format("%.2f")).orElse("–");
    }

    /** The run of {@code kind} ("passthrough") with the same guarantee in the same repetition. */
    private static Optional<VariantResult> sameRun(List<VariantResult> rows, VariantResult r, String kind) {
        String name = kind + BenchSummary.guarantee(r.variant());
        return rows.stream().filter(b -> b.variant().equals(name) && b.repetition() == r.repetition()).findFirst();
    }

    /** Cores, memory, CPU model, OS and JVM: what the numbers depend on. */
    public static Map<String, Object> describeMachine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory", memTotal());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("max heap", Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MiB");
        return m;
    }

    private static String cpuModel() {
        return procLine("/proc/cpuinfo", "model name").orElse(System.getProperty("os.arch"));
    }

    private static String memTotal() {
        return procLine("/proc/meminfo", "MemTotal").orElse("unknown");
    }

    private static Optional<String> procLine(String file, String key) {
        try {
            return Files.readAllLines(Path.of(file)).stream().filter(l -> l.startsWith(key))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
