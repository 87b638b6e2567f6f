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

    @Option(names = "--pending-max-wait", converter = DurationFlag.class, description = "Recovery: the app's max.wait; it must cover the fill (default: 20 s + 60 µs per pending event; a row whose fill would outrun it runs again with room for the fill seen).")
    Duration pendingMaxWait;

    @Option(names = "--deadlines-after-kill", defaultValue = "1s", converter = DurationFlag.class, description = "Recovery: the pending events' deadlines fall this long after the kill (default ${DEFAULT-VALUE}).")
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
        if (pendingMaxWait != null && pendingMaxWait.compareTo(deadlinesAfterKill.plusSeconds(5)) < 0) {
            problems.add("--pending-max-wait must exceed --deadlines-after-kill by 5 s at least: the fill and the fresh traffic come first");
        }
        return new RecoveryBench.Plan(pending, parsed, sc, partitions, pendingMaxWait, deadlinesAfterKill, freshRate,
                heap, kafka, seed);
    }
}
