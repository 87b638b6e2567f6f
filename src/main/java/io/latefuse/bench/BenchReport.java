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
                          List<MemoryFootprint.Result> memory) {

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
            md.append("### Backlog: events fused per second of wall time\n\n");
            md.append("| variant | events/s | × passthrough (same guarantee) | outputs | correct | lost | duplicated | incomplete |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for (VariantResult r : backlog) {
                Optional<VariantResult> base = passthrough(backlog, r);
                md.append(String.format(Locale.ROOT, "| %s | %,.0f | %s | %,d | %,d / %,d | %,d | %,d | %,d |%n",
                        r.variant(), r.eventsPerSecond(),
                        base.map(b -> String.format(Locale.ROOT, "%.2f", r.eventsPerSecond() / b.eventsPerSecond())).orElse("–"),
                        r.outputs(), r.correct(), r.events(), r.lost(), r.duplicated(), r.incomplete()));
            }
            md.append('\n');
        }
        if (!live.isEmpty()) {
            md.append("### Live: wait from the append of an event's last on-time score to the append of its answer (ms)\n\n");
            md.append("| variant | complete p50 / p95 / p99 | p99 × passthrough | partial p50 / p95 / p99 | outputs | revisions | correct | lost | duplicated | incomplete |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (VariantResult r : live) {
                Optional<VariantResult> base = passthrough(live, r);
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %,d | %,d | %,d / %,d | %,d | %,d | %,d |%n",
                        r.variant(), waits(r.completeWait()),
                        base.map(b -> String.format(Locale.ROOT, "%.1f",
                                (double) r.completeWait().p99() / Math.max(1, b.completeWait().p99()))).orElse("–"),
                        waits(r.partialWait()), r.outputs(), r.revisions(), r.correct(), r.events(), r.lost(),
                        r.duplicated(), r.incomplete()));
            }
            md.append('\n');
        }
        if (!restart.isEmpty()) {
            md.append("### Restart: SIGKILL under live traffic, down, restarted\n\n");
            md.append("A false DEGRADED answer lacks a modality that was sent on time (for the DSL: its unmatched output). "
                    + "A late-in answer holds a modality sent after the deadline.\n\n");
            md.append("| variant | correct | false DEGRADED | late-in | revisions | lost | duplicated | complete p50 / p95 / p99 | partial p50 / p95 / p99 |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (VariantResult r : restart) {
                md.append(String.format(Locale.ROOT, "| %s | %,d / %,d | %,d | %,d | %,d | %,d | %,d | %s | %s |%n",
                        r.variant(), r.correct(), r.events(), r.lacking(), r.incomplete() - r.lacking(), r.revisions(),
                        r.lost(), r.duplicated(), waits(r.completeWait()), waits(r.partialWait())));
            }
            md.append('\n');
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

    private static String waits(VariantResult.Latency l) {
        return l.count() == 0 ? "–" : l.p50() + " / " + l.p95() + " / " + l.p99();
    }

    private static Optional<VariantResult> passthrough(List<VariantResult> rows, VariantResult r) {
        String suffix = r.variant().substring(r.variant().lastIndexOf('-'));
        return rows.stream().filter(b -> b.variant().equals("passthrough" + suffix)).findFirst();
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
