package io.latefuse.cli;

import io.latefuse.testkit.Jars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two artifacts of the package phase. The runtime jar, which the Docker image carries, holds no broker test
 * kit, no test jars and no BouncyCastle, and its commands run from it alone; the tools jar adds demo and bench.
 * (run, produce and tail from the runtime jar are exercised on a real broker by RunCommandIT, ProduceTailIT and the
 * fault tests.)
 */
class ArtifactsIT {
    /** Entry prefixes that belong to the broker kit, test jars, BouncyCastle or the tools. */
    private static final List<String> NOT_IN_RUNTIME = List.of(
            "kafka/server/", "kafka/cluster/", "kafka/log/", "scala/", "org/bouncycastle/", "org/apache/kafka/common/test/",
            "org/apache/kafka/test/", "org/apache/kafka/raft/", "org/apache/kafka/metadata/", "org/apache/kafka/storage/",
            "org/apache/kafka/coordinator/", "org/apache/kafka/server/util/", "org/junit/", "org/apache/logging/log4j/",
            "io/latefuse/tools/", "io/latefuse/bench/", "io/latefuse/embedded/", "io/fabric8/", "tools/jackson/",
            "org/apache/flink/", "io/latefuse/flink/", "org/rocksdb/FlinkCompactionFilter");
    /**
     * Test-only libraries (the Kubernetes manifests' model, KubernetesManifestsTest), and Flink with its Kafka
     * connector and the bench's job (latefuse-flink.jar alone), in neither artifact.
     */
    private static final List<String> TEST_ONLY = List.of("io/fabric8/", "tools/jackson/", "org/apache/flink/",
            "io/latefuse/flink/", "org/rocksdb/FlinkCompactionFilter");

    @Test
    void theRuntimeJarHoldsNoBrokerKitNoTestJarsAndNoTools() throws Exception {
        try (JarFile jar = new JarFile(Jars.RUNTIME.toFile())) {
            List<String> leaked = jar.stream().map(e -> e.getName())
                    .filter(n -> NOT_IN_RUNTIME.stream().anyMatch(n::startsWith)).limit(20).toList();
            assertThat(leaked).as("test-kit or tools entries in latefuse.jar").isEmpty();
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.latefuse.cli.Main");
            // what it does ship: the clients, Streams, the scorer's and the head's runtime
            assertThat(jar.getEntry("org/apache/kafka/streams/KafkaStreams.class")).isNotNull();
            assertThat(jar.getEntry("ai/onnxruntime/OrtEnvironment.class")).isNotNull();
            assertThat(jar.getEntry("org/rocksdb/RocksDB.class")).isNotNull();
            // the clients' own version file, not the broker kit's older test jar's
            assertThat(new String(jar.getInputStream(jar.getEntry("kafka/kafka-version.properties")).readAllBytes()))
                    .contains("version=4.4.0");
        }
    }

