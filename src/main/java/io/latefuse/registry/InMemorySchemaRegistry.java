package io.latefuse.registry;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process registry for {@code mock://scope} URLs, like Confluent's mock scheme: serdes configured with
 * the same scope share it. Meant for TopologyTestDriver unit tests; the integration tests run a real registry.
 * Compatibility checks follow the same rules as a real registry, using Avro's own reader/writer check.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {
    public static final String SCHEME = "mock://";
    private static final Map<String, InMemorySchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private final Map<String, List<Integer>> versionsBySubject = new HashMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<Schema, Integer> idsBySchema = new HashMap<>();
    private final Map<String, String> compatibilityBySubject = new HashMap<>();
    private String globalCompatibility = "BACKWARD";

    public static InMemorySchemaRegistry forScope(String scope) {
        return SCOPES.computeIfAbsent(scope, s -> new InMemorySchemaRegistry());
    }

    /** Forgets a scope, so that a test starts from an empty registry. */
    public static void dropScope(String scope) {
        SCOPES.remove(scope);
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        Integer existing = idsBySchema.get(schema);
        if (existing != null && versions.contains(existing)) {
            return existing;
        }
        if (!isCompatible(subject, schema)) {
            throw new SchemaRegistryException("Schema being registered is incompatible with an earlier schema for subject \""
                    + subject + "\" under " + compatibility(subject), 409, SchemaRegistryException.INCOMPATIBLE_SCHEMA);
        }
        int id = existing != null ? existing : schemasById.size() + 1;
        schemasById.put(id, schema);
        idsBySchema.put(schema, id);
        versions.add(id);
        return id;
    }

    @Override
    public synchronized int lookupId(String subject, Schema schema) {
        List<Integer> versions = versionsBySubject.get(subject);
        if (versions == null) {
            throw new SchemaRegistryException("Subject '" + subject + "' not found.", 404, SchemaRegistryException.SUBJECT_NOT_FOUND);
        }
        Integer id = idsBySchema.get(schema);
        if (id == null || !versions.contains(id)) {
            throw new SchemaRegistryException("Schema not found under subject '" + subject + "'", 404, SchemaRegistryException.SCHEMA_NOT_FOUND);
        }
        return id;
    }

    @Override
    public synchronized Schema schemaById(int id) {
        Schema s = schemasById.get(id);
        if (s == null) {
            throw new SchemaRegistryException("Schema " + id + " not found", 404, SchemaRegistryException.SCHEMA_NOT_FOUND);
        }
        return s;
    }

    @Override
    public synchronized RegisteredSchema latest(String subject) {
        List<Integer> versions = versionsBySubject.get(subject);
        if (versions == null || versions.isEmpty()) {
            throw new SchemaRegistryException("Subject '" + subject + "' not found.", 404, SchemaRegistryException.SUBJECT_NOT_FOUND);
        }
        int id = versions.get(versions.size() - 1);
        return new RegisteredSchema(subject, versions.size(), id, schemasById.get(id));
    }

    @Override
    public synchronized boolean isCompatible(String subject, Schema schema) {
        List<Integer> versions = versionsBySubject.getOrDefault(subject, List.of());
        if (versions.isEmpty()) {
            return true;
        }
        String level = compatibility(subject);
        boolean transitive = level.endsWith("_TRANSITIVE");
        String base = level.replace("_TRANSITIVE", "");
        List<Integer> against = transitive ? versions : versions.subList(versions.size() - 1, versions.size());
        for (int id : against) {
            Schema old = schemasById.get(id);
            boolean backward = readable(schema, old);
            boolean forward = readable(old, schema);
            boolean ok = switch (base) {
                case "NONE" -> true;
                case "BACKWARD" -> backward;
                case "FORWARD" -> forward;
                case "FULL" -> backward && forward;
                default -> throw new IllegalStateException("unknown compatibility level " + level);
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static boolean readable(Schema reader, Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType()
                == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
    }

    @Override
    public synchronized String compatibility(String subject) {
        return subject == null ? globalCompatibility : compatibilityBySubject.getOrDefault(subject, globalCompatibility);
    }

    @Override
    public synchronized void setCompatibility(String subject, String level) {
        if (subject == null) {
            globalCompatibility = level;
        } else {
            compatibilityBySubject.put(subject, level);
        }
    }
}
