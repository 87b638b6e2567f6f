package io.latefuse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The compose file's structure; CI also runs `docker-compose config` on it where it can install docker-compose. */
class ComposeFileTest {

    @Test
    void theStackHasItsServicesHealthchecksOrderingAndDashboard() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(Path.of("docker-compose.yml")));
        JsonNode s = compose.path("services");
        assertThat(s.path("kafka").path("image").asText()).startsWith("apache/kafka:");
        assertThat(s.path("schema-registry").path("image").asText()).startsWith("confluentinc/cp-schema-registry:");
        for (String name : new String[] {"kafka", "schema-registry", "latefuse"}) {
            assertThat(s.path(name).path("healthcheck").path("test").isArray()).as(name + " healthcheck").isTrue();
        }
        assertThat(s.path("schema-registry").path("depends_on").path("kafka").path("condition").asText()).isEqualTo("service_healthy");
        assertThat(s.path("latefuse").path("depends_on").path("schema-registry").path("condition").asText()).isEqualTo("service_healthy");
        assertThat(s.path("latefuse").path("build").asText()).isEqualTo(".");
        assertThat(s.path("latefuse").path("command").toString()).contains("run", "/config/ddsd.yaml", "--create-topics");
        assertThat(s.path("producer").path("command").toString()).contains("produce", "--synthetic", "ddsd");
        assertThat(s.path("producer").path("depends_on").path("latefuse").path("condition").asText()).isEqualTo("service_healthy");
        // Prometheus scrapes the app; Grafana is provisioned with it and with the dashboard the repository ships.
        assertThat(s.path("prometheus").path("volumes").toString()).contains("./docker/prometheus.yml:/etc/prometheus/prometheus.yml");
        assertThat(Files.readString(Path.of("docker/prometheus.yml"))).contains("latefuse:9404").contains("/metrics");
        // ... and evaluates the alert rules that deploy/ ships (AlertRulesTest checks them)
        assertThat(s.path("prometheus").path("volumes").toString())
                .contains("./deploy/prometheus/latefuse-alerts.yml:/etc/prometheus/latefuse-alerts.yml");
        assertThat(Files.readString(Path.of("docker/prometheus.yml"))).contains("rule_files:")
                .contains("/etc/prometheus/latefuse-alerts.yml");
        assertThat(s.path("grafana").path("volumes").toString()).contains("./docker/grafana/provisioning:/etc/grafana/provisioning")
                .contains("./dashboards:/var/lib/grafana/dashboards");
        assertThat(Files.readString(Path.of("docker/grafana/provisioning/datasources/prometheus.yml"))).contains("http://prometheus:9090");
        assertThat(Files.readString(Path.of("docker/grafana/provisioning/dashboards/latefuse.yml"))).contains("/var/lib/grafana/dashboards");
        assertThat(new ObjectMapper().readTree(Path.of("dashboards/latefuse.json").toFile()).path("panels").size()).isEqualTo(16);
        // The app's config ships in the image, where compose's commands look for it.
        assertThat(Files.readString(Path.of("Dockerfile"))).contains("COPY config /config").contains("target/latefuse.jar");
    }
}
