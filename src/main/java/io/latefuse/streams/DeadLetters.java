package io.latefuse.streams;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Sets latefuse's reason and detail headers on dead letters: one place, for both handlers and the processors. */
public final class DeadLetters {
    private DeadLetters() {}

    /** Tags the dead letters Kafka Streams built for {@code e}. */
    public static void tag(List<ProducerRecord<byte[], byte[]>> records, DeadLetterReason reason, Exception e) {
        for (ProducerRecord<byte[], byte[]> r : records) {
            tag(r.headers(), reason, String.valueOf(e.getMessage()));
        }
    }

    public static void tag(Headers headers, DeadLetterReason reason, String detail) {
        headers.remove(DeadLetterReason.HEADER).add(DeadLetterReason.HEADER, reason.code().getBytes(StandardCharsets.UTF_8));
        headers.remove(DeadLetterReason.DETAIL_HEADER).add(DeadLetterReason.DETAIL_HEADER, detail.getBytes(StandardCharsets.UTF_8));
    }
}
