package io.latefuse.topology;

import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TimerKeyTest {
    @Test
    void keysSortByTimeAndRoundTrip() {
        Bytes early = TimerKey.of(1_000, TimerKey.EMIT, "zzz");
        Bytes late = TimerKey.of(1_001, TimerKey.EMIT, "aaa");
        Bytes farLate = TimerKey.of(300_000_000_000L, TimerKey.FORGET, "a");
        assertThat(early.compareTo(late)).isNegative();
        assertThat(late.compareTo(farLate)).isNegative();
        assertThat(TimerKey.eventId(early)).isEqualTo("zzz");
        assertThat(TimerKey.time(farLate)).isEqualTo(300_000_000_000L);
        assertThat(TimerKey.kind(farLate)).isEqualTo(TimerKey.FORGET);
    }
}
