package io.latefuse.streams;

import io.latefuse.config.Durations;
import io.latefuse.config.PipelineConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Before a command talks to Kafka: can a broker be reached at all? Otherwise the clients retry for a minute or
 * more and log a warning per attempt, and the user learns nothing. Asks for the cluster's nodes with the config's
 * client settings (security included) and gives up after {@code broker.connect.timeout}.
 */
public final class BrokerCheck {
    private static final Logger log = LoggerFactory.getLogger(BrokerCheck.class);

    /** No broker answered within the timeout; the command stops with exit code 3. */
    public static final class BrokerUnreachableException extends RuntimeException {
        public BrokerUnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private BrokerCheck() {}

    /** Returns once a broker has answered; throws {@link BrokerUnreachableException} naming the address otherwise. */
    public static void await(PipelineConfig config) {
        Duration timeout = config.brokerConnectTimeout();
        Properties props = StreamsProperties.of(config);
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms);
        long t = System.nanoTime();
        // Every failed connection attempt logs a warning; the outcome is said once, below.
        ch.qos.logback.classic.Logger network = org.slf4j.LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient")
                instanceof ch.qos.logback.classic.Logger l ? l : null;
        ch.qos.logback.classic.Level level = network == null ? null : network.getLevel();
        if (network != null) {
            network.setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        try (Admin admin = Admin.create(new org.apache.kafka.streams.StreamsConfig(props)
                .getAdminConfigs(config.applicationId() + "-broker-check"))) {
            int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(ms)).nodes()
                    .get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS).size();
            log.debug("Kafka at {}: {} broker(s) in {} ms", config.bootstrapServers(), nodes,
                    (System.nanoTime() - t) / 1_000_000);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof org.apache.kafka.common.errors.AuthenticationException) {
                // The broker answered and refused: a wrong password, mechanism or certificate. Kafka's message
                // names what failed and never the secret.
                throw new BrokerUnreachableException("Kafka at " + config.bootstrapServers() + " refused the connection's "
                        + "security: " + describe(cause) + ". Check the kafka: sasl.* and ssl.* settings (credentials, "
                        + "mechanism, truststore) and their LATEFUSE_KAFKA_* variables.", cause);
            }
            throw new BrokerUnreachableException("Cannot reach Kafka at " + config.bootstrapServers() + " within "
                    + Durations.format(timeout) + " (broker.connect.timeout): " + describe(cause)
                    + ". Check bootstrap.servers, the network, and the kafka: security settings.", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrokerUnreachableException("Interrupted while connecting to Kafka at " + config.bootstrapServers(), e);
        } finally {
            if (network != null) {
                network.setLevel(level);
            }
        }
    }

    private static String describe(Throwable cause) {
        String m = cause.getMessage();
        return cause.getClass().getSimpleName() + (m == null ? "" : " (" + m.lines().findFirst().orElse("") + ")");
    }
}
