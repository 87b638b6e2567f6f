package io.latefuse.streams;

import io.latefuse.config.PipelineConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Startup checks against the cluster: every topic exists (or is created with {@code --create-topics}), and all
 * score topics have the same partition count, since the join needs every modality of an event in the same task.
 */
public final class TopicPreflight {
    private static final Logger log = LoggerFactory.getLogger(TopicPreflight.class);

    /** The topics failed the checks; the message names each topic with its partition count. */
    public static class TopicCheckException extends RuntimeException {
        public TopicCheckException(String message) {
            super(message);
        }
    }

    private TopicPreflight() {}

    /**
     * @param create     create missing topics instead of failing
     * @param partitions partition count for created topics; empty for the broker's default
     * @param replication replication factor for created topics; empty for the broker's default
     * @return partition count of the score topics
     */
    public static int check(Admin admin, PipelineConfig config, boolean create, Optional<Integer> partitions,
                            Optional<Short> replication)
            throws InterruptedException {
        Set<String> all = new LinkedHashSet<>(config.inputTopics());
        all.add(config.outputTopic());
        all.add(config.deadLetterTopic());
        Map<String, Integer> counts = ensure(admin, all, config.inputTopics(), create, partitions, replication);
        Map<String, Integer> scoreCounts = new LinkedHashMap<>();
        for (String t : config.inputTopics()) {
            scoreCounts.put(t, counts.get(t));
        }
        if (new LinkedHashSet<>(scoreCounts.values()).size() > 1) {
            StringBuilder sb = new StringBuilder("Input topics are not co-partitioned; every modality of an event must "
                    + "land in the same partition number, so all input topics (scores, or features under early fusion) "
                    + "need the same partition count:");
            scoreCounts.forEach((t, n) -> sb.append("\n  ").append(t).append(": ").append(n).append(" partitions"));
            throw new TopicCheckException(sb.toString());
        }
        warnAboutCreateTime(admin, config);
        return scoreCounts.values().iterator().next();
    }

