package io.latefuse.tools;

import io.latefuse.avro.FusedPrediction;
import io.latefuse.avro.ModalityScore;
import io.latefuse.cli.ConfigOption;
import io.latefuse.cli.DurationFlag;
import io.latefuse.cli.OptionChecks;
import io.latefuse.cli.ScoreStream;
import io.latefuse.config.Durations;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.embedded.ApicurioRegistryProcess;
import io.latefuse.embedded.EmbeddedKafka;
import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.registry.AvroDeserializer;
import io.latefuse.registry.AvroSerializer;
import io.latefuse.registry.SchemaRegistry;
import io.latefuse.streams.RegistryConfigs;
import io.latefuse.streams.TopicPreflight;
import io.latefuse.topology.FusionApp;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one-command demo: a real KRaft broker in this JVM, the real Apicurio registry as a child process, the fusion
 * app on config/ddsd.yaml, and the synthetic DDSD producer with its missing and late modalities. Shows live numbers
 * until Ctrl-C or the end of --duration, then shuts everything down.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run latefuse end to end on an embedded broker and registry with synthetic DDSD traffic.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--duration", defaultValue = "0", converter = DurationFlag.class,
            description = "Stop after this long, with its unit (e.g. 60s, 5m); 0 runs until Ctrl-C.")
    Duration duration;

    @Option(names = "--rate", defaultValue = "50", description = "Utterances per second (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--seed", defaultValue = "1", description = "Generator seed (default ${DEFAULT-VALUE}).")
    long seed;


    @CommandLine.Mixin
    ConfigOption configOption;

    @Option(names = "--bad-rate", defaultValue = "0.005", description = "Share of utterances with an invalid score, to show dead letters (default ${DEFAULT-VALUE}).")
    double badRate;

    @Option(names = "--apicurio-dir", description = "Unpacked Apicurio Registry; default: apicurio/ next to the jar (the build puts it there).")
    Path apicurioDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final PrintStream out = System.out;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private final AtomicBoolean stopping = new AtomicBoolean();

    @Override
    public Integer call() throws Exception {
        OptionChecks.of(spec).greaterThan("--rate", 0).within("--bad-rate", 0, true, 1, true);
        long durationMs = duration.toMillis();
        Path registryDir = apicurioDir != null ? apicurioDir : defaultApicurioDir();
        boolean terminal = System.console() != null;
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopping.set(true);
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return runDemo(registryDir, durationMs, terminal);
        } finally {
            closeAll();
            done.countDown();
            if (!stopping.get()) {
                Runtime.getRuntime().removeShutdownHook(hook);
            }
        }
    }

    /** The demo prints its own progress and numbers; the components' logs would drown them. */
    static void quietLogs() {
        for (String name : List.of("org.apache.kafka", "kafka", "io.latefuse")) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(name)).setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        // Retriable broker-side sequence checks (KAFKA-18202) and the per-record dead-letter log lines: the view counts them.
        for (String name : List.of("kafka.server.ReplicaManager", "org.apache.kafka.streams.errors")) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(name)).setLevel(ch.qos.logback.classic.Level.OFF);
        }
    }

    private int runDemo(Path registryDir, long durationMs, boolean terminal) throws Exception {
        quietLogs();
        Path work = Files.createTempDirectory("latefuse-demo");
        long t = System.nanoTime();
        out.println("Starting the schema registry (Apicurio Registry 2.6.13, child JVM)...");
        ApicurioRegistryProcess registry = ApicurioRegistryProcess.start(registryDir, work.resolve("apicurio.log"));
        toClose.push(registry);
        out.printf(Locale.ROOT, "  ready at %s in %.1f s (pid %d)%n", registry.url(), secondsSince(t), registry.pid());

        t = System.nanoTime();
        out.println("Starting Kafka (KRaft, single node, in this JVM)...");
        EmbeddedKafka kafka = startQuietly();
        toClose.push(kafka);
        out.printf(Locale.ROOT, "  ready at %s in %.1f s%n", kafka.bootstrapServers(), secondsSince(t));

        Map<String, String> env = new HashMap<>();
        env.put("LATEFUSE_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("LATEFUSE_SCHEMA_REGISTRY_URL", registry.url());
        env.put("LATEFUSE_APPLICATION_ID", "latefuse-demo-" + UUID.randomUUID().toString().substring(0, 8));
        ConfigOption.Loaded loaded = configOption.load("ddsd.yaml", env);
        PipelineConfig cfg = loaded.config();
        ScoreStream.requireDdsd(cfg, loaded.source());

        t = System.nanoTime();
        out.println("Creating topics and starting the fusion app on " + loaded.source() + "...");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            TopicPreflight.check(admin, cfg, true, Optional.of(3), Optional.of((short) 1));
        }
        FusionApp app = new FusionApp(cfg, Map.of(StreamsConfig.STATE_DIR_CONFIG, work.resolve("state").toString()),
                FusionTelemetry.noop());
        toClose.push(app);
        app.start();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (app.streams().state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline && !stopping.get()) {
            Thread.sleep(50);
        }
        out.printf(Locale.ROOT, "  running in %.1f s: %s -> %s, strategy %s, max.wait %s%n", secondsSince(t),
                cfg.inputTopics(), cfg.outputTopic(), cfg.strategy(), Durations.format(cfg.maxWait()));

        DemoView view = new DemoView(cfg.modalityNames());
        SchemaRegistry client = SchemaRegistry.connect(RegistryConfigs.of(cfg));
        toClose.push(client);
        Thread producer = new Thread(() -> produce(cfg, client, view), "demo-producer");
        Thread reader = new Thread(() -> read(cfg, client, view), "demo-reader");
        producer.setDaemon(true);
        reader.setDaemon(true);
        out.printf(Locale.ROOT, "Producing synthetic DDSD utterances at %.0f/s (seed %d)%s%n%n", rate, seed,
                durationMs > 0 ? " for " + Durations.format(duration) : "; Ctrl-C to stop");
        producer.start();
        reader.start();

        long end = durationMs > 0 ? System.currentTimeMillis() + durationMs : Long.MAX_VALUE;
        while (!stopping.get() && System.currentTimeMillis() < end) {
            Thread.sleep(Math.max(1, Math.min(1_000, end - System.currentTimeMillis())));
            view.render(out, terminal);
        }
        stopping.set(true);
        producer.join(10_000);
        reader.join(10_000);
        out.println();
        out.println("Final:");
        view.render(out, false);
        out.println("Shutting down...");
        return 0;
    }

    private void produce(PipelineConfig cfg, SchemaRegistry client, DemoView view) {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<String, ModalityScore> producer = new KafkaProducer<>(props, new StringSerializer(),
                new AvroSerializer<>(client, RegistryConfigs.of(cfg), false))) {
            ScoreStream.Result result = new ScoreStream(cfg, producer, cfg.maxWait().toMillis() + 200, badRate, seed)
                    .run(ScoreStream.synthetic(seed), 0, rate, stopping::get,
                            e -> view.label(e.id(), cfg.classes().get(e.label())));
            if (result.scores().failure() != null && !stopping.get()) {
                out.println("producer stopped: sending to topic " + result.scores().failure().topic() + " failed ("
                        + result.scores().failure().describe() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (!stopping.get()) {
                out.println("producer failed: " + e);
            }
        }
    }

    private void read(PipelineConfig cfg, SchemaRegistry client, DemoView view) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "latefuse-demo-view-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, FusedPrediction> predictions = new KafkaConsumer<>(props, new StringDeserializer(),
                AvroDeserializer.specific(FusedPrediction.class, client));
             KafkaConsumer<byte[], byte[]> deadLetters = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                     new ByteArrayDeserializer())) {
            predictions.subscribe(List.of(cfg.outputTopic()));
            deadLetters.subscribe(List.of(cfg.deadLetterTopic()));
            while (!stopping.get()) {
                for (ConsumerRecord<String, FusedPrediction> r : predictions.poll(Duration.ofMillis(100))) {
                    view.prediction(r.value());
                }
                deadLetters.poll(Duration.ZERO).forEach(r -> view.deadLetter());
            }
        } catch (RuntimeException e) {
            if (!stopping.get()) {
                out.println("reader failed: " + e);
            }
        }
    }

    private void closeAll() {
        // On a signal the JVM's own shutdown hooks (the broker kit's temp-dir cleanup among them) race the orderly
        // close below; their complaints are noise here.
        for (String name : List.of("org.apache.kafka", "kafka")) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(name)).setLevel(ch.qos.logback.classic.Level.OFF);
        }
        while (!toClose.isEmpty()) {
            AutoCloseable c = toClose.pop();
            long t = System.nanoTime();
            try {
                c.close();
            } catch (Exception e) {
                out.println("  closing " + c.getClass().getSimpleName() + " failed: " + e.getMessage());
            }
            if (c instanceof EmbeddedKafka || c instanceof ApicurioRegistryProcess || c instanceof FusionApp) {
                out.printf(Locale.ROOT, "  stopped %s in %.1f s%n", c.getClass().getSimpleName(), secondsSince(t));
            }
        }
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    /** Starts the embedded broker; its format step prints to stdout, which would garble the output. */
    static EmbeddedKafka startQuietly() throws Exception {
        PrintStream console = System.out;
        System.setOut(new PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            return EmbeddedKafka.start();
        } finally {
            System.setOut(console);
        }
    }

    static Path defaultApicurioDir() {
        try {
            Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path dir = (Files.isDirectory(jar) ? jar.getParent() : jar.getParent()).resolve("apicurio");
            if (Files.isDirectory(dir)) {
                return dir;
            }
        } catch (Exception ignored) {
            // fall through to the build directory
        }
        return Path.of("target", "apicurio");
    }
}
