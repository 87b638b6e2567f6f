package io.latefuse.topology;

import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Review of ChangelogTopics: what Kafka Streams 4.4 itself makes of latefuse's per-store configs and the user's
 * {@code topic.*} ones. The configs are computed here exactly as Kafka Streams' InternalTopicManager computes those of a
 * changelog it creates: each store's InternalTopicConfig, from the built topology, over the {@code topic.}-prefixed
 * properties, with {@code windowstore.changelog.additional.retention.ms} (ChangelogRetentionReviewIT checks the same on a
 * broker).
 */
class ChangelogTopicsReviewTest {

    /** Changelog topic name to the configs Kafka Streams creates it with. */
    static Map<String, Map<String, String>> changelogConfigs(Topology topology, Properties props) throws Exception {
        StreamsConfig sc = new StreamsConfig(props);
        Map<String, String> defaults = new HashMap<>();
        sc.originalsWithPrefix(StreamsConfig.TOPIC_PREFIX).forEach((k, v) -> {
            if (v != null) {
                defaults.put(k, v.toString());
            }
        });
        long additional = sc.getLong(StreamsConfig.WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG);
        Field f = Topology.class.getDeclaredField("internalTopologyBuilder");
        f.setAccessible(true);
        Object builder = f.get(topology);
        Method topicsInfo = builder.getClass().getDeclaredMethod("subtopologyToTopicsInfo");
        topicsInfo.setAccessible(true);
        Map<String, Map<String, String>> out = new HashMap<>();
        for (Object info : ((Map<?, ?>) topicsInfo.invoke(builder)).values()) {
            Field changelogs = info.getClass().getDeclaredField("stateChangelogTopics");
            changelogs.setAccessible(true);
            for (Map.Entry<?, ?> e : ((Map<?, ?>) changelogs.get(info)).entrySet()) {
                Method properties = e.getValue().getClass().getMethod("properties", Map.class, long.class);
                properties.setAccessible(true);
                @SuppressWarnings("unchecked")
                Map<String, String> p = (Map<String, String>) properties.invoke(e.getValue(), defaults, additional);
                out.put((String) e.getKey(), p);
            }
        }
        return out;
    }

    private static Map<String, String> emitted(FusionDriver d) throws Exception {
        return changelog(d, FusionTopology.EMITTED_STORE);
    }

    /** The configs Kafka Streams creates {@code store}'s changelog with. */
    private static Map<String, String> changelog(FusionDriver d, String store) throws Exception {
        Map<String, Map<String, String>> all = changelogConfigs(d.topology, StreamsProperties.of(d.config));
        return all.entrySet().stream().filter(e -> e.getKey().endsWith("-" + store + "-changelog")).findFirst()
                .orElseThrow().getValue();
    }

    @Test
    void withoutTheUsersConfigsTheEmittedChangelogGetsLatefusesMargin() throws Exception {
        // The control: latefuse's own per-store retention.ms does reach the topic.
        try (FusionDriver d = new FusionDriver("late.retention: 2m\n")) {
            long keep = FusionTopology.emittedKeep(d.config.lateRetention()).toMillis();
            assertThat(emitted(d)).containsEntry(TopicConfig.RETENTION_MS_CONFIG,
                    String.valueOf(keep + ChangelogTopics.WINDOW_MARGIN.toMillis()));
        }
    }

    @Test
    void theUsersTopicRetentionMsWinsOnTheEmittedChangelog() throws Exception {
        // Promise: a user's topic.retention.ms wins over latefuse's per-store configs. ChangelogTopics.window leaves
        // retention.ms out for it, but Kafka Streams then computes a window changelog's retention.ms itself (store
        // retention + windowstore.changelog.additional.retention.ms, a day) and overrides the topic.* default: the
        // user's value never reaches the topic, and latefuse's 1 h margin is lost too.
        try (FusionDriver d = new FusionDriver("late.retention: 2m\nkafka: {topic.retention.ms: 7200000}\n")) {
            assertThat(emitted(d)).containsEntry(TopicConfig.RETENTION_MS_CONFIG, "7200000");
        }
    }

    @Test
    void theOperationsGuideHasTheUpgradeNoteThatChangelogTopicsPointsTo() throws Exception {
        // ChangelogTopics: "an existing one keeps its configs (the upgrade note in docs/operations.md has the command that changes
        // them)". Without it an upgraded deployment keeps its 7-day segments and day-long tombstones: the restores this
        // change bounds stay unbounded for every app that existed before it.
        String readme = Files.readString(Path.of("docs", "operations.md"));
        assertThat(List.of("delete.retention.ms", "segment.ms")).as("changelog configs docs/operations.md mentions")
                .allSatisfy(key -> assertThat(readme.contains(key)).as(key).isTrue());
    }

    @Test
    void theOperationsGuidesUpgradeCommandSetsWhatANewAppIsCreatedWith() throws Exception {
        // The kafka-configs commands in docs/operations.md bring an existing app's changelogs to what this release creates (on the
        // default late.retention and the input clock). ReadmeCommandsIT cannot run Kafka's own tool; the values are
        // checked here against the configs Kafka Streams computes for the built topology.
        String readme = Files.readString(Path.of("docs", "operations.md")).replace("\\\n", " ");
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("--entity-name (\\S+)\\s+--add-config (\\S+)").matcher(readme);
        Map<String, Map<String, String>> commands = new HashMap<>();
        while (m.find()) {
            Map<String, String> set = new HashMap<>();
            for (String kv : m.group(2).split(",")) {
                set.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
            String store = m.group(1).replaceAll("^latefuse-ddsd-", "").replace("-changelog", "");
            if (store.equals("$t")) {
                commands.put(FusionTopology.PENDING_STORE, set);
                commands.put(FusionTopology.LEGACY_FINISHED_STORE, set);
            } else {
                commands.put(store, set);
            }
        }
        assertThat(commands).as("stores the upgrade commands in docs/operations.md change").containsOnlyKeys(
                FusionTopology.PENDING_STORE, FusionTopology.LEGACY_FINISHED_STORE, FusionTopology.EMITTED_STORE);
        try (FusionDriver d = new FusionDriver("late.retention: 10m\n")) {
            for (Map.Entry<String, Map<String, String>> c : commands.entrySet()) {
                assertThat(changelog(d, c.getKey())).as("the " + c.getKey() + " changelog as created")
                        .containsAllEntriesOf(c.getValue());
            }
        }
    }
}
