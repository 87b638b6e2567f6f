package io.latefuse.tools;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.PredictionStatus;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The demo's live numbers, fed from the output and dead-letter topics. On a terminal it redraws a panel about
 * once a second; otherwise it prints one plain line per refresh.
 */
final class DemoView {
    private final List<String> modalities;
    private final Map<String, String> truth = new ConcurrentHashMap<>();
    private final Histogram waits = new Histogram(3_600_000L, 3);
    private final long[] missing;
    private long complete;
    private long degraded;
    private long completeRight;
    private long degradedRight;
    private long revisions;
    private long deadLetters;
    private long lastCount;
    private long lastNanos = System.nanoTime();
    private final long startNanos = System.nanoTime();

    DemoView(List<String> modalities) {
        this.modalities = modalities;
        this.missing = new long[modalities.size()];
    }

    /** The producer tells the view each event's true class. */
    void label(String eventId, String label) {
        truth.put(eventId, label);
    }

    synchronized void prediction(FusedPrediction p) {
        if (p.getRevision() > 0) {
            revisions++;
            return;
        }
        boolean right = p.getLabel().equals(truth.remove(p.getEventId()));
        if (p.getStatus() == PredictionStatus.COMPLETE) {
            complete++;
            completeRight += right ? 1 : 0;
        } else {
            degraded++;
            degradedRight += right ? 1 : 0;
        }
        for (String m : p.getMissing()) {
            int i = modalities.indexOf(m);
            if (i >= 0) {
                missing[i]++;
            }
        }
        waits.recordValue(Math.max(0, Math.min(p.getWaitMs(), 3_600_000L)));
    }

    synchronized void deadLetter() {
        deadLetters++;
    }

    synchronized long predictions() {
        return complete + degraded;
    }

    synchronized void render(PrintStream out, boolean terminal) {
        long now = System.nanoTime();
        long total = complete + degraded;
        double rate = (total - lastCount) / ((now - lastNanos) / 1e9);
        lastCount = total;
        lastNanos = now;
        double elapsed = (now - startNanos) / 1e9;
        StringBuilder miss = new StringBuilder();
        for (int i = 0; i < modalities.size(); i++) {
            miss.append(String.format(Locale.ROOT, "%s %s %.1f%%", i == 0 ? "" : ",", modalities.get(i),
                    total == 0 ? 0.0 : 100.0 * missing[i] / total));
        }
        String acc = String.format(Locale.ROOT, "accuracy complete %s, degraded %s", pct(completeRight, complete), pct(degradedRight, degraded));
        String wait = String.format(Locale.ROOT, "wait p50 %d ms, p99 %d ms", waits.getValueAtPercentile(50), waits.getValueAtPercentile(99));
        if (terminal) {
            out.print("\033[H\033[2J");
            out.printf(Locale.ROOT, "latefuse demo   %.0f s   (Ctrl-C to stop)%n%n", elapsed);
            out.printf(Locale.ROOT, "  events/s        %8.1f%n", rate);
            out.printf(Locale.ROOT, "  COMPLETE        %8d%n  DEGRADED        %8d%n  revisions       %8d%n", complete, degraded, revisions);
            out.printf(Locale.ROOT, "  missing         %s%n", miss.toString().trim());
            out.printf(Locale.ROOT, "  %s%n  %s%n", acc, wait);
            out.printf(Locale.ROOT, "  dead letters    %8d%n", deadLetters);
            out.flush();
        } else {
            out.printf(Locale.ROOT, "demo t=%.0fs events/s=%.1f COMPLETE=%d DEGRADED=%d revisions=%d missing:%s %s %s dead_letters=%d%n",
                    elapsed, rate, complete, degraded, revisions, miss, acc, wait, deadLetters);
        }
    }

    private static String pct(long right, long of) {
        return of == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * right / of);
    }
}
