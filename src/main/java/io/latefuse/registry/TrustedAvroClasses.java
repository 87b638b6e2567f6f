package io.latefuse.registry;

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

    public static void trust(Class<?> type) {
        TRUSTED.add(type.getPackageName());
    }
}
