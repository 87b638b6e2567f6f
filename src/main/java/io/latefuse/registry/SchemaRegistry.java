package io.latefuse.registry;

import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry protocol that latefuse uses. {@link HttpSchemaRegistryClient}
 * speaks it over REST; {@link InMemorySchemaRegistry} serves {@code mock://} URLs for unit tests.
 */
public interface SchemaRegistry extends AutoCloseable {

    /** A registered schema: its global id, its version under a subject, and the schema. */
    record RegisteredSchema(String subject, int version, int id, Schema schema) {}

    /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** The id of {@code schema} under {@code subject}, without registering it. */
    int lookupId(String subject, Schema schema);

    /** The schema with global id {@code id}. */
    Schema schemaById(int id);

    /** The latest version registered under {@code subject}. */
    RegisteredSchema latest(String subject);

    /** Whether {@code schema} is compatible with the latest version under {@code subject}, per its compatibility level. */
    boolean isCompatible(String subject, Schema schema);

    /** The compatibility level of {@code subject}, or the global one when {@code subject} is null or has none. */
    String compatibility(String subject);

    /** Sets the compatibility level of {@code subject}, or the global one when {@code subject} is null. */
    void setCompatibility(String subject, String level);

    @Override
    default void close() {}

    /** A client for {@code config.urls()}: in memory for {@code mock://scope}, otherwise REST over HTTP(S). */
    static SchemaRegistry connect(RegistryConfig config) {
        String first = config.urls().get(0);
        if (first.startsWith(InMemorySchemaRegistry.SCHEME)) {
            return InMemorySchemaRegistry.forScope(first.substring(InMemorySchemaRegistry.SCHEME.length()));
        }
        return new HttpSchemaRegistryClient(config);
    }
}