    /**
     * On a CreateTime topic the input deadline clock takes each score's write time from its producer's clock: say so
     * once at startup, naming the topics.
     */
    /**
     * The topics of one command: its inputs, scores topics among them, and its outputs. Missing ones are created if
     * {@code create}, else refused, naming them.
     *
     * @param scoreTopics the scores topics among {@code all}: created as LogAppendTime, and with the partition count
     *                    of an existing one, so that creating one never breaks co-partitioning
     * @return the partition count of every topic
     */
    private static Map<String, Integer> ensure(Admin admin, Set<String> all, java.util.Collection<String> scoreTopics,
                                               boolean create, Optional<Integer> partitions, Optional<Short> replication)
            throws InterruptedException {
        Map<String, Integer> counts = describe(admin, all);
        List<String> missing = all.stream().filter(t -> !counts.containsKey(t)).toList();
        if (!missing.isEmpty()) {
            if (!create) {
                throw new TopicCheckException("Missing topics: " + String.join(", ", missing)
                        + ". Create them, or run with --create-topics.");
            }
            // New score topics follow the existing ones, so that creating one never breaks co-partitioning.
            Optional<Integer> scorePartitions = scoreTopics.stream().map(counts::get).filter(c -> c != null)
                    .findFirst().or(() -> partitions);
            List<NewTopic> topics = new ArrayList<>();
            for (String t : missing) {
                if (scoreTopics.contains(t)) {
                    // The broker stamps each score when it is written, so the input deadline clock does not depend
                    // on any producer's clock.
                    topics.add(new NewTopic(t, scorePartitions, replication)
                            .configs(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime")));
                } else {
                    topics.add(new NewTopic(t, partitions, replication));
                }
            }
            try {
                admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new TopicCheckException("Could not create topics " + missing + ": " + e.getCause().getMessage());
                }
            } catch (TimeoutException e) {
                throw new TopicCheckException("Timed out creating topics " + missing);
            }
            log.info("Created topics {}", topics);
            // New topics take a moment to show in the metadata.
            Set<String> pending = new LinkedHashSet<>(missing);
            long deadline = System.currentTimeMillis() + 30_000;
            while (!pending.isEmpty()) {
                Map<String, Integer> described = describe(admin, pending);
                counts.putAll(described);
                pending.removeAll(described.keySet());
                if (!pending.isEmpty()) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new TopicCheckException("Created topics " + pending + " but they did not appear within 30 s");
                    }
                    Thread.sleep(100);
                }
            }
            // An app or scorer that writes at once could otherwise lose its first records (see WritableTopics).
            WritableTopics.await(admin, missing, java.time.Duration.ofSeconds(60));
        }
        return counts;
    }

    /**
     * The scorer's topics: its features topic, its scores topic and the dead-letter topic, and nothing else of the
     * pipeline. Created ones take the partition count of an existing scores topic (co-partitioning), else of the
     * features topic.
     */
    public static void checkScorer(Admin admin, PipelineConfig config, String modality, boolean create)
            throws InterruptedException {
        PipelineConfig.ModalityConfig m = config.modalities().get(config.modalityIndex(modality));
        Set<String> known = new LinkedHashSet<>(config.inputTopics());
        known.add(m.featuresTopic());
        Map<String, Integer> existing = describe(admin, known);
        Optional<Integer> partitions = config.inputTopics().stream().map(existing::get).filter(c -> c != null)
                .findFirst().or(() -> Optional.ofNullable(existing.get(m.featuresTopic())));
        ensure(admin, new LinkedHashSet<>(List.of(m.featuresTopic(), m.topic(), config.deadLetterTopic())),
                List.of(m.topic()), create, partitions, Optional.empty());
    }

    /**
     * Every topic of {@code all} exists, or is created if {@code create} (with {@code partitions}, or the broker's
     * default), else refused, naming the missing ones.
     *
     * @return the partition count of every topic
     */
    public static Map<String, Integer> ensure(Admin admin, java.util.Collection<String> all, boolean create,
                                              Optional<Integer> partitions, Optional<Short> replication)
            throws InterruptedException {
        return ensure(admin, new LinkedHashSet<>(all), List.of(), create, partitions, replication);
    }

    /** Refuses, naming them and saying {@code what to do}, topics that do not exist. */
    public static void requireExisting(Admin admin, java.util.Collection<String> topics, String whatToDo)
            throws InterruptedException {
        Map<String, Integer> counts = describe(admin, new LinkedHashSet<>(topics));
        List<String> missing = topics.stream().filter(t -> !counts.containsKey(t)).toList();
        if (!missing.isEmpty()) {
            throw new TopicCheckException("Missing topics: " + String.join(", ", missing) + ". " + whatToDo + ".");
        }
    }

    private static void warnAboutCreateTime(Admin admin, PipelineConfig config) throws InterruptedException {
        if (config.deadlineClock() != PipelineConfig.DeadlineClock.INPUT) {
            return;
        }
        List<ConfigResource> resources = config.inputTopics().stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
        try {
            Map<ConfigResource, org.apache.kafka.clients.admin.Config> configs =
                    admin.describeConfigs(resources).all().get(60, TimeUnit.SECONDS);
            List<String> createTime = new ArrayList<>();
            configs.forEach((r, c) -> {
                var entry = c.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
                if (entry == null || !"LogAppendTime".equals(entry.value())) {
                    createTime.add(r.name());
                }
            });
            if (!createTime.isEmpty()) {
                log.warn("Input topics {} use CreateTime: deadlines start at the producers' timestamps (a producer "
                        + "clock behind by s makes its events' deadlines s earlier; one ahead is capped at the time the "
                        + "score is read). Set message.timestamp.type=LogAppendTime on them to use the broker's clock.",
                        createTime);
            }
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Could not read the score topics' timestamp type ({}); deadlines assume their timestamps are "
                    + "write times", e.getMessage());
        }
    }

    private static Map<String, Integer> describe(Admin admin, Set<String> topics) throws InterruptedException {
        Map<String, Integer> counts = new LinkedHashMap<>();
        admin.describeTopics(topics).topicNameValues().forEach((name, future) -> {
            try {
                TopicDescription d = future.get(60, TimeUnit.SECONDS);
                counts.put(name, d.partitions().size());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new TopicCheckException("Cannot describe topic " + name + ": " + e.getCause().getMessage());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TopicCheckException("Interrupted while describing " + name);
            } catch (TimeoutException e) {
                throw new TopicCheckException("Timed out describing topic " + name + "; is the cluster reachable?");
            }
        });
        return counts;
    }
}
