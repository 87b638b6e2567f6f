package io.latefuse.faults;

import io.latefuse.fusion.OnnxGraphs;
import io.latefuse.testkit.AppProcess;
import io.latefuse.testkit.Jars;
import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import io.latefuse.testkit.SecuredKafka;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * latefuse on a secured cluster, as production runs it: the broker listens on SASL_SSL with SCRAM-SHA-512, and
 * {@code run}, {@code score}, {@code produce} and {@code tail}, each from the runtime jar in its own JVM, are
 * configured only through the config file's {@code kafka:} map (what is not secret) and the {@code LATEFUSE_KAFKA_*}
 * environment (the secrets). A wrong password and an untrusted certificate stop a command with one clear line and
 * exit code 3, well within the client's timeouts; no secret is ever printed.
 */
@ExtendWith(RealKafka.class)
class SecuredClusterIT {
    /** Unique, so that a grep of every log for it finds nothing else. */
    private static final String PASSWORD = "scram-" + UUID.randomUUID();
    private static Path dir;
    private static SecuredKafka kafka;

    @BeforeAll
    static void startTheSecuredBroker() throws Exception {
        dir = Files.createTempDirectory("latefuse-secured");
        kafka = SecuredKafka.start(dir.resolve("tls"), PASSWORD);
        kafka.grantAll(SecuredKafka.USER);
    }

    @AfterAll
    static void stopIt() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    /** The config file: every non-secret key, the security ones in its kafka: map. */
    private static Path config(KafkaEnvironment env, String prefix, Path truststore, String truststoreType) throws Exception {
        return Files.writeString(dir.resolve(prefix + "yaml"), """
                application.id: secured-%s
                bootstrap.servers: %s
                schema.registry.url: %s
                topic.prefix: %s
                classes: ["yes", "no"]
                modalities: [{name: a}]
                max.wait: 2s
                store.type: memory
                broker.connect.timeout: 20s
                kafka:
                  security.protocol: SASL_SSL
                  sasl.mechanism: SCRAM-SHA-512
                  ssl.truststore.location: %s
                  ssl.truststore.type: %s
                """.formatted(UUID.randomUUID().toString().substring(0, 8), kafka.bootstrapServers(), env.registryUrl(),
                prefix, truststore, truststoreType));
    }

