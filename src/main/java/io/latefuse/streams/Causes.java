package io.latefuse.streams;

import java.util.function.Predicate;

/** Looks through an exception's cause chain, as Kafka Streams wraps what a processor or serde threw. */
public final class Causes {
    private Causes() {}

    /** The first throwable in {@code t}'s cause chain that is a {@code type} and matches {@code test}, or null. */
    public static <T extends Throwable> T find(Throwable t, Class<T> type, Predicate<T> test) {
        for (; t != null; t = t.getCause()) {
            if (type.isInstance(t) && test.test(type.cast(t))) {
                return type.cast(t);
            }
        }
        return null;
    }

    public static <T extends Throwable> T find(Throwable t, Class<T> type) {
        return find(t, type, x -> true);
    }
}
