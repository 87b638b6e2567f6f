package io.latefuse.cli;

import io.latefuse.config.Durations;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.streams.BrokerCheck;
import io.latefuse.training.ArrivalDelayReport;
import io.latefuse.training.ArrivalDelays;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;

/** Chooses max.wait from the input topics: how late each modality's score comes after its event's first. */
@Command(name = "advise", mixinStandardHelpOptions = true,
        description = {"Read the input topics' record timestamps (no fusion) and print, per modality, the arrival "
                + "delay after each event's first score (p50, p90, p99, p99.9), the share of events it never came for, "
                + "and the completeness and wait each candidate max.wait gives; then the least max.wait for "
                + "--target-completeness. Optional modalities (required: false) are shown apart and do not drive the "
                + "advice: the app awaits them only while a required one is missing, then for at most optional.wait."})
final class AdviseCommand implements Callable<Integer> {
    /** max.wait is advised in steps of this. */
    static final long STEP_MS = 10;

    @CommandLine.Mixin
    ConfigOption configOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--since", defaultValue = "1h", converter = DurationFlag.AtLeastOneMillisecond.class,
            description = "Read the scores written in this last stretch of time (default ${DEFAULT-VALUE}).")
    Duration since;

    @Option(names = "--target-completeness", defaultValue = "0.99",
            description = "The share of events, in (0, 1), that should have every required score that came by max.wait (default ${DEFAULT-VALUE}).")
    double target;

    @Option(names = "--candidates", split = ",", converter = DurationFlag.class,
            defaultValue = "50ms,100ms,200ms,300ms,500ms,1s,2s,5s",
            description = "The max.wait values to tabulate (default ${DEFAULT-VALUE}); max.wait and the advice are added.")
    List<Duration> candidates;

    @Option(names = "--report", description = "Also write report.html, with the curve, into this directory.")
    Path report;

    PrintStream stdout = System.out;

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).within("--target-completeness", 0, false, 1, false);
        PipelineConfig cfg = PipelineConfigLoader.load(configOption.path());
        BrokerCheck.await(cfg);
        Instant from = Instant.now().minus(since);
        Map<String, long[]> written = read(cfg, from);
        List<String> topics = cfg.inputTopics();
        if (written.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no scores in " + String.join(", ", topics)
                    + " written since " + from + " (--since " + Durations.format(since) + "): nothing to advise from");
        }
        long horizon = Math.max(cfg.maxWait().toMillis(), candidates.stream().mapToLong(Duration::toMillis).max().orElse(0));
        List<Boolean> required = cfg.modalities().stream().map(PipelineConfig.ModalityConfig::required).toList();
        long optionalWait = cfg.optionalWait() == null ? 0 : cfg.optionalWait().toMillis();
        ArrivalDelays d = new ArrivalDelays(cfg.modalityNames(), required, optionalWait, written, horizon);
        if (d.events() == 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "all " + d.leftOut() + " events since " + from
                    + " were first seen within " + horizon + " ms of the last score read, so their slow scores may not "
                    + "be written yet: read a longer stretch (--since)");
        }
        long advised = d.recommend(target, STEP_MS);
        String table = ArrivalDelayReport.table(d, from, horizon, candidates.stream().map(Duration::toMillis).toList(),
                cfg.maxWait().toMillis(), advised, target);
        stdout.print(table);
        if (report != null) {
            Files.createDirectories(report);
            long xMax = Math.max(advised, Math.max(cfg.maxWait().toMillis(), 1));
            for (int m = 0; m < cfg.numModalities(); m++) {
                if (d.required(m)) { // an optional modality's tail waits for nothing: it would only stretch the axis
                    xMax = Math.max(xMax, d.quantile(m, 0.999));
                }
            }
            Path page = report.resolve("report.html");
            Files.writeString(page, ArrivalDelayReport.html("max.wait for " + cfg.applicationId(), d,
                    Math.round(xMax * 1.1), advised, cfg.maxWait().toMillis(), target, table));
            stdout.println("Wrote " + page);
        }
        return 0;
    }

    /** Per event id, per modality, when its first score was written; read up to the end offsets at the start. */
    private Map<String, long[]> read(PipelineConfig cfg, Instant from) {
        Properties props = new Properties();
        props.putAll(cfg.kafka());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false); // asking about a topic must not create it
        // Retention can delete the segment sought while it is read: go on from the new log start, never jump to the end.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Scorers write transactionally under exactly-once: aborted scores never reached the fusion app either.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, long[]> written = new HashMap<>();
        int n = cfg.numModalities();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            for (int m = 0; m < n; m++) {
                String topic = cfg.inputTopics().get(m);
                List<TopicPartition> parts = new ArrayList<>();
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
                if (infos == null || infos.isEmpty()) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "input topic " + topic + " (modality "
                            + cfg.modalityNames().get(m) + ") does not exist on " + cfg.bootstrapServers());
                }
                for (PartitionInfo p : infos) {
                    parts.add(new TopicPartition(topic, p.partition()));
                }
                consumer.assign(parts);
                Map<TopicPartition, Long> end = consumer.endOffsets(parts);
                Map<TopicPartition, Long> query = new HashMap<>();
                parts.forEach(tp -> query.put(tp, from.toEpochMilli()));
                Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(query);
                List<TopicPartition> open = new ArrayList<>();
                for (TopicPartition tp : parts) {
                    OffsetAndTimestamp o = start.get(tp);
                    long offset = o == null ? end.get(tp) : o.offset();
                    consumer.seek(tp, offset);
                    if (offset < end.get(tp)) {
                        open.add(tp);
                    }
                }
                while (!open.isEmpty()) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.key() == null || r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                            continue;
                        }
                        long[] t = written.computeIfAbsent(r.key(), k -> {
                            long[] none = new long[n];
                            java.util.Arrays.fill(none, -1);
                            return none;
                        });
                        if (t[m] < 0 || r.timestamp() < t[m]) {
                            t[m] = r.timestamp(); // a duplicate counts from the first
                        }
                    }
                    open.removeIf(tp -> consumer.position(tp) >= end.get(tp));
                }
            }
        }
        return written;
    }
}
