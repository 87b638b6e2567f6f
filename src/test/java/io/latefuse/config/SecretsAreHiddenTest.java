package io.latefuse.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A config printed, or refused, never shows a password, a JAAS line or the registry's user info. */
class SecretsAreHiddenTest {
    private static final String BASE = """
            application.id: a
            bootstrap.servers: b:9092
            schema.registry.url: https://r
            classes: [x, y]
            modalities: [{name: m}]
            kafka:
              security.protocol: SASL_SSL
            """;

    @Test
    void aConfigPrintsItsSecretsAsHidden() {
        PipelineConfig c = PipelineConfigLoader.parse(BASE, "test", Map.of(
                "LATEFUSE_KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"u\" password=\"jaas-secret-1\";",
                "LATEFUSE_KAFKA_SSL_TRUSTSTORE_PASSWORD", "store-secret-2",
                "LATEFUSE_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "u:registry-secret-3",
                "LATEFUSE_SCHEMA_REGISTRY_SSL_TRUSTSTORE_PASSWORD", "registry-store-secret-4",
                "LATEFUSE_HTTP_TOKEN", "lookup-token-5"));
        assertThat(c.http().token()).isEqualTo("lookup-token-5");
        assertThat(c.kafka()).containsEntry("ssl.truststore.password", "store-secret-2");
        assertThat(c.toString()).contains("security.protocol=SASL_SSL").contains("sasl.jaas.config=[hidden]")
                .doesNotContain("jaas-secret-1").doesNotContain("store-secret-2").doesNotContain("registry-secret-3")
                .doesNotContain("registry-store-secret-4").doesNotContain("lookup-token-5").contains("token=[hidden]");
    }

    @Test
    void aRefusedSecretIsNamedButNotShown() {
        assertThatThrownBy(() -> PipelineConfigLoader.parse(BASE + "schema.registry.ssl.truststore.password: [not, a, scalar]\n",
                "test", Map.of())).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("schema.registry.ssl.truststore.password")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not, a, scalar"));
    }
}
