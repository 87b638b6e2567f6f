package io.latefuse.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A validated pipeline: what to join, how to fuse it, and how to run. Made by {@link PipelineConfigLoader} from a
 * file, or by {@link #builder()}; every key is defined in {@link ConfigKeys}.
 */
public record PipelineConfig(
        String applicationId,
        String bootstrapServers,
        Map<String, Object> registry,
        List<String> classes,
        List<Double> classPriors,
        List<ModalityConfig> modalities,
        String strategy,
        FusionLevel fusionLevel,
        String outputTopic,
        String deadLetterTopic,
        Duration maxWait,
        Duration optionalWait,
        DeadlineClock deadlineClock,
        Duration punctuationInterval,
        Duration maxHoldback,
        InputPartitioner inputPartitioner,
        LatePolicy latePolicy,
        Revisions revisions,
        Duration lateRetention,
        Duration eventTimeMaxFuture,
        StoreType storeType,
        String processingGuarantee,
        int standbyReplicas,
        int streamThreads,
        String instanceId,
        Duration commitInterval,
        Duration brokerConnectTimeout,
        OnnxHead onnx,
        OperatingPoints operatingPoints,
        Http http,
        Map<String, String> kafka,
        Health health,
        Quality quality) {

    /** The strategy names a config may use; {@code fusion.FusionStrategies} creates each of them. */
    public static final List<String> STRATEGIES = List.of("weighted_mean", "log_odds", "max_confidence", "vote", "onnx");

    public PipelineConfig {
        classes = List.copyOf(classes);
        classPriors = classPriors == null ? null : List.copyOf(classPriors);
        modalities = List.copyOf(modalities);
        registry = Map.copyOf(registry);
        kafka = Map.copyOf(kafka);
    }

    /**
     * What an event's deadline is measured against.
     * <ul>
     *   <li>{@code INPUT} (the default): the first score's Kafka timestamp plus {@code max.wait}, fired only once every
     *       input partition of the task has been read up to it. An app that is down, restoring or behind never
     *       declares a modality missing while its score sits unread.</li>
     *   <li>{@code EVENT}: {@code event_time} plus {@code max.wait}, fired as stream time passes it. Deterministic, for
     *       replay and backfill.</li>
     *   <li>{@code PROCESSING_TIME}: the wall-clock time of the first read plus {@code max.wait}, whatever is still
     *       unread. The first design's clock; it declares modalities missing after restarts and during catch-up.</li>
     * </ul>
     */
    public enum DeadlineClock { INPUT, EVENT, PROCESSING_TIME }

    /**
     * How producers place an event's scores on partitions. {@code MURMUR2}: as Java's producers and Kafka Streams do
     * (librdkafka's {@code murmur2_random}); a score on another partition is dead-lettered as {@code wrong_partition}.
     * {@code CUSTOM}: the producers' own partitioner, which must still put every score of an event on the same
     * partition number of every input topic; not checked.
     */
    public enum InputPartitioner { MURMUR2, CUSTOM }

    /**
     * The learned fusion head for {@code strategy: onnx}: the model file, the names of its inputs and output
     * (remappable, so heads exported from any framework plug in), and whether it outputs logits.
     *
     * @param embeddingsInput the input for per-modality embeddings, or null when the head takes none
     * @param featuresInput   the input for the concatenated features (early fusion), or null when the head takes none
     * @param output          the output to read, or null for the model's only output
     */
    public record OnnxHead(java.nio.file.Path model, String scoresInput, String maskInput, String embeddingsInput,
                           String featuresInput, String output, boolean outputsLogits) {
        /** A head over scores and mask, or scores, mask and embeddings: the late and hybrid contracts. */
        public OnnxHead(java.nio.file.Path model, String scoresInput, String maskInput, String embeddingsInput,
                        String output, boolean outputsLogits) {
            this(model, scoresInput, maskInput, embeddingsInput, null, output, outputsLogits);
        }
    }

    /**
     * {@code run}'s HTTP server: where it listens, how the other instances reach it, and the token that event
     * lookups need.
     *
     * @param advertisedHost the host other instances reach this one at; empty for this host's name
     * @param token          the bearer token of {@code /events}, or empty for none
     */
    public record Http(String bindAddress, String advertisedHost, String token) {
        @Override
        public String toString() {
            return "Http[bindAddress=" + bindAddress + ", advertisedHost=" + advertisedHost + ", token="
                    + (token.isEmpty() ? "" : "[hidden]") + "]";
        }
    }

    /**
     * {@code latefuse quality}: the labels it joins, how long it waits for them, and what it publishes. Null when
     * {@code labels.topic} is unset.
     *
     * @param labelsRetention how long a prediction waits for its label, and a label for its prediction
     * @param window          the sliding window quality is computed over
     * @param interval        how often quality is published
     * @param labelledTopic   where judged events' scores go as {@code LabelledModalityScore}, or null for nowhere
     */
    public record Quality(String labelsTopic, Duration labelsRetention, String qualityTopic, Duration window,
                          Duration interval, String labelledTopic) {
        /** Whether judged events' scores are exported for retraining (and the scores topics read). */
        public boolean exportsLabelled() {
            return labelledTopic != null;
        }
    }

    public enum LatePolicy { REVISE, DROP }

    /**
     * {@code modality.health}: whether each modality's scores are judged online against a reference, and whether a
     * modality judged broken is then quarantined (not fused, not awaited, listed in {@code quarantined}).
     *
     * @param profile          the reference learned by {@code latefuse profile}, or null to profile each modality
     *                         from its first {@code window} scores
     * @param window           how many of a modality's latest scores its drift and agreement are judged over
     * @param stuckScores      how many scores in a row, all within {@link #STUCK_TOLERANCE} of each other, make it stuck
     * @param maxPsi           the population stability index over the window above which it has drifted
     * @param maxAgreementDrop how far its agreement with the other modalities may fall below the reference's
     * @param releaseScores    how many healthy judgements in a row release a quarantined modality
     * @param quarantined      modalities quarantined by hand, whatever their judgement
     * @param trusted          modalities never quarantined, whatever their judgement (still judged and reported)
     */
    public record Health(Mode mode, HealthProfile profile, int window, int stuckScores, double maxPsi,
                         double maxAgreementDrop, int releaseScores, List<String> quarantined, List<String> trusted) {
        public enum Mode { OFF, OBSERVE, QUARANTINE }

        /** Scores whose every class probability lies within this of the run's first are the same score. */
        public static final double STUCK_TOLERANCE = 1e-4;

        public static final Health OFF = new Health(Mode.OFF, null, 500, 50, 0.25, 0.25, 500, List.of(), List.of());

        public Health {
            quarantined = List.copyOf(quarantined);
            trusted = List.copyOf(trusted);
        }

        public boolean judges() {
            return mode != Mode.OFF;
        }
    }

    /**
     * Which late scores make a revision, under {@code late.policy: revise}.
     *
     * @param minDelta under {@code ON_CHANGE}: how far a class probability must move from the last prediction emitted
     */
    public record Revisions(Policy policy, double minDelta) {
        public enum Policy { ALWAYS, ON_CHANGE }
    }

    public enum StoreType { ROCKSDB, MEMORY }

    /** How one modality's scores are calibrated before fusion. */
    public record Calibration(Method method, double temperature, double a, double b) {
        public enum Method { NONE, TEMPERATURE, PLATT }

        public static final Calibration NONE = new Calibration(Method.NONE, 1, 1, 0);
    }

    /**
     * One modality: its scores topic, its fusion weight, its calibration, whether the event waits for it, the
     * features topic its scorer reads, and the scorer model's embedding output, if it writes embeddings.
     *
     * @param embeddingOutput the scorer model's output that holds the embedding, or null for none
     * @param embeddingSize   the embedding's length E, or 0 without {@code embeddingOutput}
     * @param featuresSize    under early fusion, the feature count F; otherwise 0
     */
    public record ModalityConfig(String name, String topic, double weight, Calibration calibration, boolean required,
                                 String featuresTopic, String embeddingOutput, int embeddingSize, int featuresSize) {}

    /**
     * The config as a record prints it, with every secret shown as {@code [hidden]}, as Kafka shows its own: the
     * registry's user info and truststore password, and each Kafka property that is a password or a JAAS line.
     */
    @Override
    public String toString() {
        java.util.StringJoiner out = new java.util.StringJoiner(", ", "PipelineConfig[", "]");
        for (java.lang.reflect.RecordComponent c : PipelineConfig.class.getRecordComponents()) {
            try {
                Object v = c.getAccessor().invoke(this);
                out.add(c.getName() + "=" + (v instanceof Map<?, ?> m ? hidden(m) : v));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return out.toString();
    }

    /** Whether a property's value is a secret: a password, a JAAS line, or the registry's user info. */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("password") || k.endsWith("jaas.config") || k.endsWith("user.info") || k.contains("secret")
                || k.endsWith("token");
    }

    /**
     * URLs with any user info masked: everything between {@code ://} and the last {@code @} of each URL, since an
     * unencoded password may hold {@code /}, {@code ?} or {@code @} (the registry client masks its URLs the same way).
     */
    static String withoutPasswords(String urls) {
        return urls.replaceAll("://[^,]*@", "://***@");
    }

    private static Map<Object, ?> hidden(Map<?, ?> m) {
        Map<Object, Object> out = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, isSecret(String.valueOf(k)) ? "[hidden]"
                : String.valueOf(k).endsWith("registry.url") && v != null ? withoutPasswords(v.toString()) : v));
        return out;
    }

    /** A config built by its keys, validated as a file is. */
    public static PipelineConfigBuilder builder() {
        return new PipelineConfigBuilder();
    }

    /** This config with {@code modality.health} as given (studies and tests). */
    public PipelineConfig withHealth(Health h) {
        return new PipelineConfig(applicationId, bootstrapServers, registry, classes, classPriors, modalities, strategy,
                fusionLevel, outputTopic, deadLetterTopic, maxWait, optionalWait, deadlineClock, punctuationInterval,
                maxHoldback, inputPartitioner, latePolicy, revisions, lateRetention, eventTimeMaxFuture, storeType,
                processingGuarantee, standbyReplicas, streamThreads, instanceId, commitInterval, brokerConnectTimeout,
                onnx, operatingPoints, http, kafka, h, quality);
    }

    public int numClasses() {
        return classes.size();
    }

    public int numModalities() {
        return modalities.size();
    }

    /** The index of {@code name} in config order, or -1. */
    public int modalityIndex(String name) {
        for (int i = 0; i < modalities.size(); i++) {
            if (modalities.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    public List<String> modalityNames() {
        return modalities.stream().map(ModalityConfig::name).toList();
    }

    /**
     * The topics the fusion app reads, one per modality in config order: the scores topics, or under early fusion
     * the features topics (each modality's {@code topic} is then its features topic).
     */
    public List<String> inputTopics() {
        return modalities.stream().map(ModalityConfig::topic).toList();
    }

    /** Under early fusion, the width of the head's features input: the sum of the modalities' feature counts. */
    public int featuresWidth() {
        return modalities.stream().mapToInt(ModalityConfig::featuresSize).sum();
    }
}
