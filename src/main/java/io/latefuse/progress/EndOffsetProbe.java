package io.latefuse.progress;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Asks the brokers, on its own thread, for the end offset of every input partition, once per interval. An answer
 * to a request sent at time T holds every record appended before T, so a consumer positioned at or past it has read
 * everything written before T. A consumer's own cached lag cannot say that: it is only as fresh as its last fetch
 * response, and goes stale while the broker is unreachable or the consumer is not fetching.
 * <p>
 * Each partition is answered on its own: one that cannot answer (its leader is down) keeps its last answer, and
 * holds back only the deadlines of the task that reads it, while the others move on. A partition whose request is
 * still out is not asked again until it is answered or fails, so a slow partition never delays the others.
 */
public final class EndOffsetProbe implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EndOffsetProbe.class);

    /**
     * An end offset, and the time it covers: when the request that returned it was sent, less the replication
     * allowance. The high watermark leaves out a record the leader has appended (and stamped) until every in-sync
     * replica has it; a record appended at least one probe interval before the question is taken to be in it.
     */
    record End(long offset, long askedAtMs) {}

    /** What the probe asks the brokers: a seam, so that tests can answer per partition. */
    interface Brokers extends AutoCloseable {
        /** Every partition of the topics. */
        List<TopicPartition> partitions(Collection<String> topics) throws Exception;

        /** One answer per partition, each of which may fail on its own. */
        Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> endOffsets(Collection<TopicPartition> partitions);

        @Override
        void close();
    }

    /** Why a partition has no fresh answer: since when, and the last error. */
    private record Trouble(long sinceMs, String error) {}

    private final Brokers brokers;
    private final List<String> topics;
    private final Duration interval;
    private final LongSupplier clock;
    private final long replicationAllowanceMs;
    private final Thread thread;
    private final Map<TopicPartition, End> latest = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Trouble> trouble = new ConcurrentHashMap<>();
    private final Set<TopicPartition> asking = ConcurrentHashMap.newKeySet();
    private volatile List<TopicPartition> partitions = List.of();
    /** Set when a partition the probe does not know is asked about, or a request failed: describe the topics again. */
    private volatile boolean describeWanted;
    private volatile String describeError;
    private volatile boolean running = true;
    private long lastFailureLog;

    /**
     * Asks for the high watermark (read_uncommitted), whatever the app reads with. Under exactly-once the app reads
     * read_committed, and its consumer gets past an offset only once every transaction open before it has committed
     * or aborted; so a position at or past the high watermark asked for at T means every record appended before T was
     * read or aborted. The last stable offset would not do: one transaction left open (a scorer that crashed
     * mid-transaction) freezes it, and every record after it, other producers' committed scores too, would count as
     * read without being readable.
     */
    public EndOffsetProbe(Admin admin, List<String> topics, Duration interval) {
        this(adminBrokers(admin, IsolationLevel.READ_UNCOMMITTED, Duration.ofMillis(Math.max(2_000, interval.toMillis() * 40))),
                topics, interval, System::currentTimeMillis);
    }

    EndOffsetProbe(Brokers brokers, List<String> topics, Duration interval, LongSupplier clock) {
        this.brokers = brokers;
        this.topics = List.copyOf(topics);
        this.interval = interval;
        this.clock = clock;
        this.replicationAllowanceMs = interval.toMillis();
        this.thread = new Thread(this::run, "latefuse-end-offsets");
        this.thread.setDaemon(true);
    }

    private static Brokers adminBrokers(Admin admin, IsolationLevel isolation, Duration requestTimeout) {
        return new Brokers() {
            @Override
            public List<TopicPartition> partitions(Collection<String> topics) throws Exception {
                Map<String, TopicDescription> d = admin.describeTopics(topics).allTopicNames().get(5, TimeUnit.SECONDS);
                return d.values().stream()
                        .flatMap(t -> t.partitions().stream().map(p -> new TopicPartition(t.name(), p.partition())))
                        .toList();
            }

            @Override
            public Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> endOffsets(Collection<TopicPartition> partitions) {
                Map<TopicPartition, OffsetSpec> request = new HashMap<>();
                partitions.forEach(tp -> request.put(tp, OffsetSpec.latest()));
                ListOffsetsOptions options = new ListOffsetsOptions(isolation);
                options.timeoutMs((int) requestTimeout.toMillis()); // a leaderless partition fails, and is asked again
                var result = admin.listOffsets(request, options);
                Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> out = new HashMap<>();
                partitions.forEach(tp -> out.put(tp, result.partitionResult(tp)));
                return out;
            }

            @Override
            public void close() {
                admin.close(Duration.ofSeconds(5));
            }
        };
    }

    public EndOffsetProbe start() {
        thread.start();
        return this;
    }

    /** Partitions assigned to a stream thread: one the probe has not described makes it describe the topics again. */
    void expect(Collection<TopicPartition> assigned) {
        for (TopicPartition tp : assigned) {
            if (undescribed(tp)) {
                describeWanted = true;
            }
        }
    }

    /** A partition of an input topic that the last describe did not list. */
    private boolean undescribed(TopicPartition tp) {
        return topics.contains(tp.topic()) && !partitions.contains(tp);
    }

    /**
     * The latest end offset known for the partition, or null. A partition the probe has not described (one added to
     * an input topic since) makes the next round describe the topics again.
     */
    End latest(TopicPartition tp) {
        End end = latest.get(tp);
        if (end == null && undescribed(tp)) {
            describeWanted = true;
        }
        return end;
    }

    /** Why the partition's end offset is not fresh, or null when its last request was answered. */
    String trouble(TopicPartition tp) {
        Trouble t = trouble.get(tp);
        if (t == null && describeError != null) {
            return "the input topics cannot be described (" + describeError + ")";
        }
        if (t == null) {
            return null;
        }
        End last = latest.get(tp);
        return "the brokers have not answered its end offset since " + Instant.ofEpochMilli(t.sinceMs())
                + " (" + t.error() + ")" + (last == null ? "" : "; the last answer, " + last.offset() + ", was asked for at "
                + Instant.ofEpochMilli(last.askedAtMs()));
    }

    private void run() {
        while (running) {
            long asked = clock.getAsLong();
            askOnce();
            long sleep = asked + interval.toMillis() - clock.getAsLong();
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /**
     * One round: asks for the end offset of every partition that has no request out. Answers land as they come;
     * a failure is kept, per partition, for {@link #trouble}, and logged at most every 30 s.
     */
    void askOnce() {
        long asked = clock.getAsLong();
        if (partitions.isEmpty() || describeWanted) {
            describeWanted = false;
            try {
                partitions = brokers.partitions(topics);
                describeError = null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                // The partitions described before are still asked for: one that fails holds back only itself.
                describeError = e.toString();
                logFailure(asked, "Cannot describe the input topics " + topics + " (" + e + ")");
                if (partitions.isEmpty()) {
                    return;
                }
            }
        }
        List<TopicPartition> ask = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            if (asking.add(tp)) {
                ask.add(tp);
            }
        }
        if (ask.isEmpty()) {
            return;
        }
        Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> answers;
        try {
            answers = brokers.endOffsets(ask);
        } catch (RuntimeException e) {
            ask.forEach(tp -> failed(tp, asked, e));
            ask.forEach(asking::remove);
            return;
        }
        for (TopicPartition tp : ask) {
            KafkaFuture<ListOffsetsResultInfo> answer = answers.get(tp);
            if (answer == null) {
                failed(tp, asked, new IllegalStateException("no answer for it"));
                asking.remove(tp);
                continue;
            }
            answer.whenComplete((info, error) -> {
                if (error == null) {
                    latest.merge(tp, new End(info.offset(), asked - replicationAllowanceMs),
                            (old, now) -> now.askedAtMs() >= old.askedAtMs() ? now : old);
                    trouble.remove(tp);
                } else {
                    failed(tp, asked, error);
                }
                asking.remove(tp);
            });
        }
    }

    private void failed(TopicPartition tp, long asked, Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        trouble.compute(tp, (k, old) -> new Trouble(old == null ? asked : old.sinceMs(), cause.toString()));
        describeWanted = true; // described again: the topic may have changed
        Set<String> failing = new TreeSet<>();
        trouble.keySet().forEach(p -> failing.add(p.toString()));
        logFailure(asked, "Cannot read the end offsets of " + failing + " (" + cause + "); the deadlines of the tasks that "
                + "read them wait, up to max.holdback");
    }

    private synchronized void logFailure(long now, String message) {
        if (now - lastFailureLog > 30_000) {
            lastFailureLog = now;
            log.warn(message);
        }
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
        brokers.close();
    }
}
