package io.latefuse.config;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.latefuse.config.PipelineConfig.DeadlineClock;
import io.latefuse.config.PipelineConfig.LatePolicy;
import io.latefuse.config.PipelineConfig.StoreType;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds a {@link PipelineConfig} by its keys (the names in {@link ConfigKeys}), so that code never builds one
 * positionally or writes YAML by hand. {@link #build()} validates exactly as a config file is validated, and
 * {@link #toYaml()} writes the same config as a file (escaped by Jackson), for a process started with
 * {@code --config}.
 */
public final class PipelineConfigBuilder {
    private final ObjectNode tree = JsonNodeFactory.instance.objectNode();

    PipelineConfigBuilder() {}

    /** Sets any top-level scalar key; an unknown key or a bad value is reported by {@link #build()}, naming it. */
    public PipelineConfigBuilder set(String key, String value) {
        tree.put(key, value);
        return this;
    }

    public PipelineConfigBuilder applicationId(String id) {
        return set("application.id", id);
    }

    public PipelineConfigBuilder bootstrapServers(String servers) {
        return set("bootstrap.servers", servers);
    }

    public PipelineConfigBuilder schemaRegistryUrl(String url) {
        return set("schema.registry.url", url);
    }

    public PipelineConfigBuilder classes(List<String> classes) {
        ArrayNode a = tree.putArray("classes");
        classes.forEach(a::add);
        return this;
    }

    /** Adds a modality, in order, with its scores topic ({@code null}: the default, {@code <prefix>scores.<name>}). */
    public PipelineConfigBuilder modality(String name, String topic) {
        ArrayNode modalities = tree.has("modalities") ? (ArrayNode) tree.get("modalities") : tree.putArray("modalities");
        ObjectNode m = modalities.addObject().put("name", name);
        if (topic != null) {
            m.put("topic", topic);
        }
        return this;
    }

    /** Adds a modality, in order, for early fusion: it reads {@code features.<name>} records of {@code featuresSize}. */
    public PipelineConfigBuilder featuresModality(String name, int featuresSize) {
        ArrayNode modalities = tree.has("modalities") ? (ArrayNode) tree.get("modalities") : tree.putArray("modalities");
        modalities.addObject().put("name", name).put("features.size", featuresSize);
        return this;
    }

    public PipelineConfigBuilder fusionLevel(FusionLevel level) {
        return set("fusion.level", level.code());
    }

    public PipelineConfigBuilder strategy(String strategy) {
        return set("strategy", strategy);
    }

    public PipelineConfigBuilder outputTopic(String topic) {
        return set("output.topic", topic);
    }

    public PipelineConfigBuilder deadLetterTopic(String topic) {
        return set("dead.letter.topic", topic);
    }

    public PipelineConfigBuilder maxWait(Duration d) {
        return set("max.wait", Durations.format(d));
    }

    public PipelineConfigBuilder punctuationInterval(Duration d) {
        return set("punctuation.interval", Durations.format(d));
    }

    public PipelineConfigBuilder maxHoldback(Duration d) {
        return set("max.holdback", Durations.format(d));
    }

    public PipelineConfigBuilder deadlineClock(DeadlineClock clock) {
        return set("deadline.clock", clock.name().toLowerCase(Locale.ROOT));
    }

    public PipelineConfigBuilder latePolicy(LatePolicy policy) {
        return set("late.policy", policy.name().toLowerCase(Locale.ROOT));
    }

    public PipelineConfigBuilder storeType(StoreType store) {
        return set("store.type", store.name().toLowerCase(Locale.ROOT));
    }

    public PipelineConfigBuilder processingGuarantee(String guarantee) {
        return set("processing.guarantee", guarantee);
    }

    public PipelineConfigBuilder streamThreads(int threads) {
        return set("stream.threads", Integer.toString(threads));
    }

    /** Adds Kafka client properties to the {@code kafka} pass-through. */
    public PipelineConfigBuilder kafka(Map<String, String> properties) {
        ObjectNode kafka = tree.has("kafka") ? (ObjectNode) tree.get("kafka") : tree.putObject("kafka");
        properties.forEach(kafka::put);
        return this;
    }

    /**
     * @throws InvalidConfigException naming every bad key, as for a config file ({@code LATEFUSE_*} variables do not
     *                                apply: the builder's values are the whole config)
     */
    public PipelineConfig build() {
        return PipelineConfigLoader.validate(tree.deepCopy(), "config builder");
    }

    /** The config as YAML: {@link PipelineConfigLoader#parse} of it gives the same config as {@link #build()}. */
    public String toYaml() {
        return PipelineConfigLoader.toYaml(tree);
    }
}
