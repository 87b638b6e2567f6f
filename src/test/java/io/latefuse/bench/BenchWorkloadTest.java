package io.latefuse.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchWorkloadTest {
    private static final List<String> THREE = List.of("acoustic", "lexical", "prosody");

    @Test
    void theSameSeedGivesTheSamePlanAndTheSharesComeOutAsAsked() {
        BenchWorkload w = new BenchWorkload(20_000, THREE, 0.05, 0.02, 7);
        int missing = 0;
        int late = 0;
        for (int e = 0; e < w.events(); e++) {
            BenchWorkload.EventPlan p = w.plan(e);
            assertThat(p).isEqualTo(w.plan(e));
            assertThat(p.missing() >= 0 && p.late() >= 0).as("never both").isFalse();
            assertThat(w.onTimeCount(p)).isBetween(2, 3);
            missing += p.missing() >= 0 ? 1 : 0;
            late += p.late() >= 0 ? 1 : 0;
        }
        assertThat(missing / 20_000.0).isCloseTo(0.05, org.assertj.core.data.Offset.offset(0.01));
        assertThat(late / 20_000.0).isCloseTo(0.02, org.assertj.core.data.Offset.offset(0.01));
        assertThat(BenchRunner.records(w)).isEqualTo(3L * 20_000 - missing);
    }

    @Test
    void withAnEmbeddingSizeEveryScoreCarriesThatManySeededFloats_andEachCostsFourBytesOnTheWire() {
        BenchWorkload scores = new BenchWorkload(1_000, THREE, 0, 0, 1);
        BenchWorkload e64 = new BenchWorkload(1_000, THREE, 0, 0, 1, 64);
        assertThat(scores.score(scores.plan(3), 1, 42L).getEmbedding()).isNull();
        assertThat(e64.score(e64.plan(3), 1, 42L).getEmbedding()).hasSize(64)
                .isEqualTo(e64.score(e64.plan(3), 1, 42L).getEmbedding())
                .isNotEqualTo(e64.score(e64.plan(3), 2, 42L).getEmbedding());
        // Plain Avro (no registry header) keeps the arithmetic exact: per score, the union branch, the array's block
        // count and end (3 bytes for 64 items) and 64 floats.
        org.apache.kafka.common.serialization.Serializer<io.latefuse.avro.ModalityScore> avro = (topic, s) -> {
            try {
                java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                org.apache.avro.io.BinaryEncoder enc = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
                new org.apache.avro.specific.SpecificDatumWriter<>(io.latefuse.avro.ModalityScore.class).write(s, enc);
                enc.flush();
                return out.toByteArray();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        assertThat(e64.wireBytesPerEvent(avro, "t", 100) - scores.wireBytesPerEvent(avro, "t", 100))
                .isEqualTo(3 * (64 * 4 + 1 + 2));
    }

    @Test
    void aWorkloadWithoutMissingOrLateSendsEverything() {
        BenchWorkload w = new BenchWorkload(1_000, THREE, 0, 0, 1);
        for (int e = 0; e < w.events(); e++) {
            assertThat(w.plan(e).complete()).isTrue();
        }
        assertThat(w.score(w.plan(3), 1, 42L).getScores()).hasSize(2);
    }

    @Test
    void badParametersNameTheCulprit() {
        assertThatThrownBy(() -> new BenchWorkload(0, THREE, 0, 0, 1)).hasMessageContaining("events = 0");
        assertThatThrownBy(() -> new BenchWorkload(10, List.of("a"), 0, 0, 1)).hasMessageContaining("at least 2");
        assertThatThrownBy(() -> new BenchWorkload(10, THREE, 0.8, 0.3, 1)).hasMessageContaining("together at most 1");
        assertThatThrownBy(() -> Variant.select(List.of("latefuse-rocks-eos"))).hasMessageContaining("latefuse-rocks-eos")
                .hasMessageContaining("latefuse-rocksdb-eos");
    }
}
