package io.latefuse.streams;

import io.latefuse.config.PipelineConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.util.Properties;

/** Maps a pipeline config to Kafka Streams properties, in one place for the app, the topology and the tests. */
public final class StreamsProperties {
    private StreamsProperties() {}

    /** latefuse's session timeout for a static member ({@code instance.id}); the {@code kafka} map may override it. */
    public static final int STATIC_MEMBER_SESSION_TIMEOUT_MS = 30_000;

    /** The Kafka Streams properties for {@code config}: latefuse's own keys, over the Kafka pass-through. */
    public static Properties of(PipelineConfig config) {
        return of(config, config.applicationId());
    }

    /** The same, for another app of the pipeline (a scorer) with its own application id. */
    public static Properties of(PipelineConfig config, String applicationId) {
        Properties p = new Properties();
        // Low-latency defaults the pass-through may override. Under exactly-once a commit waits for its sends;
        // right after a commit the coordinator may answer CONCURRENT_TRANSACTIONS, and the producer's default
        // backoff (up to 1 s) would then hold the stream thread, and every pending deadline, for seconds.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 10);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG), 100);
        // Kafka Streams overrides the producer's linger.ms to 100, which holds every prediction up to 100 ms before
        // it is sent (`latefuse bench` A/B: passthrough p50 55 ms with it, 9 ms with 5). 5 ms is Kafka 4's default.
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
        if (StreamsConfig.AT_LEAST_ONCE.equals(config.processingGuarantee())) {
            // Kafka's 30 s at-least-once commit flushes the whole record cache in one go: `latefuse bench` measured
            // complete-event p99 654 ms on RocksDB with it and 44 ms with 1 s, and 8 events in 15,000 degraded.
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1_000L);
        }
        if (StreamsConfig.EXACTLY_ONCE_V2.equals(config.processingGuarantee())) {
            // Transactional state stores (KIP-892): a store keeps only committed writes, so a crash or an aborted
            // transaction no longer wipes the task. Measured (TransactionalStoresIT, SIGKILL under exactly_once_v2,
            // RocksDB): without them every store of every task was wiped and restored from the start of its changelog
            // (5,978 pending records for 2,500 events); with them pending restored 1,159-1,304, the tail after what
            // RocksDB had flushed (Kafka writes without a WAL: at most about a memtable, 16 MiB, per store). The
            // emitted window store is restored in full after a crash (CheckpointAtCloseWindowStore). CrashRecoveryIT,
            // FailoverIT, InputDeadlinesIT and FusionIT pass with them. Lookups then read committed state (below).
            p.put(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG, true);
        }
        // Kafka Streams' default state.dir is under /tmp, which the OS may clear (and it warns so at every start).
        defaultStateDir().ifPresent(dir -> p.put(StreamsConfig.STATE_DIR_CONFIG, dir));
        if (!config.instanceId().isEmpty()) {
            // Static membership: an instance that never comes back holds its partitions for this long. 30 s, not
            // Kafka's 45 s: a restarted instance rejoins within seconds of its start (the restore comes after), so
            // 30 s still covers a restart of a slow-starting pod, and a crash for good costs 15 s less.
            p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, STATIC_MEMBER_SESSION_TIMEOUT_MS);
        }
        p.putAll(config.kafka());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.processingGuarantee());
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, config.standbyReplicas());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        if (!config.instanceId().isEmpty()) {
            // Kafka Streams adds "-<thread number>" for each stream thread's consumer.
            p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.instanceId());
        }
        if (config.commitInterval() != null) {
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitInterval().toMillis());
        }
        p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, config.deadLetterTopic());
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        // Kafka Streams' partition assignor builds a StreamsConfig of its own from the main consumer's settings, and
        // warns at every start that this handler is off unless the consumer's settings say it is on.
        p.put(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), true);
        if (transactionalStoresUnderExactlyOnce(p)
                && !config.kafka().containsKey(StreamsConfig.DEFAULT_INTERACTIVE_QUERY_ISOLATION_LEVEL_CONFIG)) {
            // Lookups (GET /events/{id}, interactive queries) read what is committed, as read_committed consumers do:
            // Kafka's READ_UNCOMMITTED reads the transaction buffer and the record cache, writes that an aborted
            // transaction takes back (TransactionalStoresIT: EMITTED seconds before the prediction was committed).
            p.put(StreamsConfig.DEFAULT_INTERACTIVE_QUERY_ISOLATION_LEVEL_CONFIG, "READ_COMMITTED");
        }
        return p;
    }

    /**
     * Whether {@code properties} run exactly-once with transactional state stores ({@code
     * enable.transactional.statestores}, KIP-892): stores that keep only committed writes, and are not wiped after a
     * crash.
     */
    public static boolean transactionalStoresUnderExactlyOnce(Properties properties) {
        return StreamsConfig.EXACTLY_ONCE_V2.equals(String.valueOf(properties.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)))
                && Boolean.parseBoolean(String.valueOf(properties.get(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG)));
    }

    /** {@code ~/.latefuse/state}, where the home directory can be written to; else Kafka Streams' own default. */
    static java.util.Optional<String> defaultStateDir() {
        java.nio.file.Path home = java.nio.file.Path.of(System.getProperty("user.home", ""));
        if (home.toString().isEmpty() || !java.nio.file.Files.isWritable(home)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(home.resolve(".latefuse").resolve("state").toString());
    }
}