    /** The secrets, as a deployment injects them. */
    private static Map<String, String> secrets(String password, String truststorePassword) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LATEFUSE_KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + SecuredKafka.USER + "\" password=\"" + password + "\";");
        env.put("LATEFUSE_KAFKA_SSL_TRUSTSTORE_PASSWORD", truststorePassword);
        return env;
    }

    private static void assertNoSecretIn(String what, String text) {
        assertThat(text).as(what + " must not print the SCRAM password").doesNotContain(PASSWORD)
                .as(what + " must not print the truststore password").doesNotContain(kafka.truststorePassword());
    }

    @Test
    void runScoreProduceAndTailWorkOnSaslSslConfiguredByTheKafkaMapAndTheEnvironment(KafkaEnvironment env) throws Exception {
        String prefix = "sec" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path config = config(env, prefix, kafka.truststore(), kafka.truststoreType());
        Map<String, String> secrets = secrets(PASSWORD, kafka.truststorePassword());
        // Modality a's scorer: class "yes" when the first feature is larger.
        Path model = dir.resolve(prefix + "a.onnx");
        OnnxGraphs.write(OnnxGraphs.softmaxRegression("x", "p", new float[][] {{4f, -4f}, {-4f, 4f}}, new float[2]), model);
        Path runLog = dir.resolve(prefix + "run.log");
        Path scoreLog = dir.resolve(prefix + "score.log");
        List<String> printed = new ArrayList<>();
        try (AppProcess run = AppProcess.start(List.of("run", "--config", config.toString(), "--create-topics",
                "--partitions", "2", "--replication-factor", "1"), secrets, runLog);
             AppProcess score = AppProcess.start(List.of("score", "--config", config.toString(), "--modality", "a",
                     "--model", model.toString(), "--create-topics"), secrets, scoreLog)) {
            run.awaitRunning();
            score.awaitRunning();
            // Five events through the features topic, the scorer, the fusion app and the output topic.
            Path features = Files.writeString(dir.resolve(prefix + "features.csv"), """
                    event_id,modality,features...
                    s1,a,1.0,0.0
                    s2,a,0.0,1.0
                    s3,a,0.9,0.1
                    s4,a,0.2,0.8
                    s5,a,0.7,0.3
                    """);
            Jars.Result produced = Jars.run(Jars.RUNTIME, secrets, 120, "produce", "--config", config.toString(),
                    "--features", features.toString(), "--rate", "50");
            printed.add(produced.printed());
            assertThat(produced.exitCode()).as(produced.printed()).isZero();
            assertThat(produced.stdout()).contains("Produced 5 features for 5 events");

            Jars.Result tail = Jars.run(Jars.RUNTIME, secrets, 120, "tail", "--config", config.toString(),
                    "--from-beginning", "--max", "5");
            printed.add(tail.printed());
            assertThat(tail.exitCode()).as(tail.printed()).isZero();
            List<String> rows = tail.stdout().lines().sorted().toList();
            assertThat(rows).hasSize(5);
            assertThat(rows.get(0)).startsWith("s1 yes").contains("COMPLETE");
            assertThat(rows.get(1)).startsWith("s2 no");
            assertThat(rows.get(4)).startsWith("s5 yes");
        }
        printed.add(Files.readString(runLog));
        printed.add(Files.readString(scoreLog));
        for (String p : printed) {
            assertNoSecretIn("a command's output or log", p);
        }
        // The fusion app did log its client configs (Kafka prints them at INFO): the JAAS line shows as hidden.
        assertThat(Files.readString(runLog)).contains("-> RUNNING");
    }

    @Test
    void aWrongPasswordOrAnUntrustedCertificateStopsTheCommandWithOneClearLine(KafkaEnvironment env) throws Exception {
        String prefix = "bad" + UUID.randomUUID().toString().substring(0, 6) + ".";
        Path good = config(env, prefix, kafka.truststore(), kafka.truststoreType());

        long t = System.nanoTime();
        Jars.Result wrong = Jars.run(Jars.RUNTIME, secrets("not-" + PASSWORD.substring(4), kafka.truststorePassword()), 120,
                "tail", "--config", good.toString(), "--max", "1");
        double seconds = (System.nanoTime() - t) / 1e9;
        assertThat(wrong.exitCode()).as(wrong.printed()).isEqualTo(3);
        assertThat(wrong.stderr()).contains("latefuse tail: ").contains("Authentication failed")
                .contains(kafka.bootstrapServers());
        assertThat(seconds).as("fails at once, not after broker.connect.timeout").isLessThan(20);
        assertNoSecretIn("tail with a wrong password", wrong.printed());

        // A truststore that trusts another certificate: the broker's is not signed by anything it knows.
        Path otherStore = dir.resolve(prefix + "other.p12");
        SecuredKafka.Certificates.selfSigned(dir.resolve(prefix + "other"), "localhost", dir.resolve(prefix + "other-key.p12"),
                otherStore, SecuredKafka.STORE_PASSWORD);
        Path untrusted = config(env, prefix + "u.", otherStore, "PKCS12");
        Path features = Files.writeString(dir.resolve(prefix + "features.csv"), "event_id,modality,features...\nx1,a,1,0\n");
        Jars.Result handshake = Jars.run(Jars.RUNTIME, secrets(PASSWORD, SecuredKafka.STORE_PASSWORD), 120,
                "produce", "--config", untrusted.toString(), "--features", features.toString());
        assertThat(handshake.exitCode()).as(handshake.printed()).isEqualTo(3);
        assertThat(handshake.stderr()).contains("latefuse produce: ").contains("SSL handshake failed");
        assertNoSecretIn("produce with an untrusted certificate", handshake.printed());
    }
}
