package io.latefuse.quality;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The join's expiry, on the real topology: random predictions, labels and clock steps. Nothing expired is kept
 * longer than labels.retention plus one quality.interval; nothing unexpired is dropped.
 */
class ExpiryPropertyTest {
    private static final long RETENTION = Duration.ofHours(1).toMillis();
    private static final long INTERVAL = Duration.ofMinutes(1).toMillis();

    /** kind 0: a prediction, 1: a label, 2: the wall clock moves on by {@code ms}. */
    record Op(int kind, String id, long ms) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 2),
                Arbitraries.of("a", "b", "c", "d"),
                Arbitraries.oneOf(Arbitraries.longs().between(0, 3 * INTERVAL),
                        Arbitraries.longs().between(RETENTION - 2 * INTERVAL, RETENTION + 2 * INTERVAL)))
                .as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 60)
    void nothingExpiredOutlivesRetentionAndOneIntervalAndNothingLiveIsDropped(@ForAll("ops") List<Op> ops) {
        try (QualityDriver d = new QualityDriver("")) {
            Map<String, Long> created = new HashMap<>(); // the model: when each live event's wait began
            for (Op op : ops) {
                long now = d.now();
                if (op.kind() == 2) {
                    d.advance(Duration.ofMillis(op.ms()));
                } else {
                    Long since = created.get(op.id());
                    if (since == null || now >= since + RETENTION) {
                        created.put(op.id(), now);
                    }
                    if (op.kind() == 0) {
                        d.predict(QualityDriver.prediction(op.id(), 0, List.of("acoustic"), 0.7f));
                    } else {
                        d.label(QualityDriver.label(op.id(), "directed"));
                    }
                }
                long t = d.now();
                created.forEach((id, since) -> {
                    if (t < since + RETENTION) {
                        assertThat(d.held(id)).as("%s, waiting since %d, at %d", id, since, t).isNotNull();
                        assertThat(d.held(id).getExpiresAt()).isEqualTo(since + RETENTION);
                    } else if (t >= since + RETENTION + INTERVAL) {
                        assertThat(d.held(id)).as("%s, expired at %d, at %d", id, since + RETENTION, t).isNull();
                    }
                });
            }
        }
    }
}
