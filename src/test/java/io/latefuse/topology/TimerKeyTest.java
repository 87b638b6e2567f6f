package io.latefuse.topology;

import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TimerKeyTest {
    @Test
    void keysSortByTimeAndRoundTrip() {
        Bytes early = TimerKey.of(1_000, "zzz");
        Bytes late = TimerKey.of(1_001, "aaa");
        Bytes farLate = TimerKey.of(300_000_000_000L, "a");
        assertThat(early.compareTo(late)).isNegative();
        assertThat(late.compareTo(farLate)).isNegative();
        assertThat(TimerKey.eventId(early)).isEqualTo("zzz");
        assertThat(TimerKey.time(farLate)).isEqualTo(300_000_000_000L);
        assertThat(TimerKey.eventId(farLate)).isEqualTo("a");
    }
}
