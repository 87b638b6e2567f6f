package io.latefuse.flink;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * latefuse's join on Apache Flink, for the bench's side-by-side runs ({@code latefuse bench --variants
 * flink-rocksdb-eos,...}): the score topics as one {@link KafkaSource}, keyed by event id, joined by
 * {@link ScoreJoin}, written by a {@link KafkaSink}, in a local (mini-cluster) environment. It reads the same pipeline
 * config as {@code latefuse run}: topics, {@code max.wait}, {@code late.retention}, strategy, the store
 * ({@code rocksdb}: Flink's RocksDB state backend with incremental checkpoints; {@code memory}: its heap backend)
 * and the guarantee ({@code exactly_once_v2}: exactly-once checkpoints and a transactional sink, read
 * read_committed; {@code at_least_once}: at-least-once checkpoints and sink). It ships as its own artifact,
 * target/latefuse-flink.jar: Flink and its Kafka connector never enter latefuse.jar or latefuse-tools.jar.
 */
@Command(name = "latefuse-flink", mixinStandardHelpOptions = true,
        description = "Runs latefuse's join and fusion as a Flink job in a local mini-cluster (the bench's Flink variant).")
public final class FlinkFusionJob implements Callable<Integer> {

    /** The line the job prints once Flink reports it RUNNING; the bench waits for it (BenchRunner.FLINK_RUNNING). */
    public static final String RUNNING = "latefuse-flink: job -> RUNNING";

    @Option(names = "--config", required = true, description = "The pipeline config (YAML), as for latefuse run.")
    Path configFile;

    @Option(names = "--clock", defaultValue = "processing_time",
            description = "Deadlines on processing_time (first arrival + max.wait) or event_time (event_time + max.wait, by watermark: a replay).")
    String clock;

    @Option(names = "--checkpoint-interval-ms", required = true,
            description = "Checkpoint interval: latefuse's commit interval for the guarantee (100 ms under exactly_once_v2).")
    long checkpointIntervalMs;

    @Option(names = "--work-dir", required = true, description = "Checkpoints and RocksDB's local files.")
    Path workDir;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FlinkFusionJob()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        String yaml = Files.readString(configFile);
        PipelineConfig config = PipelineConfigLoader.parse(yaml, configFile.toString(), Map.of());
        ScoreJoin.Clock deadlines = switch (clock.toLowerCase(Locale.ROOT)) {
            case "processing_time" -> ScoreJoin.Clock.PROCESSING_TIME;
            case "event_time", "event" -> ScoreJoin.Clock.EVENT_TIME;
            default -> throw new CommandLine.ParameterException(new CommandLine(this),
                    "--clock '" + clock + "': processing_time or event_time");
        };
        StreamExecutionEnvironment env = environment(config, checkpointIntervalMs, workDir);
        build(env, config, yaml, deadlines);
        JobClient job = env.executeAsync("latefuse-" + config.applicationId());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (job.getJobStatus().get() != JobStatus.RUNNING) {
            if (job.getJobStatus().get().isGloballyTerminalState() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the job did not reach RUNNING: " + job.getJobStatus().get());
            }
            Thread.sleep(20);
        }
        System.out.println(RUNNING);
        System.out.flush();
        job.getJobExecutionResult().get(); // until the bench stops this JVM, or the job fails
        return 0;
    }

    /**
     * A local environment as the config asks: parallelism {@code stream.threads} (one slot each), the state backend
     * of {@code store.type}, and checkpoints of the guarantee every {@code checkpointIntervalMs}.
     */
    static StreamExecutionEnvironment environment(PipelineConfig config, long checkpointIntervalMs, Path workDir) {
        Configuration conf = new Configuration();
        boolean rocksdb = config.storeType() == PipelineConfig.StoreType.ROCKSDB;
        conf.set(StateBackendOptions.STATE_BACKEND, rocksdb ? "rocksdb" : "hashmap");
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, workDir.resolve("checkpoints").toUri().toString());
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, rocksdb);
        conf.setString("state.backend.rocksdb.localdir", workDir.resolve("rocksdb").toString());
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, config.streamThreads());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        env.setParallelism(config.streamThreads());
        // The functions keep no reference to a record they were handed: chained operators may pass them on uncopied.
        env.getConfig().enableObjectReuse();
        env.enableCheckpointing(checkpointIntervalMs, exactlyOnce(config)
                ? CheckpointingMode.EXACTLY_ONCE : CheckpointingMode.AT_LEAST_ONCE);
        return env;
    }

    static boolean exactlyOnce(PipelineConfig config) {
        return "exactly_once_v2".equals(config.processingGuarantee());
    }

    /** The job: the score topics, keyed by event id, joined and fused, to the output topic. Stable operator ids. */
    static void build(StreamExecutionEnvironment env, PipelineConfig config, String configYaml, ScoreJoin.Clock clock) {
        KafkaSource<ModalityScore> source = KafkaSource.<ModalityScore>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(config.modalities().stream().map(PipelineConfig.ModalityConfig::topic).toList())
                .setGroupId(config.applicationId())
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new ScoreRecords(config.registry()))
                .build();
        WatermarkStrategy<ModalityScore> watermarks = clock == ScoreJoin.Clock.EVENT_TIME
                ? WatermarkStrategy.<ModalityScore>forMonotonousTimestamps()
                .withTimestampAssigner((s, ts) -> s.getEventTime().toEpochMilli())
                : WatermarkStrategy.noWatermarks();
        boolean eos = exactlyOnce(config);
        KafkaSink<FusedPrediction> sink = KafkaSink.<FusedPrediction>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setRecordSerializer(new PredictionRecords(config.registry(), config.outputTopic()))
                .setDeliveryGuarantee(eos ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(config.applicationId())
                // latefuse's producer settings (StreamsProperties): predictions leave within 5 ms
                .setProperty("linger.ms", "5")
                // below the broker's transaction.max.timeout.ms (15 min); Flink's default, 1 h, is refused
                .setProperty("transaction.timeout.ms", Long.toString(Duration.ofMinutes(5).toMillis()))
                .build();
        DataStream<ModalityScore> scores = env.fromSource(source, watermarks, "scores")
                .uid("scores").name("scores");
        scores.keyBy(ModalityScore::getEventId)
                .process(new ScoreJoin(configYaml, clock), new AvroTypeInfo<>(FusedPrediction.class))
                .uid("join").name("join")
                .sinkTo(sink).uid("predictions").name("predictions");
    }
}
