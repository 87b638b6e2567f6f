package io.latefuse.progress;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Asks the brokers, on its own thread, for the end offset of every input partition, once per interval. An answer
 * to a request sent at time T holds every record appended before T, so a consumer positioned at or past it has read
 * everything written before T. A consumer's own cached lag cannot say that: it is only as fresh as its last fetch
 * response, and goes stale while the broker is unreachable or the consumer is not fetching.
 */
public final class EndOffsetProbe implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EndOffsetProbe.class);

    /** An end offset, and when the request that returned it was sent. */
    record End(long offset, long askedAtMs) {}

    private final Admin admin;
    private final List<String> topics;
    private final Duration interval;
    private final IsolationLevel isolation;
    private final Thread thread;
    private volatile Map<TopicPartition, End> latest = Map.of();
    private volatile boolean running = true;

    /**
     * @param isolation read_committed under exactly-once (the end is then the last stable offset, as the main
     *                  consumer sees it), read_uncommitted otherwise
     */
    public EndOffsetProbe(Admin admin, List<String> topics, Duration interval, IsolationLevel isolation) {
        this.admin = admin;
        this.topics = List.copyOf(topics);
        this.interval = interval;
        this.isolation = isolation;
        this.thread = new Thread(this::run, "latefuse-end-offsets");
        this.thread.setDaemon(true);
    }

    public EndOffsetProbe start() {
        thread.start();
        return this;
    }

    /** The latest end offset known for the partition, or null. */
    End latest(TopicPartition tp) {
        return latest.get(tp);
    }

    private void run() {
        List<TopicPartition> partitions = List.of();
        long lastFailureLog = 0;
        while (running) {
            long asked = System.currentTimeMillis();
            try {
                if (partitions.isEmpty()) {
                    partitions = partitions();
                }
                Map<TopicPartition, OffsetSpec> request = new HashMap<>();
                partitions.forEach(tp -> request.put(tp, OffsetSpec.latest()));
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> answer = admin
                        .listOffsets(request, new ListOffsetsOptions(isolation)).all()
                        .get(Math.max(1_000, interval.toMillis() * 10), TimeUnit.MILLISECONDS);
                Map<TopicPartition, End> next = new HashMap<>();
                answer.forEach((tp, info) -> next.put(tp, new End(info.offset(), asked)));
                latest = next;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                // Unreachable or leaderless: the last answers stay as they were, so deadlines wait.
                partitions = List.of();
                if (asked - lastFailureLog > 30_000) {
                    lastFailureLog = asked;
                    log.warn("Cannot read the input's end offsets ({}); deadlines wait until they can be read", e.toString());
                }
            }
            long sleep = asked + interval.toMillis() - System.currentTimeMillis();
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private List<TopicPartition> partitions() throws Exception {
        Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
        return d.values().stream().flatMap(t -> t.partitions().stream().map(p -> new TopicPartition(t.name(), p.partition())))
                .toList();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
    }
}
