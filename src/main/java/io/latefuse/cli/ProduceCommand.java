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

/**
 * Produces ModalityScore records to the score topics: from the synthetic DDSD generator (with its missing and late
 * modalities) or from a labelled CSV. Each record carries the true label in {@code attributes.label}, so that
 * downstream tools can score the predictions.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Produce scores to the modality topics, from the synthetic DDSD generator or a labelled CSV; or "
                + "features to the features topics, for the scorers.")
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

    @Override
    public Integer call() throws Exception {
        Path config = configOption.path();
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        if (rate <= 0) {
            throw new InvalidConfigException("--rate", List.of("--rate = " + rate + ": must be greater than 0"));
        }
        if (source.features != null) {
            return produceFeatures(cfg, FeatureRows.read(source.features, cfg));
        }
        Iterator<ScoreStream.Event> input = events(cfg);
        requireTopics(cfg, cfg.inputTopics(), "Start `latefuse run --create-topics` first, or create them; a broker "
                + "that auto-creates topics would give them its own partition count");
        long[] done;
        try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfigs.of(cfg));
             KafkaProducer<String, ModalityScore> producer = new KafkaProducer<>(producerProps(cfg), new StringSerializer(),
                     new AvroSerializer<>(registry, RegistryConfigs.of(cfg), false))) {
            ScoreStream stream = new ScoreStream(cfg, producer,
                    lateDelayMs > 0 ? lateDelayMs : cfg.maxWait().toMillis() + 200, badRate, seed);
            done = stream.run(input, events, rate, () -> false, e -> { });
        }
        System.out.printf("Produced %d scores for %d events%n", done[1], done[0]);
        return 0;
    }

    /** Sends each event's features to its modalities' features topics, {@code --rate} events per second. */
    private int produceFeatures(PipelineConfig cfg, List<FeatureRows.Event> rows) throws Exception {
        java.util.Set<String> modalities = new java.util.LinkedHashSet<>();
        rows.forEach(r -> modalities.addAll(r.features().keySet()));
        List<String> topics = modalities.stream().map(m -> cfg.modalities().get(cfg.modalityIndex(m)).featuresTopic()).toList();
        requireTopics(cfg, topics, "Start `latefuse score --create-topics` for each modality first, or create them");
        long limit = events == 0 ? rows.size() : Math.min(events, rows.size());
        long intervalNanos = (long) (1e9 / rate);
        long start = System.nanoTime();
        long sent = 0;
        try (SchemaRegistry registry = SchemaRegistry.connect(RegistryConfigs.of(cfg));
             KafkaProducer<String, ModalityFeatures> producer = new KafkaProducer<>(producerProps(cfg),
                     new StringSerializer(), new AvroSerializer<>(registry, RegistryConfigs.of(cfg), false))) {
            for (int i = 0; i < limit; i++) {
                long wait = start + i * intervalNanos - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                FeatureRows.Event e = rows.get(i);
                java.time.Instant now = java.time.Instant.now();
                for (java.util.Map.Entry<String, float[]> f : e.features().entrySet()) {
                    List<Float> values = new java.util.ArrayList<>(f.getValue().length);
                    for (float v : f.getValue()) {
                        values.add(v);
                    }
                    producer.send(new ProducerRecord<>(cfg.modalities().get(cfg.modalityIndex(f.getKey())).featuresTopic(),
                            e.eventId(), ModalityFeatures.newBuilder().setEventId(e.eventId()).setModality(f.getKey())
                                    .setValues(values).setEventTime(now).build()));
                    sent++;
                }
            }
            producer.flush();
        }
        System.out.printf("Produced %d features for %d events%n", sent, limit);
        return 0;
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
        return ScoreStream.synthetic(seed);
    }
}
