package io.latefuse.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.latefuse.config.ConfigKeys;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.streams.StreamsLifecycle;
import io.latefuse.streams.StreamsProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes manifests in deploy/kubernetes, checked offline: each file parses as the Kubernetes objects it
 * should be (fabric8's model; KEDA's as generic resources), with no field the model does not know; the objects agree
 * with each other (names, labels, selectors, ports); and what they give the app is what the app reads. The
 * pipeline config in the ConfigMap, with the environment the StatefulSet sets (downward API and the example Secret's
 * placeholders filled in as Kubernetes would), goes through {@link PipelineConfigLoader} as a pod's would.
 */
class KubernetesManifestsTest {
    private static final Path DIR = Path.of("deploy/kubernetes");
    /** The YAML as Kubernetes reads it; then fabric8's model, which is on Jackson 3, from its JSON. */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonMapper MODEL = JsonMapper.builder().build();

    /** The pod the environment is resolved for. */
    private static final String POD = "latefuse-0";
    private static final String NAMESPACE = "streaming";

    /** The app's health paths: the HTTP server's own, so that a path the app no longer serves fails here. */
    private static final String READY_PATH = io.latefuse.metrics.MetricsServer.READY;
    private static final String LIVE_PATH = io.latefuse.metrics.MetricsServer.LIVE;
    private static final String METRICS_PATH = "/metrics";
    private static final String PARTITIONS_ANNOTATION = "latefuse.io/input-partitions";

    private static Map<Path, List<KubernetesResource>> objects;
    private static StatefulSet sts;
    private static Container app;
    private static Secret secret;
    private static ConfigMap configMap;
    private static Map<String, String> env;

