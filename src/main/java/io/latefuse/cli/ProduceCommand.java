package io.latefuse.cli;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.ScoreType;
import io.latefuse.config.InvalidConfigException;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.topology.FusionApp;
import io.latefuse.training.LabelledScores;
import io.latefuse.training.SyntheticDdsd;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * Produces ModalityScore records to the score topics: from the synthetic DDSD generator (with its missing and late
 * modalities) or from a labelled CSV. Each record carries the true label in {@code attributes.label}, so that
 * downstream tools can score the predictions.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Produce scores to the modality topics, from the synthetic DDSD generator or a labelled CSV.")
final class ProduceCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, defaultValue = "${env:LATEFUSE_CONFIG}",
            description = "Pipeline config: topics, modalities, cluster. Env LATEFUSE_CONFIG.")
    Path config;

    @ArgGroup(multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--synthetic", description = "A generator: ddsd.")
        String synthetic;

        @Option(names = "--csv", description = "A labelled scores CSV (the format train reads).")
        Path csv;
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

    /** A score waiting for its send time. */
    private record Pending(long dueNanos, long seq, String topic, ModalityScore score) {}

    @Override
    public Integer call() throws Exception {
        PipelineConfig cfg = PipelineConfigLoader.load(config);
        if (rate <= 0) {
            throw new InvalidConfigException("--rate", List.of("--rate = " + rate + ": must be greater than 0"));
        }
        java.util.Iterator<Event> input = events(cfg);
        long lateNanos = (lateDelayMs > 0 ? lateDelayMs : cfg.maxWait().toMillis() + 200) * 1_000_000L;
        Properties props = new Properties();
        props.putAll(cfg.kafka());
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        PriorityQueue<Pending> queue = new PriorityQueue<>((a, b) -> a.dueNanos != b.dueNanos
                ? Long.compare(a.dueNanos, b.dueNanos) : Long.compare(a.seq, b.seq));
        long sent = 0;
        long seq = 0;
        long n = 0;
        long start = System.nanoTime();
        long intervalNanos = (long) (1e9 / rate);
        try (SchemaRegistry registry = SchemaRegistry.connect(FusionApp.registryConfig(cfg));
             KafkaProducer<String, ModalityScore> producer = new KafkaProducer<>(props, new StringSerializer(),
                     new AvroSerializer<>(registry, FusionApp.registryConfig(cfg), false))) {
            while ((events == 0 || n < events) && input.hasNext() || !queue.isEmpty()) {
                long now = System.nanoTime();
                if ((events == 0 || n < events) && input.hasNext() && now >= start + n * intervalNanos) {
                    Event e = input.next();
                    Instant eventTime = Instant.now();
                    for (int m = 0; m < cfg.numModalities(); m++) {
                        if (e.scores()[m] == null) {
                            continue;
                        }
                        List<Float> s = new ArrayList<>();
                        for (float v : e.scores()[m]) {
                            s.add(v);
                        }
                        Map<String, String> attributes = new HashMap<>();
                        attributes.put("label", cfg.classes().get(e.label()));
                        String name = cfg.modalityNames().get(m);
                        ModalityScore score = ModalityScore.newBuilder().setEventId(e.id()).setModality(name)
                                .setModel(source.synthetic != null ? "synthetic-" + name : "csv").setModelVersion("1")
                                .setScores(s).setScoreType(ScoreType.PROBABILITY).setEventTime(eventTime)
                                .setAttributes(attributes).build();
                        // Scores of one event arrive in random order within a few ms; late ones after the deadline.
                        long jitter = (long) (Math.floorMod(seq * 2654435761L, 5_000_000L));
                        queue.add(new Pending(now + jitter + (e.late()[m] ? lateNanos : 0), seq++,
                                cfg.modalities().get(m).topic(), score));
                    }
                    n++;
                }
                while (!queue.isEmpty() && queue.peek().dueNanos <= System.nanoTime()) {
                    Pending p = queue.poll();
                    producer.send(new ProducerRecord<>(p.topic(), null, p.score().getEventTime().toEpochMilli(),
                            p.score().getEventId(), p.score()));
                    sent++;
                }
                Thread.sleep(0, 200_000);
            }
            producer.flush();
        }
        System.out.printf("Produced %d scores for %d events%n", sent, n);
        return 0;
    }

    private record Event(String id, int label, float[][] scores, boolean[] late) {}

    private java.util.Iterator<Event> events(PipelineConfig cfg) throws Exception {
        if (source.csv != null) {
            java.util.Iterator<LabelledScores.Event> it = LabelledScores.read(source.csv, cfg).iterator();
            return new java.util.Iterator<>() {
                public boolean hasNext() {
                    return it.hasNext();
                }

                public Event next() {
                    LabelledScores.Event e = it.next();
                    return new Event(e.eventId(), e.label(), e.scores(), new boolean[cfg.numModalities()]);
                }
            };
        }
        if (!"ddsd".equals(source.synthetic)) {
            throw new InvalidConfigException("--synthetic", List.of("--synthetic = '" + source.synthetic + "': the generators are: ddsd"));
        }
        List<String> expected = SyntheticDdsd.MODALITIES.stream().map(SyntheticDdsd.Modality::name).toList();
        if (!cfg.modalityNames().equals(expected) || !cfg.classes().equals(List.of("directed", "undirected"))) {
            throw new InvalidConfigException(config.toString(), List.of("the ddsd generator needs modalities " + expected
                    + " and classes [directed, undirected]; the config has " + cfg.modalityNames() + " and " + cfg.classes()));
        }
        SyntheticDdsd gen = new SyntheticDdsd(seed);
        return new java.util.Iterator<>() {
            public boolean hasNext() {
                return true;
            }

            public Event next() {
                SyntheticDdsd.Utterance u = gen.next();
                return new Event(u.id(), u.directed() ? 0 : 1, u.scores(), u.late());
            }
        };
    }
}
