package io.latefuse.tools;

import io.latefuse.bench.RecoveryBench;
import io.latefuse.cli.DurationFlag;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code bench --mode recovery}'s options (a mixin, so that the bench command's own stay as they are). */
final class RecoveryOptions {
    @Option(names = "--pending", split = ",", defaultValue = "100000", description = "Recovery: events pending at the kill, one table each (default ${DEFAULT-VALUE}).")
    List<Integer> pending;

    @Option(names = "--settings", split = ",", defaultValue = "dynamic,static,static+alos,static+standby,static+txstores",
            description = "Recovery: settings, each dynamic or static membership, then any of +alos, +standby, +txstores "
                    + "(enable.transactional.statestores), +memory (default ${DEFAULT-VALUE}).")
    List<String> settings;

    @Option(names = "--scenarios", split = ",", defaultValue = "restart,failover", description = "Recovery: restart (kill -9 and restart the instance) and/or failover (kill one of two for good) (default ${DEFAULT-VALUE}).")
    List<String> scenarios;

    @Option(names = "--due-at-kill", description = "Recovery: how many of the pending events have their deadline just after the kill (default: all); the others' deadlines are an hour away, and they must still be pending at the end.")
    Integer dueAtKill;

    @Option(names = "--fill-margin", converter = DurationFlag.class, description = "Recovery: from the start of the due events' fill to the kill (default: 8 s + 60 µs per due event; a row whose fill would outrun it runs again with room for the fill seen).")
    Duration fillMargin;

    @Option(names = "--deadlines-after-kill", defaultValue = "1s", converter = DurationFlag.class, description = "Recovery: the due events' deadlines fall this long after the kill (default ${DEFAULT-VALUE}).")
    Duration deadlinesAfterKill;

    @Option(names = "--fresh-rate", defaultValue = "50", description = "Recovery: fresh complete events per second, from 2 s before the kill (default ${DEFAULT-VALUE}).")
    double freshRate;

    @Option(names = "--recovery-heap", defaultValue = "2g", description = "Recovery: each app's -Xmx (default ${DEFAULT-VALUE}).")
    String heap;

    /** The plan, or the problems with these options. */
    RecoveryBench.Plan plan(int partitions, Map<String, String> kafka, long seed, List<String> problems) {
        List<RecoveryBench.Setting> parsed = new ArrayList<>();
        for (String s : settings) {
            try {
                parsed.add(RecoveryBench.Setting.parse(s));
            } catch (IllegalArgumentException e) {
                problems.add("--settings: " + e.getMessage());
            }
        }
        List<RecoveryBench.Scenario> sc = new ArrayList<>();
        for (String s : scenarios) {
            try {
                sc.add(RecoveryBench.Scenario.parse(s));
            } catch (IllegalArgumentException e) {
                problems.add("--scenarios: " + e.getMessage());
            }
        }
        for (int n : pending) {
            if (n <= 0 || n > 10_000_000) problems.add("--pending: " + n + " must be 1 to 10,000,000");
        }
        if (!(freshRate > 0) || freshRate > 10_000) problems.add("--fresh-rate = " + freshRate + ": must be above 0, at most 10,000");
        if (fillMargin != null && fillMargin.toMillis() < 5_000) {
            problems.add("--fill-margin must be at least 5s: the due events' fill and 2 s of fresh traffic come before the kill");
        }
        if (dueAtKill != null && dueAtKill < 1) problems.add("--due-at-kill: " + dueAtKill + " must be at least 1");
        if (deadlinesAfterKill.isNegative() || deadlinesAfterKill.toMinutes() >= 30) {
            problems.add("--deadlines-after-kill must be 0 to 30 minutes");
        }
        return new RecoveryBench.Plan(pending, dueAtKill, parsed, sc, partitions, fillMargin, deadlinesAfterKill,
                freshRate, heap, kafka, seed);
    }
}
