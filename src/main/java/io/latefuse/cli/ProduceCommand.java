package io.latefuse.cli;

import io.latefuse.avro.ModalityFeatures;
import io.latefuse.avro.ModalityScore;
import io.latefuse.config.InvalidConfigException;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.BrokerCheck;
import io.latefuse.streams.RegistryConfigs;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.training.FeatureRows;
import io.latefuse.training.LabelledScores;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Produces ModalityScore records to the score topics: from the synthetic DDSD generator (with its missing and late
 * modalities) or from a labelled CSV. Each record carries the true label in {@code attributes.label}, so that
 * downstream tools can score the predictions. Every send is followed to its acknowledgement ({@link Deliveries}):
 * the count printed is of records the broker acknowledged, and the first failed send stops the command, exit code 1.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = {"Produce scores to the modality topics, from the synthetic DDSD generator or a labelled CSV; or "
                + "features to the features topics, for the scorers.",
                "Prints how many records the broker acknowledged. When a send fails (the producer retries what can be "
                        + "retried, until delivery.timeout.ms), sends no more: names the topic and the cause, counts "
                        + "those sent, acknowledged and failed, and exits with code 1."})
final class ProduceCommand implements Callable<Integer> {

    @CommandLine.Mixin
    ConfigOption configOption;

    @ArgGroup(multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--synthetic", description = "A generator: ddsd.")
        String synthetic;

        @Option(names = "--csv", description = "A labelled scores CSV (the format train reads).")
        Path csv;

        @Option(names = "--features", description = "Features for the scorers, to the features topics: a CSV of "
                + "event_id,modality,f1,f2,... rows (study digits writes one: test-features.csv).")
        Path features;
    }

    @Option(names = "--break", description = "With --synthetic: a modality whose model breaks, as "
            + "<modality>:<stuck|swap>@<event>, e.g. acoustic:stuck@10000 (stuck at P(directed) 0.2, or its classes "
            + "swapped, from that event on), to see modality.health at work.")
    String breakSpec;

    @Option(names = "--labels", description = "Also send each event's true class to labels.topic, as a GroundTruth "
            + "record, right after its scores (for latefuse quality; the config must set labels.topic).")
    boolean labels;

    @Option(names = "--seed", defaultValue = "1", description = "Generator seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--events", defaultValue = "1000", description = "How many events; 0 for no end (default ${DEFAULT-VALUE}).")
    long events;

    @Option(names = "--rate", defaultValue = "100", description = "Events per second (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--late-delay", defaultValue = "0",
            description = "How long after its event a late score is sent, in ms; default: max.wait plus 200 ms.")
    long lateDelayMs;