    /**
     * latefuse-flink.jar: the bench's Flink job with Flink and its connector, and the connector's own kafka-clients
     * (4.2.0, on the manifest's Class-Path, beside it in latefuse-flink-lib/), not latefuse's 4.4.0, whose producer
     * internals its transactional sink cannot call; no Kafka Streams, and it answers --help from the jar alone.
     */
    @Test
    void theFlinkJarCarriesFlinkAndTheConnectorsKafkaClients() throws Exception {
        Path flink = Path.of("target", "latefuse-flink.jar");
        try (JarFile jar = new JarFile(flink.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.latefuse.flink.FlinkFusionJob");
            assertThat(jar.getEntry("io/latefuse/flink/ScoreJoin.class")).isNotNull();
            assertThat(jar.getEntry("io/latefuse/fusion/EventFusion.class")).isNotNull();
            assertThat(jar.getEntry("org/apache/flink/connector/kafka/sink/KafkaSink.class")).isNotNull();
            assertThat(jar.getEntry("org/apache/kafka/clients/producer/KafkaProducer.class")).as("kafka-clients 4.4.0").isNull();
            assertThat(jar.getEntry("org/apache/kafka/streams/KafkaStreams.class")).isNull();
            String classPath = jar.getManifest().getMainAttributes().getValue("Class-Path");
            assertThat(classPath).matches("latefuse-flink-lib/kafka-clients-4\\.2\\.\\d+\\.jar");
            assertThat(flink.resolveSibling(classPath)).isRegularFile();
        }
        Jars.Result help = Jars.run(flink, Map.of(), 60, "--help");
        assertThat(help.exitCode()).as(help.printed()).isZero();
        assertThat(help.stdout()).contains("--checkpoint-interval-ms");
    }

    @Test
    void theToolsJarAddsTheEmbeddedBrokerAndTheTools() throws Exception {
        try (JarFile jar = new JarFile(Jars.TOOLS.toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("io.latefuse.tools.ToolsMain");
            assertThat(jar.getEntry("io/latefuse/embedded/EmbeddedKafka.class")).isNotNull();
            assertThat(jar.getEntry("org/apache/kafka/common/test/KafkaClusterTestKit.class")).isNotNull();
            assertThat(jar.getEntry("io/latefuse/cli/RunCommand.class")).isNotNull();
            assertThat(jar.stream().map(e -> e.getName()).filter(n -> TEST_ONLY.stream().anyMatch(n::startsWith))
                    .limit(20).toList()).as("test-only libraries in latefuse-tools.jar").isEmpty();
        }
        Jars.Result help = Jars.run(Jars.TOOLS, Map.of(), 60, "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.stdout()).contains("demo").contains("bench").contains("run").contains("score");
    }

    @Test
    void theRuntimeJarSaysWhereDemoIs() throws Exception {
        Jars.Result demo = Jars.run(Jars.RUNTIME, Map.of(), 60, "demo");
        assertThat(demo.exitCode()).isEqualTo(2);
        assertThat(demo.stderr()).contains("java -jar target/latefuse-tools.jar demo");
    }

    @Test
    void generateRunsOutsideTheRepositoryAndABadDataFileIsOneLine(@TempDir Path dir) throws Exception {
        // No config/ here and no --config: generate takes the example config the jar carries.
        Jars.Result generated = Jars.runIn(dir, Jars.RUNTIME, Map.of(), 60, "generate", "ddsd", "--events", "50",
                "--out", "s.avro");
        assertThat(generated.exitCode()).as(generated.printed()).isZero();
        assertThat(dir.resolve("s.avro")).isNotEmptyFile();

        Jars.Result train = Jars.runIn(dir, Jars.RUNTIME, Map.of("LATEFUSE_CONFIG", Path.of("config/ddsd.yaml")
                .toAbsolutePath().toString()), 60, "train", "--data", "scores.csv", "--out", "head.onnx");
        assertThat(train.exitCode()).isEqualTo(2);
        assertThat(train.stderr().strip()).isEqualTo(
                "latefuse train: scores.csv: no such file; write one with: latefuse generate ddsd --out scores.csv");
    }

    @Test
    void generateTrainAndEvaluateRunFromTheRuntimeJar(@TempDir Path dir) throws Exception {
        // The offline commands need ONNX Runtime, the ONNX protobuf classes and Jackson, and nothing of the kit.
        Map<String, String> env = Map.of("LATEFUSE_CONFIG", "config/ddsd.yaml");
        Path data = dir.resolve("scores.csv");
        Path head = dir.resolve("head.onnx");
        Path report = dir.resolve("report");
        for (String[] args : List.of(
                new String[] {"generate", "ddsd", "--seed", "2", "--events", "600", "--out", data.toString()},
                new String[] {"train", "--data", data.toString(), "--epochs", "60", "--out", head.toString()},
                new String[] {"evaluate", "--data", data.toString(), "--head", head.toString(), "--report", report.toString()})) {
            Jars.Result r = Jars.run(Jars.RUNTIME, env, 180, args);
            assertThat(r.exitCode()).as(String.join(" ", args) + "\n" + r.printed()).isZero();
        }
        assertThat(head).isNotEmptyFile();
        List<String> strategies = new java.util.ArrayList<>();
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(report.resolve("results.json").toFile()).path("rows")
                .forEach(row -> strategies.add(row.path("strategy").asText()));
        assertThat(strategies).contains("head", "log_odds");
        assertThat(report.resolve("report.html")).isNotEmptyFile();
    }
}
