package io.latefuse;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The allowed dependencies between latefuse's packages (docs/DESIGN.md, "Layering"). Each layer names what it may
 * use; a new arrow, or a cycle, fails the build. Production classes only: tests may reach across.
 */
@AnalyzeClasses(packages = "io.latefuse", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
            // leaves: the contracts, the config, and the clients latefuse writes itself
            .layer("avro").definedBy("io.latefuse.avro..")
            .layer("config").definedBy("io.latefuse.config..")
            .layer("registry").definedBy("io.latefuse.registry..")
            .layer("metrics").definedBy("io.latefuse.metrics..")
            .layer("progress").definedBy("io.latefuse.progress..")
            // what a fused prediction is, without Kafka
            .layer("fusion").definedBy("io.latefuse.fusion..")
            // modality.health: each modality judged online
            .layer("health").definedBy("io.latefuse.health..")
            // the Kafka Streams plumbing both apps share
            .layer("streams").definedBy("io.latefuse.streams..")
            // the two apps
            .layer("topology").definedBy("io.latefuse.topology..")
            .layer("scoring").definedBy("io.latefuse.scoring..")
            // the quality app: predictions judged against ground truth
            .layer("quality").definedBy("io.latefuse.quality..")
            // what the running fusion app answers about one event
            .layer("lookup").definedBy("io.latefuse.lookup..")
            // offline work, then the command line
            .layer("training").definedBy("io.latefuse.training..")
            .layer("cli").definedBy("io.latefuse.cli..")
            // the tools artifact: demo, bench and the embedded broker and registry
            .layer("tools").definedBy("io.latefuse.tools..", "io.latefuse.bench..", "io.latefuse.embedded..")
            // the bench's Flink job: its own artifact, latefuse-flink.jar
            .layer("flink").definedBy("io.latefuse.flink..")

            .whereLayer("avro").mayNotAccessAnyLayer()
            .whereLayer("config").mayNotAccessAnyLayer()
            .whereLayer("registry").mayNotAccessAnyLayer()
            .whereLayer("metrics").mayNotAccessAnyLayer()
            .whereLayer("progress").mayNotAccessAnyLayer()
            .whereLayer("fusion").mayOnlyAccessLayers("avro", "config")
            .whereLayer("health").mayOnlyAccessLayers("avro", "config", "fusion")
            .whereLayer("streams").mayOnlyAccessLayers("avro", "config", "registry", "metrics", "progress")
            .whereLayer("topology").mayOnlyAccessLayers("avro", "config", "registry", "metrics", "progress", "fusion",
                    "health", "streams")
            .whereLayer("scoring").mayOnlyAccessLayers("avro", "config", "registry", "fusion", "streams")
            .whereLayer("quality").mayOnlyAccessLayers("avro", "config", "registry", "metrics", "fusion", "streams")
            .whereLayer("lookup").mayOnlyAccessLayers("avro", "config", "fusion", "health", "topology")
            .whereLayer("training").mayOnlyAccessLayers("avro", "config", "registry", "fusion", "health", "scoring")
            .whereLayer("cli").mayOnlyAccessLayers("avro", "config", "registry", "metrics", "fusion", "health",
                    "streams", "topology", "scoring", "training", "lookup", "quality")
            .whereLayer("tools").mayNotBeAccessedByAnyLayer()
            .whereLayer("flink").mayOnlyAccessLayers("avro", "config", "registry", "fusion")
            .whereLayer("flink").mayNotBeAccessedByAnyLayer();

    @ArchTest
    static final ArchRule noCycles = slices().matching("io.latefuse.(*)..").should().beFreeOfCycles();

    /** What the runtime artifact (latefuse.jar) leaves out, the runtime's classes must not need. */
    @ArchTest
    static final ArchRule runtimeNeedsNoBrokerKit = noClasses()
            .that().resideOutsideOfPackages("io.latefuse.tools..", "io.latefuse.bench..", "io.latefuse.embedded..")
            .should().dependOnClassesThat().resideInAnyPackage("kafka..", "org.apache.kafka.common.test..",
                    "org.apache.kafka.server..", "org.apache.kafka.raft..", "org.apache.kafka.metadata..",
                    "org.apache.kafka.test..", "org.bouncycastle..", "scala..")
            .because("latefuse.jar ships without the broker test kit; only the tools artifact has it");

    /**
     * Flink and its Kafka connector ship only in latefuse-flink.jar (the bench's Flink variant, a child JVM): nothing
     * else may need them, or latefuse.jar and latefuse-tools.jar, which leave them out, would break.
     */
    @ArchTest
    static final ArchRule onlyTheFlinkJobNeedsFlink = noClasses()
            .that().resideOutsideOfPackage("io.latefuse.flink..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..")
            .because("Flink and its connector (with its own kafka-clients) are in latefuse-flink.jar alone");

    /** Libraries on the test classpath only: neither artifact (latefuse.jar, latefuse-tools.jar) carries them. */
    @ArchTest
    static final ArchRule noTestOnlyLibraries = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage("io.fabric8..", "tools.jackson..")
            .because("fabric8's Kubernetes model (and the Jackson 3 it brings) only checks deploy/kubernetes, in "
                    + "tests (KubernetesManifestsTest); the pom gives them test scope, so no artifact has them");
}