    @Option(names = "--bad-rate", defaultValue = "0",
            description = "Share of events that get one invalid (NaN) score, to exercise the dead-letter path (default ${DEFAULT-VALUE}).")
    double badRate;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).atLeast("--events", 0).greaterThan("--rate", 0).atLeast("--late-delay", 0)
                .within("--bad-rate", 0, true, 1, true);
        Path config = configOption.path();
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        if (source.features != null) {
            return produceFeatures(cfg, FeatureRows.read(source.features, cfg));
        }
        Iterator<ScoreStream.Event> input = events(cfg);
        requireTopics(cfg, cfg.inputTopics(), "Start `latefuse run --create-topics` first, or create them; a broker "
                + "that auto-creates topics would give them its own partition count");
        if (labels && cfg.quality() == null) {
            throw new InvalidConfigException("--labels", List.of("--labels sends true classes to labels.topic, but "
                    + configOption.path() + " sets no labels.topic"));
        }
        if (labels) {
            requireTopics(cfg, List.of(cfg.quality().labelsTopic()), "Start `latefuse quality --create-topics` first, "
                    + "or create it with the output topic's partition count");
        }
        try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfigs.of(cfg));
             KafkaProducer<String, ModalityScore> producer = new KafkaProducer<>(producerProps(cfg), new StringSerializer(),
                     new AvroSerializer<>(registry, RegistryConfigs.of(cfg), false));
             KafkaProducer<String, io.latefuse.avro.GroundTruth> truths = labels ? new KafkaProducer<>(producerProps(cfg),
                     new StringSerializer(), new AvroSerializer<>(registry, RegistryConfigs.of(cfg), false)) : null) {
            return produceScores(cfg, producer, truths, input);
        }
    }

    /** Sends the events' scores through {@code producer}; says what became of them. The exit code: 0, or 1 if a send failed. */
    int produceScores(PipelineConfig cfg, Producer<String, ModalityScore> producer, Iterator<ScoreStream.Event> input)
            throws InterruptedException {
        return produceScores(cfg, producer, null, input);
    }

    /** As above; with {@code truths}, each event's true class goes to labels.topic as it starts. */
    int produceScores(PipelineConfig cfg, Producer<String, ModalityScore> producer,
                      Producer<String, io.latefuse.avro.GroundTruth> truths, Iterator<ScoreStream.Event> input)
            throws InterruptedException {
        ScoreStream stream = new ScoreStream(cfg, producer,
                lateDelayMs > 0 ? lateDelayMs : cfg.maxWait().toMillis() + 200, badRate, seed);
        Deliveries labelled = new Deliveries();
        ScoreStream.Result done = stream.run(input, events, rate, labelled::failed, e -> {
            if (truths != null) {
                labelled.send(truths, new ProducerRecord<>(cfg.quality().labelsTopic(), e.id(),
                        io.latefuse.avro.GroundTruth.newBuilder().setEventId(e.id())
                                .setLabel(cfg.classes().get(e.label())).setLabelledAt(java.time.Instant.now())
                                .setSource("latefuse produce").build()));
            }
        });
        int rc = report("scores", done.events(), done.scores());
        if (truths != null) {
            truths.flush();
            rc = Math.max(rc, report("labels", done.events(), labelled.counts()));
        }
        return rc;
    }

    /** Sends each event's features to its modalities' features topics, {@code --rate} events per second. */
    private int produceFeatures(PipelineConfig cfg, List<FeatureRows.Event> rows) throws Exception {
        java.util.Set<String> modalities = new java.util.LinkedHashSet<>();
        rows.forEach(r -> modalities.addAll(r.features().keySet()));
        List<String> topics = modalities.stream().map(m -> cfg.modalities().get(cfg.modalityIndex(m)).featuresTopic()).toList();
        requireTopics(cfg, topics, "Start `latefuse score --create-topics` for each modality first, or create them");
        try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfigs.of(cfg));
             KafkaProducer<String, ModalityFeatures> producer = new KafkaProducer<>(producerProps(cfg),
                     new StringSerializer(), new AvroSerializer<>(registry, RegistryConfigs.of(cfg), false))) {
            return produceFeatures(cfg, producer, rows);
        }
    }

    /**
     * Sends the rows' features through {@code producer}, paced by the clock, until one fails; says what became of
     * them. The exit code: 0, or 1 if a send failed.
     */
    int produceFeatures(PipelineConfig cfg, Producer<String, ModalityFeatures> producer, List<FeatureRows.Event> rows)
            throws InterruptedException {
        long limit = events == 0 ? rows.size() : Math.min(events, rows.size());
        Deliveries deliveries = new Deliveries();
        Pacer pacer = new Pacer(rate, System.nanoTime());
        long n = 0;
        for (; n < limit && !deliveries.failed(); n++) {
            long wait = pacer.dueAt(n) - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            FeatureRows.Event e = rows.get((int) n);
            java.time.Instant now = java.time.Instant.now();
            for (java.util.Map.Entry<String, float[]> f : e.features().entrySet()) {
                if (deliveries.failed()) {
                    break;
                }
                List<Float> values = new java.util.ArrayList<>(f.getValue().length);
                for (float v : f.getValue()) {
                    values.add(v);
                }
                deliveries.send(producer, new ProducerRecord<>(cfg.modalities().get(cfg.modalityIndex(f.getKey())).featuresTopic(),
                        e.eventId(), ModalityFeatures.newBuilder().setEventId(e.eventId()).setModality(f.getKey())
                                .setValues(values).setEventTime(now).build()));
            }
        }
        producer.flush();
        return report("features", n, deliveries.counts());
    }

    /**
     * What the sends came to: when the broker acknowledged every record, how many, and exit code 0; else one line on
     * stderr naming the first failure's topic and cause, with the counts, and exit code 1.
     */
    int report(String what, long events, Deliveries.Counts c) {
        if (c.allAcknowledged()) {
            spec.commandLine().getOut().printf("Produced %d %s for %d events%n", c.acknowledged(), what, events);
            spec.commandLine().getOut().flush();
            return 0;
        }
        Deliveries.Failure f = c.failure();
        String counts = c.sent() + " " + what + " sent, " + c.acknowledged() + " acknowledged, " + c.failed() + " failed"
                + (c.unconfirmed() > 0 ? ", " + c.unconfirmed() + " unconfirmed" : "");
        spec.commandLine().getErr().println("latefuse produce: " + (f != null
                ? "sending to topic " + f.topic() + " failed (" + f.describe() + "); stopped after " + events + " events: "
                : "not every send was confirmed after " + events + " events: ") + counts);
        spec.commandLine().getErr().flush();
        return 1;
    }

    /** A broker answers, and {@code topics} exist: produce never lets a broker auto-create a topic. */
    private static void requireTopics(PipelineConfig cfg, List<String> topics, String whatToDo) throws Exception {
        BrokerCheck.await(cfg);
        try (Admin admin = Admin.create(StreamsProperties.of(cfg))) {
            TopicPreflight.requireExisting(admin, topics, whatToDo);
        }
    }

    private static Properties producerProps(PipelineConfig cfg) {
        Properties props = new Properties();
        props.putAll(cfg.kafka());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return props;
    }

    private io.latefuse.training.SyntheticDdsd.Break brokenModality(String spec) {
        try {
            return io.latefuse.training.SyntheticDdsd.Break.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("--break", List.of("--break = '" + spec + "': " + e.getMessage()));
        }
    }

    private Iterator<ScoreStream.Event> events(PipelineConfig cfg) throws Exception {
        if (source.csv != null) {
            Iterator<LabelledScores.Event> it = LabelledScores.read(source.csv, cfg).iterator();
            return new Iterator<>() {
                public boolean hasNext() {
                    return it.hasNext();
                }

                public ScoreStream.Event next() {
                    LabelledScores.Event e = it.next();
                    return new ScoreStream.Event(e.eventId(), e.label(), e.scores(), new boolean[cfg.numModalities()]);
                }
            };
        }
        if (!"ddsd".equals(source.synthetic)) {
            throw new InvalidConfigException("--synthetic", List.of("--synthetic = '" + source.synthetic + "': the generators are: ddsd"));
        }
        ScoreStream.requireDdsd(cfg, configOption.path().toString());
        return ScoreStream.synthetic(seed, breakSpec == null ? null : brokenModality(breakSpec));
    }
}
