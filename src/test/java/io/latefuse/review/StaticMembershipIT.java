package io.latefuse.review;

import io.latefuse.config.PipelineConfig;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import io.latefuse.testkit.EmbeddedKafkaAndRegistry;
import io.latefuse.testkit.RealKafka;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Review of issue 28 (instance.id): static membership as latefuse configures it (StreamsProperties.of,
 * StreamsLifecycle.install, StreamsLifecycle.close), on a real broker, with a minimal topology.
 */
@ExtendWith(RealKafka.class)
class StaticMembershipIT {
    private static final String BODY = """
            classes: [a, b]
            modalities: [{name: x}, {name: y}]
            """;

    /** One Kafka Streams instance the way latefuse runs one, recording what it processes. */
    static final class Instance implements AutoCloseable {
        final KafkaStreams streams;
        final PipelineConfig cfg;
        final AtomicInteger rebalances = new AtomicInteger();
        final List<String> processed = new CopyOnWriteArrayList<>();
        final AtomicLong lastProcessedAt = new AtomicLong();
        final AtomicBoolean failOnce;

        Instance(PipelineConfig cfg, String input, AtomicBoolean failOnce) {
            this.cfg = cfg;
            this.failOnce = failOnce;
            StreamsBuilder b = new StreamsBuilder();
            b.stream(input, Consumed.with(Serdes.String(), Serdes.String())).foreach((k, v) -> {
                if (v.equals("boom") && failOnce.compareAndSet(true, false)) {
                    throw new io.latefuse.streams.NotTheRecordsFault("review: one failure, to replace the thread", null);
                }
                processed.add(v);
                lastProcessedAt.set(System.currentTimeMillis());
            });
            Properties p = StreamsProperties.of(cfg);
            streams = new KafkaStreams(b.build(), p);
            StreamsLifecycle.install(streams, "review", cfg, () -> { });
            streams.setStateListener((now, before) -> {
                if (now == KafkaStreams.State.REBALANCING && before == KafkaStreams.State.RUNNING) {
                    rebalances.incrementAndGet();
                }
            });
            streams.start();
        }

        void awaitRunning() {
            await().atMost(Duration.ofSeconds(90)).until(() -> streams.state() == KafkaStreams.State.RUNNING);
        }

        @Override
        public void close() {
            StreamsLifecycle.close(streams, cfg);
        }
    }

    private static PipelineConfig cfg(EmbeddedKafkaAndRegistry env, String appId, String instanceId, Path state) {
        String body = BODY + (instanceId == null ? "" : "instance.id: " + instanceId + "\n")
                + "kafka: {state.dir: " + state + "}\n";
        // the same application id for every instance of one scenario
        return io.latefuse.config.PipelineConfigLoader.parse("application.id: " + appId + "\nbootstrap.servers: "
                + env.bootstrapServers() + "\nschema.registry.url: " + env.registryUrl() + "\ntopic.prefix: static.\n"
                + body, "review", Map.of());
    }

