package io.latefuse.bench;

import io.latefuse.config.PipelineConfig.StoreType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One application under test.
 *
 * @param kind      what joins the scores
 * @param store     the state stores' type (the passthrough has none)
 * @param guarantee the Kafka Streams processing guarantee
 */
public record Variant(Kind kind, StoreType store, String guarantee) {

    public enum Kind {
        /** Merges the score topics into one, with no state: the ceiling. */
        PASSTHROUGH,
        /** Decodes every Avro score and encodes one Avro prediction per event, with no state: the Avro ceiling. */
        SERDE_PASSTHROUGH,
        /** latefuse's fusion processor. */
        LATEFUSE,
        /** The same join written with the DSL: a chain of outer KStream-KStream joins. */
        DSL,
        /**
         * The same join on Apache Flink ({@code io.latefuse.flink}): a KeyedProcessFunction with a timer per event,
         * run from target/latefuse-flink.jar as a child JVM.
         */
        FLINK
    }

    public static final String AT_LEAST_ONCE = "at_least_once";
    public static final String EXACTLY_ONCE = "exactly_once_v2";

    public String name() {
        String g = guarantee.equals(EXACTLY_ONCE) ? "eos" : "alos";
        return switch (kind) {
            case PASSTHROUGH -> "passthrough-" + g;
            case SERDE_PASSTHROUGH -> "serde-passthrough-" + g;
            default -> kind.name().toLowerCase(Locale.ROOT) + "-" + store.name().toLowerCase(Locale.ROOT) + "-" + g;
        };
    }

    /** Whether it has state, and so a store type (the passthroughs have none). */
    public boolean stateful() {
        return kind == Kind.LATEFUSE || kind == Kind.DSL || kind == Kind.FLINK;
    }

    /** Every variant, the two passthroughs first, in the order the table lists them; then latefuse, Flink, the DSL. */
    public static List<Variant> all() {
        List<Variant> all = new ArrayList<>();
        for (Kind k : List.of(Kind.PASSTHROUGH, Kind.SERDE_PASSTHROUGH)) {
            for (String g : List.of(AT_LEAST_ONCE, EXACTLY_ONCE)) {
                all.add(new Variant(k, StoreType.MEMORY, g));
            }
        }
        for (Kind k : List.of(Kind.LATEFUSE, Kind.FLINK, Kind.DSL)) {
            for (StoreType s : List.of(StoreType.ROCKSDB, StoreType.MEMORY)) {
                for (String g : List.of(AT_LEAST_ONCE, EXACTLY_ONCE)) {
                    all.add(new Variant(k, s, g));
                }
            }
        }
        return all;
    }

    /** The variants named in {@code names} (all when empty), in table order; an unknown name is an error. */
    public static List<Variant> select(List<String> names) {
        if (names == null || names.isEmpty()) {
            return all();
        }
        List<Variant> all = all();
        List<String> known = all.stream().map(Variant::name).toList();
        for (String n : names) {
            if (!known.contains(n)) {
                throw new IllegalArgumentException("unknown variant '" + n + "'; known: " + String.join(", ", known));
            }
        }
        return all.stream().filter(v -> names.contains(v.name())).toList();
    }
}
