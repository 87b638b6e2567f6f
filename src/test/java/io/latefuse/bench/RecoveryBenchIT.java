package io.latefuse.bench;

import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bench --mode recovery}, small: a static instance killed and restarted under exactly-once, and one of two
 * at-least-once static instances killed for good (a 6 s session timeout, so that the survivor takes over soon), each
 * holding 3,000 pending events, 2,000 of them due just after the kill. Each row's measurements are filled in; every
 * due and fresh event is answered as it should be (exactly once under exactly-once; at least once under
 * at-least-once, whose duplicates after a kill are counted, not failed), and the others are still pending.
 */
@ExtendWith(RealKafka.class)
class RecoveryBenchIT {
    private static final int PENDING = 3_000;
    /** Due at the kill; the other 1,000 have their deadlines an hour away. */
    private static final int DUE = 2_000;

    @Test
    void restartAndFailoverAreMeasuredAndEveryEventAnsweredOnce(KafkaEnvironment env, @TempDir Path dir) throws Exception {
        RecoveryBench bench = new RecoveryBench(env.bootstrapServers(), env.registryUrl(), dir,
                new PrintStream(java.io.OutputStream.nullOutputStream()));
        RecoveryBench.Report restart = bench.run(plan("static", RecoveryBench.Scenario.RESTART), "it");
        RecoveryBench.Report failover = bench.run(plan("static+alos", RecoveryBench.Scenario.FAILOVER), "it");

        RecoveryBench.Row r = restart.rows().get(0);
        check(r);
        assertThat(r.clock()).isEqualTo("restart");
        assertThat(r.partitionsTaken()).containsExactly(0, 1, 2);
        assertThat(r.killToRestartMs()).isBetween(0L, 5_000L);
        // Exactly-once without transactional stores: a killed instance's stores are wiped and restored in full.
        assertThat(r.restoredRecords()).isGreaterThanOrEqualTo(PENDING);
        assertThat(r.timeline()).containsKeys("jvm", "joined", "restore start", "restore end", "index rebuilt", "RUNNING");

        RecoveryBench.Row f = failover.rows().get(0);
        check(f);
        assertThat(f.clock()).isEqualTo("kill");
        assertThat(f.instances()).isEqualTo(2);
        assertThat(f.partitionsTaken()).isNotEmpty();
        assertThat(f.timeline()).containsKeys("restore start", "RUNNING");

        restart.write(dir.resolve("out"));
        assertThat(Files.readString(dir.resolve("out").resolve("results.md")))
                .contains("### Recovery with 3,000 pending events, 2,000 due at the kill").contains("| static | restart |");
        assertThat(dir.resolve("out").resolve("results.json")).exists();
    }

    private static RecoveryBench.Plan plan(String setting, RecoveryBench.Scenario scenario) {
        return new RecoveryBench.Plan(List.of(PENDING), DUE, List.of(RecoveryBench.Setting.parse(setting)),
                List.of(scenario), 3, Duration.ofSeconds(6), Duration.ofSeconds(1), 50, "512m",
                Map.of("session.timeout.ms", "6000"), 1);
    }

    private static void check(RecoveryBench.Row r) {
        String row = r.setting() + " " + r.scenario();
        assertThat(r.error()).as(row).isNull();
        assertThat(r.pendingBeforeKill()).as(row + ": deadlines fired before the kill").isZero();
        boolean exactlyOnce = !r.setting().contains("alos");
        String once = exactlyOnce ? "once" : "at least once (at-least-once may repeat an answer after the kill)";
        assertThat(r.due()).isEqualTo(DUE);
        assertThat(r.pendingCorrect()).as(row + ": due events answered " + once + ", DEGRADED; " + r).isEqualTo(DUE);
        assertThat(r.farAnswered()).as(row + ": far events unanswered").isZero();
        assertThat(r.farPendingAtEnd()).as(row + ": far events still pending").isEqualTo(PENDING - DUE);
        assertThat(r.allCorrect()).as(row + "; " + r).isTrue();
        assertThat(r.freshSent()).as(row).isPositive();
        assertThat(r.freshCorrect()).as(row + ": fresh answered " + once + ", COMPLETE; " + r).isEqualTo(r.freshSent());
        assertThat(r.freshDegraded()).as(row + ": no fresh event DEGRADED").isZero();
        if (exactlyOnce) {
            assertThat(r.pendingDuplicated() + r.freshDuplicated()).as(row + ": duplicates under exactly-once").isZero();
        }
        assertThat(r.revisions()).as(row).isZero();
        assertThat(r.runningMs()).as(row).isPositive();
        assertThat(r.freshFirstAnswerMs()).as(row).isGreaterThanOrEqualTo(r.runningMs() - 1_000);
        assertThat(r.freshFirstByPartition()).as(row).doesNotContainValue(-1L).hasSize(r.partitionsTaken().size());
        assertThat(r.deadlinesServedMs()).as(row).isGreaterThanOrEqualTo(r.deadlinesFirstMs()).isPositive();
        assertThat(r.restoredRecords()).as(row).isPositive();
        assertThat(r.restoredBytes()).as(row).isPositive();
        assertThat(r.restoredBytesFetched()).as(row).isGreaterThanOrEqualTo(-1);
        assertThat(r.changelogBytes()).as(row).isPositive();
        assertThat(r.fillSeconds()).as(row).isPositive();
        assertThat(r.loadBefore()).as(row).isNotBlank();
    }
}