    private static KafkaProducer<String, String> producer(EmbeddedKafkaAndRegistry env) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new StringSerializer());
    }

    private static List<Optional<String>> members(EmbeddedKafkaAndRegistry env, String group) throws Exception {
        try (Admin admin = env.admin()) {
            return admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group).members()
                    .stream().map(MemberDescription::groupInstanceId).sorted((x, y) -> x.orElse("").compareTo(y.orElse("")))
                    .toList();
        }
    }

    /**
     * A stream thread of static member pod-a fails once. Replaced (REPLACE_THREAD), it would be numbered 2 and the
     * member would become pod-a-2, so that every later restart, as pod-a-1, came back as a member the group does not
     * know and rebalanced (the review's finding). A static member stops instead, and its restart under the same ids
     * within the session timeout takes its partitions back without a rebalance.
     */
    @Test
    void aStaticMemberWhoseThreadFailedStopsAndItsRestartTakesItsPartitionsBackWithoutARebalance(EmbeddedKafkaAndRegistry env,
                                                                                      @TempDir Path dir) throws Exception {
        String input = env.createTopic("static-replace", 4);
        String appId = io.latefuse.testkit.KafkaEnvironment.freshAppId("replace");
        PipelineConfig a = cfg(env, appId, "pod-a", dir.resolve("a"));
        PipelineConfig b = cfg(env, appId, "pod-b", dir.resolve("b"));
        AtomicBoolean failOnce = new AtomicBoolean(true);
        try (Instance bi = new Instance(b, input, new AtomicBoolean(false));
             KafkaProducer<String, String> p = producer(env)) {
            Instance ai = new Instance(a, input, failOnce);
            ai.awaitRunning();
            bi.awaitRunning();
            await().atMost(Duration.ofSeconds(60)).until(() -> members(env, appId).size() == 2
                    && ai.streams.state() == KafkaStreams.State.RUNNING && bi.streams.state() == KafkaStreams.State.RUNNING);
            // One record per partition until a's thread has failed on one of its own
            for (int k = 0; failOnce.get() && k < 200; k++) {
                p.send(new ProducerRecord<>(input, "k" + k, "boom")).get();
                Thread.sleep(20);
            }
            assertThat(failOnce.get()).as("a's thread failed once").isFalse();
            // A static member stops rather than replace the thread (a replacement would join as pod-a-2): the
            // client goes to ERROR, the process exits 1, and its orchestrator restarts it under the same ids.
            await().atMost(Duration.ofSeconds(60)).until(() -> ai.streams.state() == KafkaStreams.State.ERROR);
            assertThat(new io.latefuse.metrics.Liveness(ai.streams, Duration.ofMinutes(5)).check().alive())
                    .as("liveness of a client in ERROR").isFalse();
            int before = bi.rebalances.get();

            ai.close(); // the process exits
            Thread.sleep(2_000);
            long restartedAt = System.currentTimeMillis();
            Instance again = new Instance(a, input, new AtomicBoolean(false));
            try {
                again.awaitRunning();
                long took = System.currentTimeMillis() - restartedAt;
                Thread.sleep(3_000);
                System.err.println("review: restarted a RUNNING after " + took + " ms; b rebalanced "
                        + (bi.rebalances.get() - before) + " times; members " + members(env, appId));
                assertThat(bi.rebalances.get()).as("b rebalanced when a restarted within the session timeout, "
                        + "after one of a's threads had failed").isEqualTo(before);
                assertThat(took).as("ms until the restarted a is RUNNING").isLessThan(15_000);
            } finally {
                again.close();
            }
        }
    }

    /** The fusion app itself (RocksDB, exactly-once, a standby), two pods, one restarted within the session. */
    @Test
    void theFusionAppRestartedWithinTheSessionTimeoutCausesNoRebalance(EmbeddedKafkaAndRegistry env, @TempDir Path dir)
            throws Exception {
        String prefix = "fstatic" + java.util.UUID.randomUUID().toString().substring(0, 6) + ".";
        String yaml = env.ddsdYaml("fstatic", prefix).replace("standby.replicas: 0", "standby.replicas: 1");
        java.util.function.BiFunction<String, String, PipelineConfig> cfgOf = (id, state) ->
                io.latefuse.config.PipelineConfigLoader.parse(yaml.replace("kafka: {}", "kafka: {state.dir: "
                        + dir.resolve(state) + "}") + "\ninstance.id: " + id + "\n", "review", Map.of());
        PipelineConfig a = cfgOf.apply("pod-a", "a");
        PipelineConfig b = cfgOf.apply("pod-b", "b");
        try (Admin admin = env.admin()) {
            io.latefuse.streams.TopicPreflight.check(admin, a, true, Optional.of(4), Optional.of((short) 1));
        }
        AtomicInteger bRebalances = new AtomicInteger();
        io.latefuse.topology.FusionApp bi = new io.latefuse.topology.FusionApp(b, Map.of());
        bi.streams().setStateListener((now, before) -> {
            if (now == KafkaStreams.State.REBALANCING && before == KafkaStreams.State.RUNNING) {
                bRebalances.incrementAndGet();
            }
        });
        try (bi) {
            io.latefuse.topology.FusionApp ai = new io.latefuse.topology.FusionApp(a, Map.of());
            ai.start();
            bi.start();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() ->
                    members(env, a.applicationId()).size() == 2 && ai.streams().state() == KafkaStreams.State.RUNNING
                            && bi.streams().state() == KafkaStreams.State.RUNNING);
            // Work for both, committed: a restarted pod has offsets and checkpoints, as in production
            io.latefuse.registry.RegistryConfig rc = io.latefuse.registry.RegistryConfig.of(env.registryUrl());
            try (KafkaProducer<String, io.latefuse.avro.ModalityScore> p = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrapServers()), new StringSerializer(),
                    new io.latefuse.registry.AvroSerializer<>(io.latefuse.registry.SchemaRegistry.connect(rc), rc, false))) {
                for (int e = 0; e < 400; e++) {
                    String id = "ev-" + e;
                    p.send(new ProducerRecord<>(prefix + "scores.acoustic", id, io.latefuse.avro.ModalityScore.newBuilder()
                            .setEventId(id).setModality("acoustic").setModel("a").setModelVersion("1")
                            .setScores(List.of(0.6f, 0.4f)).setScoreType(io.latefuse.avro.ScoreType.PROBABILITY)
                            .setEventTime(java.time.Instant.now()).build()));
                }
            }
            Thread.sleep(8_000);
            int before = bRebalances.get();
            ai.close();
            Thread.sleep(2_000);
            long restartedAt = System.currentTimeMillis();
            io.latefuse.topology.FusionApp again = new io.latefuse.topology.FusionApp(a, Map.of());
            try (again) {
                again.start();
                await().atMost(Duration.ofSeconds(90)).until(() -> again.streams().state() == KafkaStreams.State.RUNNING);
                long took = System.currentTimeMillis() - restartedAt;
                Thread.sleep(8_000);
                System.err.println("review: fusion app a RUNNING " + took + " ms after its restart; b rebalanced "
                        + (bRebalances.get() - before) + " times; members " + members(env, a.applicationId()));
                assertThat(bRebalances.get()).as("b rebalanced when a restarted").isEqualTo(before);
                assertThat(took).isLessThan(15_000);
            }
        }
    }

    @Test
    void aStaticMemberRestartedWithinTheSessionTimeoutCausesNoRebalanceAndOneThatNeverComesBackIsReplaced(
            EmbeddedKafkaAndRegistry env, @TempDir Path dir) throws Exception {
        String input = env.createTopic("static-restart", 4);
        String appId = io.latefuse.testkit.KafkaEnvironment.freshAppId("restart");
        PipelineConfig a = cfg(env, appId, "pod-a", dir.resolve("a"));
        PipelineConfig b = cfg(env, appId, "pod-b", dir.resolve("b"));
        try (Instance bi = new Instance(b, input, new AtomicBoolean(false))) {
            Instance ai = new Instance(a, input, new AtomicBoolean(false));
            ai.awaitRunning();
            bi.awaitRunning();
            await().atMost(Duration.ofSeconds(60)).until(() -> members(env, appId).size() == 2
                    && ai.streams.state() == KafkaStreams.State.RUNNING && bi.streams.state() == KafkaStreams.State.RUNNING);
            Thread.sleep(3_000);
            int before = bi.rebalances.get();
            var aTasks = ai.streams.metadataForLocalThreads().iterator().next().activeTasks();
            System.err.println("review: a's tasks " + aTasks + ", members " + members(env, appId));
            ai.close(); // SIGTERM: a static member stays in the group
            Thread.sleep(5_000);
            assertThat(bi.rebalances.get()).as("b rebalanced when a closed (a clean close of a static member)")
                    .isEqualTo(before);
            Instance again = new Instance(a, input, new AtomicBoolean(false));
            try {
                again.awaitRunning();
                Thread.sleep(5_000);
                System.err.println("review: restarted a's tasks " + again.streams.metadataForLocalThreads().iterator()
                        .next().activeTasks() + ", b rebalances " + (bi.rebalances.get() - before));
                assertThat(bi.rebalances.get()).as("b rebalanced when a came back within the session timeout")
                        .isEqualTo(before);
                assertThat(again.streams.metadataForLocalThreads().iterator().next().activeTasks())
                        .as("a took back its own tasks").isEqualTo(aTasks);
            } finally {
                again.close();
            }
            // Never comes back: b takes everything after the session timeout (30 s), not before ~25 s
            long closedAt = System.currentTimeMillis();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    bi.streams.state() == KafkaStreams.State.RUNNING
                            && bi.streams.metadataForLocalThreads().iterator().next().activeTasks().size() == 4);
            long took = System.currentTimeMillis() - closedAt;
            System.err.println("review: b took over a's partitions " + took + " ms after a closed for good");
            assertThat(took).as("takeover after the session timeout").isBetween(20_000L, 50_000L);
        }
    }
}
