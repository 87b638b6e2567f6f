package io.latefuse.bench;

import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bench --mode soak} for 2 minutes on the real broker and registry: live traffic with missing and late
 * modalities against two instances of {@code latefuse run} (own JVMs, exactly-once, RocksDB, static membership),
 * through a kill -9 and restart, a clean restart, a third instance added and removed again. Every event is answered
 * by exactly one revision 0, none is DEGRADED while its missing scores were appended within max.wait, nothing is
 * lost or duplicated, and revisions come only for truly late scores. Memory growth cannot be judged in 2 minutes:
 * only that every series was sampled.
 */
@ExtendWith(RealKafka.class)
class SoakIT {

    @Test
    void twoMinutesOfKillsRestartsAndRebalancesAnswerEveryEventOnceAndTruly(KafkaEnvironment env, @TempDir Path dir)
            throws Exception {
        SoakBench.Settings settings = new SoakBench.Settings(env.bootstrapServers(), env.registryUrl(), dir.resolve("work"),
                3, BenchRunner.modalityNames(3), 200, Duration.ofMinutes(2), 4, Duration.ofMillis(300),
                Duration.ofMinutes(1), 0.05, 0.02, 11, Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(3),
                "384m", "log_odds");
        Path out = dir.resolve("out");
        long t = System.nanoTime();
        SoakBench.Result r = new SoakBench(settings, System.err).run("SoakIT", out);
        System.err.printf("SoakIT: %.0f s%n%s%n", (System.nanoTime() - t) / 1e9, SoakBench.markdown(r));

        assertThat(r.schedule()).extracting(SoakBench.Action::kind).containsExactly("kill -9 + restart",
                "SIGTERM + restart", "add", "remove (SIGTERM)");
        assertThat(r.schedule()).allSatisfy(a -> assertThat(a.ok()).as(a.kind() + " " + a.note()).isTrue());
        SoakBench.Counts c = r.counts();
        assertThat(c.events()).isEqualTo(24_000);
        assertThat(c.lost()).as("events with no revision 0; " + r.findings()).isZero();
        assertThat(c.duplicated()).as("events with a second revision 0; " + r.findings()).isZero();
        assertThat(c.answered()).isEqualTo(c.events());
        assertThat(c.falseDegraded()).as("DEGRADED although every missing score was appended within max.wait; "
                + r.findings()).isZero();
        assertThat(c.unjustifiedRevisions()).as("revisions not for a truly late score; " + r.findings()).isZero();
        assertThat(c.degraded()).as("the events that lack a modality are DEGRADED").isGreaterThan(0);
        assertThat(c.revisions()).as("late scores make revisions").isGreaterThan(0);
        assertThat(r.verdicts()).containsEntry("exactly one revision 0 per event", true)
                .containsEntry("no false DEGRADED", true).containsEntry("nothing lost", true);

        // Sampled: every instance, every series; soak-2 only while it was in.
        List<String> csv = Files.readAllLines(out.resolve("series.csv"));
        for (String instance : List.of("soak-0", "soak-1", "soak-2", "output")) {
            assertThat(csv).as(instance).anySatisfy(l -> assertThat(l).contains("," + instance + ","));
        }
        for (SoakBench.SeriesVerdict v : r.bounded()) {
            assertThat(v.samples()).as(v.series()).isGreaterThan(v.series().startsWith("live heap") ? 2 : 20);
        }
        for (String plot : SoakBench.PLOTS) {
            assertThat(Files.readString(out.resolve(plot + ".svg"))).startsWith("<svg").contains("<polyline");
        }
        assertThat(Files.readString(out.resolve("results.md"))).contains("kill -9 + restart", "false DEGRADED");
        assertThat(out.resolve("results.json")).exists();
    }
}
