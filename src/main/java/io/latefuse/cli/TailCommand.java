package io.latefuse.cli;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.BrokerCheck;
import io.latefuse.streams.DeadLetterReason;
import io.latefuse.streams.RegistryConfigs;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;

/** Prints a topic's Avro records, decoded through the registry: one line per prediction, or JSON. */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Print a topic's records decoded through the schema registry: one line per prediction, or JSON. "
                + "On the dead-letter topic, each record's reason, detail and source topic.")
final class TailCommand implements Callable<Integer> {

    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--topic", description = "The topic; default: the config's output topic.")
    String topic;

    @Option(names = "--json", description = "Print each record as JSON.")
    boolean json;

    @Option(names = "--from-beginning", description = "Start at the earliest offset instead of the end.")
    boolean fromBeginning;

    @Option(names = "--max", defaultValue = "0", description = "Stop after this many records; 0 runs until Ctrl-C.")
    long max;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    PrintStream out = System.out;

    @Override
    public Integer call() {
        OptionChecks.of(spec).atLeast("--max", 0);
        Path config = configOption.path();
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        String t = topic == null ? cfg.outputTopic() : topic;
        BrokerCheck.await(cfg);
        Properties props = new Properties();
        props.putAll(cfg.kafka());
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "latefuse-tail-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long printed = 0;
        try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfigs.of(cfg));
             // Bytes, decoded here: a dead-letter topic holds records that may not decode at all.
             KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                     new ByteArrayDeserializer())) {
            AvroDeserializer<GenericRecord> avro = AvroDeserializer.generic(registry);
            Thread hook = new Thread(consumer::wakeup, "tail-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            consumer.subscribe(List.of(t));
            try {
                while (max == 0 || printed < max) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        out.println(print(r, avro));
                        if (max != 0 && ++printed >= max) {
                            break;
                        }
                    }
                }
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (WakeupException stopping) {
                // Ctrl-C
            }
        }
        return 0;
    }

    /** One record: a prediction's line (or its JSON); a dead letter with its reason, detail and source topic first. */
    private String print(ConsumerRecord<String, byte[]> r, AvroDeserializer<GenericRecord> avro) {
        GenericRecord value = null;
        String undecodable = null;
        if (r.value() != null) {
            try {
                value = avro.deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                undecodable = r.value().length + " bytes that do not decode (" + e.getMessage() + ")";
            }
        }
        String reason = header(r, DeadLetterReason.HEADER);
        if (reason == null) {
            if (undecodable != null) {
                return json ? JSON.createObjectNode().put("key", r.key()).put("undecodable", undecodable).toString()
                        : r.key() + " " + undecodable;
            }
            return json ? String.valueOf(value) : line(r.key(), value);
        }
        String source = header(r, DeadLetterReason.TOPIC_HEADER);
        if (source == null) {
            source = header(r, "__streams.errors.topic"); // Kafka Streams' own dead-letter header (KIP-1034)
        }
        String detail = header(r, DeadLetterReason.DETAIL_HEADER);
        if (json) {
            com.fasterxml.jackson.databind.node.ObjectNode o = JSON.createObjectNode().put("key", r.key())
                    .put("reason", reason).put("detail", detail).put("topic", source);
            if (value != null) {
                try {
                    o.set("value", JSON.readTree(value.toString()));
                } catch (java.io.IOException e) {
                    o.put("value", value.toString());
                }
            } else {
                o.put("undecodable", undecodable);
            }
            return o.toString();
        }
        return "DEAD LETTER " + reason + " from " + source + " key " + r.key() + ": " + detail
                + (undecodable != null ? " | " + undecodable : "");
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static String header(ConsumerRecord<?, ?> r, String name) {
        org.apache.kafka.common.header.Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    static String line(String key, GenericRecord v) {
        if (v == null) {
            return key + " (tombstone)";
        }
        if (!"FusedPrediction".equals(v.getSchema().getName())) {
            return key + " " + v;
        }
        List<?> scores = (List<?>) v.get("scores");
        float top = 0;
        for (Object s : scores) {
            top = Math.max(top, ((Number) s).floatValue());
        }
        return String.format(Locale.ROOT, "%s %s %.3f %s rev %s present [%s] missing [%s] wait %s ms", v.get("event_id"),
                v.get("label"), top, v.get("status"), v.get("revision"), join(v.get("present")), join(v.get("missing")),
                v.get("wait_ms"));
    }

    private static String join(Object list) {
        StringBuilder sb = new StringBuilder();
        for (Object o : (List<?>) list) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(o);
        }
        return sb.toString();
    }
}
