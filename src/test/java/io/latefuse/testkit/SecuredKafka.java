package io.latefuse.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node KRaft broker whose client listener is SASL_SSL, as production clusters are. Kafka's own test kit
 * makes the TLS certificate for the test (BouncyCastle, in test scope) and authenticates the broker to itself with
 * PLAIN; this adds SCRAM-SHA-512 to the listener and creates latefuse's SCRAM user once the broker is up.
 */
public final class SecuredKafka implements AutoCloseable {
    /** The SCRAM user latefuse connects as. */
    public static final String USER = "latefuse";
    /** The password of the truststores {@link Certificates} makes. */
    public static final String STORE_PASSWORD = "store-secret-4711";

    private final KafkaClusterTestKit cluster;
    private final Path truststore;
    private final String truststoreType;
    private final String truststorePassword;
    private final String password;
    /** The kit's own admin: PLAIN, a super user. */
    private final Map<String, Object> asAdmin = new LinkedHashMap<>();

    private SecuredKafka(KafkaClusterTestKit cluster, Path truststore, String password, String truststoreType,
                         String truststorePassword) {
        this.cluster = cluster;
        this.truststore = truststore;
        this.password = password;
        this.truststoreType = truststoreType;
        this.truststorePassword = truststorePassword;
    }

    private static String passwordOf(Object p) {
        return p instanceof org.apache.kafka.common.config.types.Password pw ? pw.value() : String.valueOf(p);
    }

    public String truststoreType() {
        return truststoreType;
    }

    public String truststorePassword() {
        return truststorePassword;
    }

    /** @param password the SCRAM password of {@link #USER} */
    public static SecuredKafka start(Path dir, String password) throws Exception {
        KafkaClusterTestKit kit = io.latefuse.embedded.EmbeddedKafka.singleNode(new TestKitNodes.Builder()
                .setBrokerSecurityProtocol(SecurityProtocol.SASL_SSL)
                // The kit turns on its authorizer with SASL; the broker must then reach its controller as the kit's
                // admin too.
                .setControllerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT))
                .setConfigProp("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512")
                .build();
        try {
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
            // The client side of the kit's TLS: its truststore, copied where the commands can read it.
            Map<String, Object> ssl = kit.sslManager().createClientSslConfig();
            Files.createDirectories(dir);
            Path truststore = dir.resolve("truststore." + String.valueOf(ssl.get("ssl.truststore.type")).toLowerCase());
            Files.copy(Path.of(String.valueOf(ssl.get("ssl.truststore.location"))), truststore);
            SecuredKafka kafka = new SecuredKafka(kit, truststore, password,
                    String.valueOf(ssl.get("ssl.truststore.type")), passwordOf(ssl.get("ssl.truststore.password")));
            Map<String, Object> asAdmin = new LinkedHashMap<>(ssl);
            asAdmin.put("bootstrap.servers", kit.bootstrapServers());
            asAdmin.put("security.protocol", "SASL_SSL");
            asAdmin.put("sasl.mechanism", "PLAIN");
            asAdmin.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                    + org.apache.kafka.common.test.JaasUtils.KAFKA_PLAIN_ADMIN + "\" password=\""
                    + org.apache.kafka.common.test.JaasUtils.KAFKA_PLAIN_ADMIN_PASSWORD + "\";");
            kafka.asAdmin.putAll(asAdmin);
            try (Admin admin = Admin.create(asAdmin)) {
                admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(USER,
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get(30, TimeUnit.SECONDS);
            }
            kafka.awaitLogin();
            return kafka;
        } catch (Exception e) {
            kit.close();
            throw e;
        }
    }

    /**
     * Lets {@code user} do what latefuse does: read and write every topic, join any group, use transactions
     * (exactly-once) and describe the cluster. The kit runs Kafka's StandardAuthorizer, so nothing else is allowed.
     */
    public void grantAll(String user) throws Exception {
        org.apache.kafka.common.acl.AccessControlEntry allow = new org.apache.kafka.common.acl.AccessControlEntry(
                "User:" + user, "*", org.apache.kafka.common.acl.AclOperation.ALL, org.apache.kafka.common.acl.AclPermissionType.ALLOW);
        List<org.apache.kafka.common.acl.AclBinding> acls = new ArrayList<>();
        for (org.apache.kafka.common.resource.ResourceType type : List.of(org.apache.kafka.common.resource.ResourceType.TOPIC,
                org.apache.kafka.common.resource.ResourceType.GROUP, org.apache.kafka.common.resource.ResourceType.TRANSACTIONAL_ID)) {
            acls.add(new org.apache.kafka.common.acl.AclBinding(new org.apache.kafka.common.resource.ResourcePattern(type, "*",
                    org.apache.kafka.common.resource.PatternType.LITERAL), allow));
        }
        acls.add(new org.apache.kafka.common.acl.AclBinding(new org.apache.kafka.common.resource.ResourcePattern(
                org.apache.kafka.common.resource.ResourceType.CLUSTER, "kafka-cluster",
                org.apache.kafka.common.resource.PatternType.LITERAL), allow));
        try (Admin admin = Admin.create(asAdmin)) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Waits until {@link #USER} can log in: the controller has the credential when the call returns, the broker only
     * once it has applied that metadata, and a client that connects before is disconnected until then.
     */
    private void awaitLogin() throws Exception {
        Map<String, Object> p = new LinkedHashMap<>(clientProperties());
        p.put("bootstrap.servers", bootstrapServers());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Admin admin = Admin.create(p)) {
                admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions().timeoutMs(3_000))
                        .nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(USER + " could not log in to the secured broker within 60 s", e);
                }
            }
        }
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    public Path truststore() {
        return truststore;
    }

    /** The client properties for {@code user} and {@code password}, as a config's {@code kafka:} map holds them. */
    public Map<String, String> clientProperties(String user, String password, Path truststore) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";");
        boolean ours = truststore.equals(this.truststore);
        p.put("ssl.truststore.location", truststore.toString());
        p.put("ssl.truststore.password", ours ? truststorePassword : STORE_PASSWORD);
        p.put("ssl.truststore.type", ours ? truststoreType : "PKCS12");
        return p;
    }

    /** {@link #USER}'s own properties. */
    public Map<String, String> clientProperties() {
        return clientProperties(USER, password, truststore);
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }

    /** Certificates made with the JDK's own keytool. */
    public static final class Certificates {
        private Certificates() {}

        /**
         * A self-signed key pair for {@code host} (and 127.0.0.1) in a PKCS12 {@code keystore}, and its certificate
         * alone in a PKCS12 {@code truststore}, both under {@code password}.
         */
        public static void selfSigned(Path dir, String host, Path keystore, Path truststore, String password) throws Exception {
            Files.createDirectories(dir);
            Path cert = dir.resolve(host + ".crt");
            keytool("-genkeypair", "-alias", host, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                    "-dname", "CN=" + host, "-ext", "SAN=dns:" + host + ",ip:127.0.0.1", "-storetype", "PKCS12",
                    "-keystore", keystore.toString(), "-storepass", password, "-keypass", password);
            keytool("-exportcert", "-alias", host, "-keystore", keystore.toString(), "-storepass", password,
                    "-file", cert.toString());
            keytool("-importcert", "-noprompt", "-alias", host, "-file", cert.toString(), "-storetype", "PKCS12",
                    "-keystore", truststore.toString(), "-storepass", password);
        }

        private static void keytool(String... args) throws Exception {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool " + args[0] + " failed: " + out);
            }
        }
    }
}
