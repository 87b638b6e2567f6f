package io.latefuse.faults;

import io.latefuse.testkit.SecuredKafka;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SecuredClusterIT {
    @Test
    void aScramUserConnectsOverTls(@TempDir Path dir) throws Exception {
        try (SecuredKafka kafka = SecuredKafka.start(dir, "pw-123456")) {
            Map<String, Object> p = new HashMap<>(kafka.clientProperties());
            p.put("bootstrap.servers", kafka.bootstrapServers());
            try (Admin admin = Admin.create(p)) {
                assertThat(admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)).hasSize(1);
            }
        }
    }
}
