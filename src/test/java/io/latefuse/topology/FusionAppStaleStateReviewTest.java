package io.latefuse.topology;

import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.registry.InMemorySchemaRegistry;
import io.latefuse.streams.StaleLocalState;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Review of how FusionApp runs StaleLocalState. Offline: FusionApp's constructor builds Kafka Streams without
 * connecting (bootstrap localhost:1, the in-memory registry); nothing here is started.
 */
class FusionAppStaleStateReviewTest {
    private final String scope = "review-" + UUID.randomUUID();

    @AfterEach
    void dropScope() {
        InMemorySchemaRegistry.dropScope(scope);
    }

    private PipelineConfig config(String extraYaml) {
        return PipelineConfigLoader.parse("""
                application.id: stale-review
                bootstrap.servers: localhost:1
                schema.registry.url: mock://%s
                topic.prefix: t.
                classes: [directed, undirected]
                strategy: weighted_mean
                modalities:
                  - {name: acoustic}
                  - {name: lexical}
                max.wait: 300ms
                """.formatted(scope) + extraYaml, "review", Map.of());
    }

    private static long aliveTouchers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("latefuse-state-alive")).count();
    }

    /** A task directory with an (empty) checkpoint, as Kafka Streams leaves one at a clean close. */
    private static Path task(Path app, String id, Instant written) throws Exception {
        Path dir = Files.createDirectories(app.resolve(id));
        Path checkpoint = Files.writeString(dir.resolve(".checkpoint"), "0\n0\n");
        Files.setLastModifiedTime(checkpoint, FileTime.from(written));
        Files.setLastModifiedTime(dir, FileTime.from(written));
        return dir;
    }

    @Test
    void aConstructorThatFailsAfterTheGuardStartedLeavesNoTouchingThread(@TempDir Path root) throws Exception {
        // state.dir cannot be created (here: under a regular file): Kafka Streams' constructor throws, after
        // FusionApp started the guard's thread, which nothing can close now.
        Path notADir = Files.writeString(root.resolve("file"), "x");
        long before = aliveTouchers();
        assertThatThrownBy(() -> new FusionApp(config(""),
                Map.of(StreamsConfig.STATE_DIR_CONFIG, notADir.resolve("state").toString())))
                .isInstanceOf(RuntimeException.class);
        Thread.sleep(200);
        assertThat(aliveTouchers()).as("threads 'latefuse-state-alive' left running by the failed constructor")
                .isEqualTo(before);
    }

    @Test
    void anAppThatNeverRanDoesNotMakeOldStateLookFresh(@TempDir Path root) throws Exception {
        // Last brought up to date 20 min ago (its marker says so): fresh enough to keep, for 10 more minutes.
        Path app = root.resolve("stale-review");
        Instant lastUpToDate = Instant.now().minus(Duration.ofMinutes(20));
        Path task = task(app, "0_0", lastUpToDate);
        Path marker = Files.writeString(app.resolve(StaleLocalState.MARKER), "");
        Files.setLastModifiedTime(marker, FileTime.from(lastUpToDate));

        // `latefuse run` builds the app before it checks the broker; the broker is unreachable (exit 3) and the
        // app is closed without ever starting (RunCommand). Kafka Streams never read a changelog.
        FusionApp never = new FusionApp(config(""), Map.of(StreamsConfig.STATE_DIR_CONFIG, root.toString()));
        never.close();

        // 15 minutes later the next attempt starts: the state last followed its changelogs 35 min ago, more than
        // half the tombstone retention. It must go.
        try (StaleLocalState next = StaleLocalState.guard(app, Duration.ofMinutes(30),
                Clock.offset(Clock.systemUTC(), Duration.ofMinutes(15)))) {
            assertThat(task).as("state last up to date 35 min ago, kept because a run that never started Kafka "
                    + "Streams touched the marker (now %s)", Files.getLastModifiedTime(marker)).doesNotExist();
        }
    }

    @Test
    void aSecondStartOnTheSameStateDirectoryNeverDeletesTheRunningInstancesState(@TempDir Path root) throws Exception {
        // The user keeps tombstones a minute (topic.delete.retention.ms): the guard's bound is 30 s.
        PipelineConfig config = config("kafka: {topic.delete.retention.ms: 60000}\n");
        Path app = root.resolve("stale-review");
        Map<String, String> props = Map.of(StreamsConfig.STATE_DIR_CONFIG, root.toString());
        long before = aliveTouchers();
        try (FusionApp running = new FusionApp(config, props)) {
            // Kafka Streams holds the state directory's .lock from here on. A task directory of the running instance
            // that looks stale to a second guard (its files 3 h old, no record):
            Path task = task(app, "0_0", Instant.now().minus(Duration.ofHours(3)));
            // A second instance on the same directory (a duplicated process, an overlapping restart): Kafka Streams
            // refuses it, since the directory is locked; latefuse's guard runs before that check and must not delete.
            assertThatThrownBy(() -> new FusionApp(config, props)).hasMessageContaining("state");
            assertThat(task).as("the running instance's task directory").exists();
        }
        Thread.sleep(200);
        assertThat(aliveTouchers()).as("touchers left after both apps are gone").isEqualTo(before);
    }
}
