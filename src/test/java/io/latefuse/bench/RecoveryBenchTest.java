package io.latefuse.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecoveryBenchTest {
    @Test
    void settingsCompose() {
        RecoveryBench.Setting d = RecoveryBench.Setting.parse("dynamic");
        assertThat(d.staticMembership()).isFalse();
        assertThat(d.guarantee()).isEqualTo("exactly_once_v2");
        assertThat(d.store()).isEqualTo("rocksdb");
        // latefuse's default under exactly-once is on: a row says +txstores to have them.
        assertThat(d.kafka()).containsEntry("enable.transactional.statestores", "false");
        assertThat(d.instances(RecoveryBench.Scenario.RESTART)).isEqualTo(1);
        assertThat(d.instances(RecoveryBench.Scenario.FAILOVER)).isEqualTo(2);
        RecoveryBench.Setting s = RecoveryBench.Setting.parse("static+alos+standby+txstores+threads3");
        assertThat(s.threads()).isEqualTo(3);
        assertThat(d.threads()).isEqualTo(1);
        assertThat(s.staticMembership()).isTrue();
        assertThat(s.guarantee()).isEqualTo("at_least_once");
        assertThat(s.standbys()).isEqualTo(1);
        assertThat(s.instances(RecoveryBench.Scenario.RESTART)).isEqualTo(2);
        assertThat(s.kafka()).containsEntry("enable.transactional.statestores", "true");
        assertThatThrownBy(() -> RecoveryBench.Setting.parse("static+fast")).hasMessageContaining("+fast");
        assertThatThrownBy(() -> RecoveryBench.Setting.parse("alos")).hasMessageContaining("dynamic or static");
        assertThat(RecoveryBench.Scenario.parse(" Failover ")).isEqualTo(RecoveryBench.Scenario.FAILOVER);
    }

    @Test
    void timelineReadsTheRecoveringInstancesLog(@TempDir Path dir) throws Exception {
        long origin = LocalDate.now().atTime(LocalTime.of(12, 0)).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
        Path log = dir.resolve("app.log");
        Files.writeString(log, """
                12:00:01.500 WARN  [main] o.a.k.s.p.i.StateDirectory - Using an OS temp directory
                12:00:02.000 INFO  [t] o.a.k.c.c.i.ConsumerCoordinator - [Consumer] Successfully joined group with generation 3
                12:00:02.100 INFO  [t] o.a.k.c.c.i.ConsumerCoordinator - [Consumer] Successfully synced group in generation 3
                12:00:03.000 INFO  [u] i.l.s.RestoreLog - Restore of store 'pending' from app-pending-changelog-0 started: offsets 0 to 9 (up to 9 records)
                12:00:05.000 INFO  [u] i.l.s.RestoreLog - Restore of store 'pending' from app-pending-changelog-0 ended: 9 records in 2000 ms
                12:00:05.250 INFO  [t] i.l.t.EventStores - Task 0_0: rebuilt the deadline index of 9 pending event(s) in 200 ms
                12:00:05.400 INFO  [t] i.l.t.EventStores - Task 0_1: rebuilt the deadline index of 9 pending event(s) in 100 ms
                12:00:05.500 INFO  [t] i.l.s.StreamsLifecycle - fusion: Kafka Streams state REBALANCING -> RUNNING
                12:00:09.000 INFO  [t] i.l.t.EventStores - Task 0_2: rebuilt the deadline index of 9 pending event(s) in 999 ms
                """);
        Map<String, Long> t = RecoveryBench.timeline(log, 0, origin);
        assertThat(t).containsEntry("jvm", 1_500L).containsEntry("joined", 2_000L).containsEntry("synced", 2_100L)
                .containsEntry("restore start", 3_000L).containsEntry("restore end", 5_000L)
                .containsEntry("index rebuilt", 5_400L).containsEntry("index rebuild ms", 300L)
                .containsEntry("RUNNING", 5_500L);
    }
}
