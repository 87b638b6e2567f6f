package io.latefuse.registry;

import org.apache.avro.Schema;
import org.apache.avro.util.ClassSecurityValidator;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Avro 1.12 refuses to instantiate classes named in schemas unless they are trusted. latefuse trusts exactly
 * the packages of the generated classes its deserializers are asked to read (their nested enums and records
 * live there too), on top of whatever the JVM already trusts.
 */
public final class TrustedAvroClasses {
    private static final Set<String> TRUSTED = ConcurrentHashMap.newKeySet();

    static {
        ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous,
                c -> TRUSTED.contains(c.getPackageName())));
    }

    private TrustedAvroClasses() {}

    /** Trusts the package of {@code type} and of every named type its schema refers to. */
    public static void trust(Class<?> type) {
        TRUSTED.add(type.getPackageName());
        Schema schema = org.apache.avro.specific.SpecificData.get().getSchema(type);
        if (schema != null) {
            trust(schema, new java.util.HashSet<>());
        }
    }

    private static void trust(Schema schema, java.util.Set<String> seen) {
        switch (schema.getType()) {
            case RECORD -> {
                if (seen.add(schema.getFullName())) {
                    if (schema.getNamespace() != null) {
                        TRUSTED.add(schema.getNamespace());
                    }
                    schema.getFields().forEach(f -> trust(f.schema(), seen));
                }
            }
            case ENUM, FIXED -> {
                if (schema.getNamespace() != null) {
                    TRUSTED.add(schema.getNamespace());
                }
            }
            case ARRAY -> trust(schema.getElementType(), seen);
            case MAP -> trust(schema.getValueType(), seen);
            case UNION -> schema.getTypes().forEach(t -> trust(t, seen));
            default -> { }
        }
    }
}
