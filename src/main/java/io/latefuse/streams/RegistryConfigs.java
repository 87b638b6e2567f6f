package io.latefuse.streams;

import io.latefuse.config.PipelineConfig;
import io.latefuse.registry.RegistryConfig;

import java.util.HashMap;
import java.util.Map;

/** The schema-registry client settings of a pipeline: its {@code schema.registry.*} keys over the Kafka pass-through. */
public final class RegistryConfigs {
    private RegistryConfigs() {}

    public static RegistryConfig of(PipelineConfig config) {
        Map<String, Object> m = new HashMap<>(config.kafka());
        m.putAll(config.registry());
        return RegistryConfig.fromMap(m);
    }
}