    @BeforeAll
    static void parse() throws IOException {
        objects = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                if (!f.getFileName().toString().equals("kustomization.yaml")) {
                    objects.put(DIR.relativize(f), read(f));
                }
            }
        }
        sts = only("statefulset.yaml", StatefulSet.class);
        app = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        secret = only("secret.example.yaml", Secret.class);
        configMap = only("configmap.yaml", ConfigMap.class);
        env = resolve(app.getEnv());
    }

    @Test
    void everyManifestIsTheObjectItShouldBeWithNoFieldTheModelDoesNotKnow() {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("configmap.yaml", "v1 ConfigMap latefuse-config");
        expected.put("keda/scaledobject.yaml", "keda.sh/v1alpha1 ScaledObject latefuse");
        expected.put("keda/triggerauthentication.yaml", "keda.sh/v1alpha1 TriggerAuthentication latefuse-kafka");
        expected.put("poddisruptionbudget.yaml", "policy/v1 PodDisruptionBudget latefuse");
        expected.put("secret.example.yaml", "v1 Secret latefuse-secrets");
        expected.put("service-headless.yaml", "v1 Service latefuse-headless");
        expected.put("service.yaml", "v1 Service latefuse");
        expected.put("statefulset.yaml", "apps/v1 StatefulSet latefuse");
        Map<String, String> found = new LinkedHashMap<>();
        objects.forEach((file, list) -> {
            assertThat(list).as(file + ": one object").hasSize(1);
            HasMetadata o = (HasMetadata) list.get(0);
            found.put(file.toString().replace('\\', '/'), o.getApiVersion() + " " + o.getKind() + " "
                    + o.getMetadata().getName());
            if (o.getApiVersion().startsWith("keda.sh/")) {
                assertThat(o).as(file + ": KEDA has no fabric8 model").isInstanceOf(GenericKubernetesResource.class);
            } else {
                assertThat(o).as(file + ": a typed Kubernetes object").isNotInstanceOf(GenericKubernetesResource.class);
                List<String> unknown = new ArrayList<>();
                unknownFields(o, file.toString(), unknown, 0);
                assertThat(unknown).as(file + ": fields Kubernetes does not know (a typo?)").isEmpty();
            }
            assertThat(o.getMetadata().getLabels()).as(file + ": labels").containsAllEntriesOf(podLabels());
            assertThat(o.getMetadata().getNamespace()).as(file + ": namespace left to kubectl or kustomize").isNull();
        });
        assertThat(found).isEqualTo(expected);
    }

    @Test
    void theKustomizationsApplyEverythingButTheExampleSecretAndKeda() throws IOException {
        JsonNode base = YAML.readTree(DIR.resolve("kustomization.yaml").toFile());
        assertThat(base.path("kind").asText()).isEqualTo("Kustomization");
        assertThat(strings(base.path("resources"))).containsExactlyInAnyOrder("configmap.yaml",
                "service-headless.yaml", "service.yaml", "statefulset.yaml", "poddisruptionbudget.yaml");
        String image = app.getImage();
        assertThat(base.path("images").get(0).path("name").asText()).as("the image kustomize sets")
                .isEqualTo(image.substring(0, image.lastIndexOf(':')));
        JsonNode keda = YAML.readTree(DIR.resolve("keda/kustomization.yaml").toFile());
        assertThat(strings(keda.path("resources"))).containsExactlyInAnyOrder("scaledobject.yaml",
                "triggerauthentication.yaml");
    }

    @Test
    void theServicesAndTheBudgetSelectTheStatefulSetsPods() {
        Map<String, String> labels = sts.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(sts.getSpec().getSelector().getMatchLabels()).isEqualTo(podLabels());
        assertThat(labels).containsAllEntriesOf(podLabels());

        Service headless = only("service-headless.yaml", Service.class);
        assertThat(sts.getSpec().getServiceName()).isEqualTo(headless.getMetadata().getName());
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses())
                .as("a restoring pod still owns its events: lookups must still reach it by name").isTrue();
        Service service = only("service.yaml", Service.class);
        for (Service s : List.of(headless, service)) {
            assertThat(s.getSpec().getSelector()).isEqualTo(podLabels());
            assertThat(s.getSpec().getPorts()).singleElement().satisfies(p -> {
                assertThat(containerPort(p.getTargetPort())).isEqualTo(metricsPort());
                assertThat(p.getPort()).isEqualTo(metricsPort());
            });
        }

        PodDisruptionBudget pdb = only("poddisruptionbudget.yaml", PodDisruptionBudget.class);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(podLabels());
        assertThat(pdb.getSpec().getMaxUnavailable()).isEqualTo(new IntOrString(1));
        assertThat(pdb.getSpec().getMinAvailable()).isNull();
    }

    @Test
    void everyLatefuseVariableIsOneTheAppReadsWithInstanceIdAmongTheKeys() {
        Set<String> keyVariables = ConfigKeys.TOP_LEVEL.stream().filter(k -> !k.name().equals("kafka"))
                .map(k -> PipelineConfigLoader.envName(k.name())).collect(Collectors.toSet());
        String kafkaPrefix = PipelineConfigLoader.envName("kafka") + "_";
        List<String> latefuse = app.getEnv().stream().map(EnvVar::getName)
                .filter(n -> n.startsWith(PipelineConfigLoader.ENV_PREFIX)).toList();
        assertThat(latefuse).isNotEmpty().doesNotHaveDuplicates();
        for (String name : latefuse) {
            assertThat(keyVariables.contains(name) || ConfigKeys.COMMAND_VARIABLES.containsKey(name)
                    || name.startsWith(kafkaPrefix))
                    .as(name + ": a config key's variable, a command's, or LATEFUSE_KAFKA_<property>").isTrue();
        }
        // Static membership: the pod's name is the key instance.id (Kafka's group.instance.id).
        assertThat(ConfigKeys.topLevel("instance.id")).as("the config key instance.id (static membership)").isPresent();
        assertThat(PipelineConfigLoader.envName("instance.id")).isEqualTo("LATEFUSE_INSTANCE_ID");
        assertThat(env).containsEntry("LATEFUSE_INSTANCE_ID", POD);
    }

    @Test
    void theConfigMapsPipelineLoadsWithThePodsEnvironment() {
        String configFile = env.get("LATEFUSE_CONFIG");
        VolumeMount mount = mount(configFile);
        Volume volume = volume(mount.getName());
        assertThat(volume.getConfigMap().getName()).isEqualTo(configMap.getMetadata().getName());
        assertThat(mount.getReadOnly()).isTrue();
        String key = Path.of(mount.getMountPath()).relativize(Path.of(configFile)).toString();
        assertThat(configMap.getData()).containsKey(key);

        PipelineConfig cfg = PipelineConfigLoader.parse(configMap.getData().get(key), "configmap.yaml " + key, env);

        assertThat(cfg.http().advertisedHost()).isEqualTo(POD + "." + sts.getSpec().getServiceName() + "."
                + NAMESPACE + ".svc");
        assertThat(cfg.http().token()).isEqualTo(secret.getStringData().get("http-token"));
        assertThat(cfg.kafka()).containsEntry("state.dir", env.get("LATEFUSE_KAFKA_STATE_DIR"))
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"" + secret.getStringData().get("kafka-username") + "\" password=\""
                        + secret.getStringData().get("kafka-password") + "\";");
        assertThat(cfg.registry()).containsEntry("basic.auth.user.info",
                secret.getStringData().get("schema-registry-user-info"));
        // every Secret key the pod reads is in the example, which is what docs/operations.md tells users to create
        app.getEnv().stream().filter(e -> e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                .forEach(e -> assertThat(e.getValueFrom().getSecretKeyRef().getName())
                        .isEqualTo(secret.getMetadata().getName()));
    }

    @Test
    void thePortTheProbesAndTheScrapeAnnotationsAreTheAppsServer() {
        int port = metricsPort();
        assertThat(app.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(port));
        assertThat(app.getStartupProbe()).as("a start may wait for brokers and restore state").isNotNull();
        assertThat(probe(app.getStartupProbe())).isEqualTo(LIVE_PATH);
        assertThat(probe(app.getLivenessProbe())).isEqualTo(LIVE_PATH);
        assertThat(probe(app.getReadinessProbe())).isEqualTo(READY_PATH);
        assertThat(patience(app.getStartupProbe())).as("seconds a pod has to start and restore")
                .isGreaterThanOrEqualTo(600);
        assertThat(patience(app.getLivenessProbe())).as("seconds without an answer before a restart")
                .isGreaterThanOrEqualTo(60);

        Map<String, String> annotations = sts.getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", String.valueOf(port))
                .containsEntry("prometheus.io/path", METRICS_PATH);
    }

    @Test
    void thePodRunsAsTheImagesUserOnAReadOnlyRootWithItsStateOnItsOwnVolume() throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        PodSpec pod = sts.getSpec().getTemplate().getSpec();
        long uid = Long.parseLong(group(dockerfile, "--uid (\\d+)"));
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(uid);
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getFsGroup()).as("the state volume writable by the user").isNotNull();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var sc = app.getSecurityContext();
        assertThat(sc.getRunAsNonRoot()).isTrue();
        assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(sc.getCapabilities().getAdd()).isNullOrEmpty();
        assertThat(sc.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        // Kubernetes' service links would add LATEFUSE_PORT..., which the config loader refuses
        assertThat(pod.getEnableServiceLinks()).isFalse();
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();

        // The state directory: the image's, and the claim template's volume
        String stateDir = env.get("LATEFUSE_KAFKA_STATE_DIR");
        assertThat(stateDir).isEqualTo(group(dockerfile, "ENV LATEFUSE_KAFKA_STATE_DIR=(\\S+)"));
        VolumeMount state = mount(stateDir + "/x");
        assertThat(state.getMountPath()).isEqualTo(stateDir);
        assertThat(state.getReadOnly()).isNotEqualTo(Boolean.TRUE);
        assertThat(sts.getSpec().getVolumeClaimTemplates()).singleElement().satisfies(c -> {
            assertThat(c.getMetadata().getName()).isEqualTo(state.getName());
            assertThat(c.getSpec().getResources().getRequests()).containsKey("storage");
        });
        // The native libraries unpack to /tmp: writable, though the root is not
        VolumeMount tmp = mount("/tmp/x");
        assertThat(tmp.getMountPath()).isEqualTo("/tmp");
        assertThat(volume(tmp.getName()).getEmptyDir()).isNotNull();
    }

    @Test
    void resourcesAreSetAndTheHeapFollowsTheMemoryLimit() throws IOException {
        Map<String, Quantity> requests = app.getResources().getRequests();
        Map<String, Quantity> limits = app.getResources().getLimits();
        assertThat(requests).containsKeys("cpu", "memory");
        assertThat(limits).containsKeys("cpu", "memory");
        assertThat(requests.get("memory").getNumericalAmount()).isEqualByComparingTo(limits.get("memory").getNumericalAmount());
        assertThat(requests.get("cpu").getNumericalAmount()).isLessThanOrEqualTo(limits.get("cpu").getNumericalAmount());
        // The image's entrypoint, with the heap as a share of the limit
        String entrypoint = group(Files.readString(Path.of("Dockerfile")), "ENTRYPOINT \\[(.*)]");
        String jar = group(entrypoint, "\"-jar\", \"([^\"]+)\"");
        assertThat(app.getCommand()).startsWith("java").endsWith("-jar", jar);
        assertThat(app.getCommand()).anyMatch(a -> a.matches("-XX:MaxRAMPercentage=\\d+(\\.\\d+)?"));
        assertThat(app.getArgs()).containsExactly("run");
        assertThat(env).doesNotContainKey("JAVA_TOOL_OPTIONS");
    }

    @Test
    void theGracePeriodCoversACleanClose() {
        long grace = sts.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        // Kafka Streams' close, then the HTTP server and the JVM: 10 s for what follows the close
        assertThat(grace).isGreaterThanOrEqualTo(StreamsLifecycle.CLOSE_TIMEOUT.toSeconds() + 10);
    }

    @Test
    void kedaScalesTheStatefulSetWithinThePartitionsAndScalesInSlowly() {
        PipelineConfig cfg = PipelineConfigLoader.parse(configMap.getData().get("pipeline.yaml"), "configmap.yaml", env);
        GenericKubernetesResource so = only("keda/scaledobject.yaml", GenericKubernetesResource.class);
        JsonNode spec = YAML.valueToTree(so.getAdditionalProperties()).path("spec");

        JsonNode target = spec.path("scaleTargetRef");
        assertThat(target.path("apiVersion").asText()).isEqualTo(sts.getApiVersion());
        assertThat(target.path("kind").asText()).isEqualTo(sts.getKind());
        assertThat(target.path("name").asText()).isEqualTo(sts.getMetadata().getName());

        int partitions = Integer.parseInt(so.getMetadata().getAnnotations().get(PARTITIONS_ANNOTATION));
        assertThat(sts.getMetadata().getAnnotations()).containsEntry(PARTITIONS_ANNOTATION, String.valueOf(partitions));
        int max = spec.path("maxReplicaCount").asInt(-1);
        int min = spec.path("minReplicaCount").asInt(-1);
        assertThat(max).as("maxReplicaCount, at most the input partitions").isBetween(1, partitions);
        assertThat(min).as("minReplicaCount").isBetween(1, max);
        assertThat(sts.getSpec().getReplicas()).as("replicas, at most the input partitions").isBetween(1, partitions);

        JsonNode trigger = spec.path("triggers").get(0);
        assertThat(spec.path("triggers")).hasSize(1);
        assertThat(trigger.path("type").asText()).isEqualTo("kafka");
        JsonNode meta = trigger.path("metadata");
        assertThat(meta.path("consumerGroup").asText()).as("the app's group").isEqualTo(cfg.applicationId());
        assertThat(meta.path("bootstrapServers").asText()).isEqualTo(cfg.bootstrapServers());
        assertThat(meta.path("topic").isMissingNode()).as("every input topic: the group's").isTrue();
        assertThat(meta.path("sasl").asText().replaceAll("[-_]", "")).as("KEDA's sasl, the app's sasl.mechanism")
                .isEqualToIgnoringCase(cfg.kafka().get("sasl.mechanism").replaceAll("[-_]", ""));
        assertThat(meta.path("tls").asText()).isEqualTo(cfg.kafka().get("security.protocol").endsWith("SSL")
                ? "enable" : "disable");

        GenericKubernetesResource auth = only("keda/triggerauthentication.yaml", GenericKubernetesResource.class);
        assertThat(trigger.path("authenticationRef").path("name").asText()).isEqualTo(auth.getMetadata().getName());
        JsonNode refs = YAML.valueToTree(auth.getAdditionalProperties()).path("spec").path("secretTargetRef");
        Set<String> parameters = new TreeSet<>();
        refs.forEach(r -> {
            parameters.add(r.path("parameter").asText());
            assertThat(r.path("name").asText()).isEqualTo(secret.getMetadata().getName());
            assertThat(secret.getStringData()).containsKey(r.path("key").asText());
        });
        assertThat(parameters).containsExactly("password", "username");

        // Scale-in: a static member that goes costs a session timeout, then a move and a restore
        long sessionSeconds = sessionTimeoutMs(cfg) / 1000;
        JsonNode down = spec.path("advanced").path("horizontalPodAutoscalerConfig").path("behavior").path("scaleDown");
        assertThat(down.path("stabilizationWindowSeconds").asLong()).isGreaterThanOrEqualTo(5 * sessionSeconds);
        assertThat(down.path("policies")).isNotEmpty().allSatisfy(p -> {
            assertThat(p.path("type").asText()).isEqualTo("Pods");
            assertThat(p.path("value").asInt()).isEqualTo(1);
            assertThat(p.path("periodSeconds").asLong()).isGreaterThanOrEqualTo(sessionSeconds);
        });
    }

    // ---------------------------------------------------------------------------------------------------------

    private static List<KubernetesResource> read(Path file) throws IOException {
        List<KubernetesResource> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    out.add(MODEL.readValue(JSON.writeValueAsString(doc), KubernetesResource.class));
                }
            }
        }
        return out;
    }

    private static <T> T only(String file, Class<T> type) {
        List<KubernetesResource> list = objects.get(Path.of(file));
        assertThat(list).as(file).hasSize(1);
        assertThat(list.get(0)).as(file).isInstanceOf(type);
        return type.cast(list.get(0));
    }

    private static Map<String, String> podLabels() {
        return Map.of("app.kubernetes.io/name", "latefuse", "app.kubernetes.io/component", "fusion");
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /**
     * The container's environment as Kubernetes makes it for pod {@link #POD} in {@link #NAMESPACE}: the downward
     * API, the example Secret's values, and {@code $(VAR)} references to variables defined before.
     */
    private static Map<String, String> resolve(List<EnvVar> vars) {
        Map<String, String> out = new LinkedHashMap<>();
        Pattern ref = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
        for (EnvVar v : vars) {
            String value;
            if (v.getValueFrom() == null) {
                Matcher m = ref.matcher(v.getValue());
                StringBuilder sb = new StringBuilder();
                while (m.find()) {
                    assertThat(out).as(v.getName() + " refers to " + m.group(1) + ", defined before it").containsKey(m.group(1));
                    m.appendReplacement(sb, Matcher.quoteReplacement(out.get(m.group(1))));
                }
                value = m.appendTail(sb).toString();
            } else if (v.getValueFrom().getFieldRef() != null) {
                value = switch (v.getValueFrom().getFieldRef().getFieldPath()) {
                    case "metadata.name" -> POD;
                    case "metadata.namespace" -> NAMESPACE;
                    default -> throw new AssertionError(v.getName() + ": unexpected field " + v.getValueFrom().getFieldRef());
                };
            } else if (v.getValueFrom().getSecretKeyRef() != null) {
                var s = v.getValueFrom().getSecretKeyRef();
                assertThat(s.getName()).as(v.getName()).isEqualTo(secret.getMetadata().getName());
                assertThat(secret.getStringData()).as(v.getName() + ": the example Secret's keys").containsKey(s.getKey());
                value = secret.getStringData().get(s.getKey());
            } else {
                throw new AssertionError(v.getName() + ": a source this test does not resolve: " + v.getValueFrom());
            }
            assertThat(out.put(v.getName(), value)).as(v.getName() + " set twice").isNull();
        }
        return out;
    }

    private static int metricsPort() {
        return Integer.parseInt(env.get("LATEFUSE_METRICS_PORT"));
    }

    /** A port by number or by the container port's name. */
    private static int containerPort(IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return app.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal())).getContainerPort();
    }

    /** The probe's path, once its port is the app's. */
    private static String probe(Probe p) {
        assertThat(p).isNotNull();
        assertThat(containerPort(p.getHttpGet().getPort())).isEqualTo(metricsPort());
        assertThat(p.getTimeoutSeconds()).as("probe timeout").isGreaterThanOrEqualTo(2);
        return p.getHttpGet().getPath();
    }

    /** How long a probe fails before Kubernetes acts: period times failure threshold (defaults 10 s and 3). */
    private static int patience(Probe p) {
        return (p.getPeriodSeconds() == null ? 10 : p.getPeriodSeconds())
                * (p.getFailureThreshold() == null ? 3 : p.getFailureThreshold());
    }

    /** The mount that holds {@code file}: the one with the longest mount path above it. */
    private static VolumeMount mount(String file) {
        return app.getVolumeMounts().stream().filter(m -> Path.of(file).startsWith(m.getMountPath()))
                .max(java.util.Comparator.comparingInt(m -> m.getMountPath().length()))
                .orElseThrow(() -> new AssertionError("no volume mounted above " + file));
    }

    private static Volume volume(String name) {
        return sts.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no volume " + name));
    }

    /** The main consumer's session timeout, as the app would configure it. */
    private static long sessionTimeoutMs(PipelineConfig cfg) {
        Object set = new StreamsConfig(StreamsProperties.of(cfg)).getMainConsumerConfigs(cfg.applicationId(), "c", 0)
                .get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
        Object value = set != null ? set
                : ConsumerConfig.configDef().defaultValues().get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
        return Long.parseLong(value.toString());
    }

    private static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(regex).isTrue();
        return m.group(1);
    }

    /** Fields the model kept aside as unknown (its additional properties), anywhere in the object. */
    private static void unknownFields(Object o, String at, List<String> unknown, int depth) {
        if (o == null || depth > 40) {
            return;
        }
        if (o instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                unknownFields(list.get(i), at + "[" + i + "]", unknown, depth + 1);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, at + "." + k, unknown, depth + 1));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers())
                    || m.getDeclaringClass().isInterface() || !m.getName().startsWith("get")
                    || !m.getDeclaringClass().getName().startsWith("io.fabric8.")) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(o);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(at + "." + m.getName(), e);
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(at + ": " + extra.keySet());
                }
                continue;
            }
            String field = m.getName().substring(3);
            unknownFields(value, at + "." + field.substring(0, 1).toLowerCase(Locale.ROOT) + field.substring(1),
                    unknown, depth + 1);
        }
    }
}
