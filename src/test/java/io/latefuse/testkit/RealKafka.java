package io.latefuse.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects the shared {@link EmbeddedKafkaAndRegistry} into test constructors and lifecycle methods.
 * It is created on first use and closed when the whole test run ends.
 */
public final class RealKafka implements ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RealKafka.class);

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
        Class<?> t = p.getParameter().getType();
        return t == KafkaEnvironment.class || t == EmbeddedKafkaAndRegistry.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
        return ctx.getRoot().getStore(NS).getOrComputeIfAbsent("services", k -> {
            try {
                return new EmbeddedKafkaAndRegistry();
            } catch (Exception e) {
                throw new IllegalStateException("Could not start the embedded broker and registry: " + e.getMessage(), e);
            }
        }, EmbeddedKafkaAndRegistry.class);
    }
}
