package io.latefuse.streams;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

class StaleLocalStateTest {
    private static final Duration MAX_AGE = Duration.ofMinutes(30);
    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    /** An app directory as Kafka Streams leaves it: two task directories with stores, its process file, the marker. */
    private static Path appDir(Path root, Duration markerAge) throws Exception {
        Path app = root.resolve("app");
        for (String task : new String[] {"0_0", "0_1"}) {
            Path store = Files.createDirectories(app.resolve(task).resolve("rocksdb").resolve("pending"));
            Files.writeString(store.resolve("000001.sst"), "x");
            Files.writeString(app.resolve(task).resolve(".checkpoint"), "0\n");
        }
        Files.writeString(app.resolve("kafka-streams-process-metadata"), "{}");
        if (markerAge != null) {
            Path marker = Files.writeString(app.resolve(StaleLocalState.MARKER), "");
            Files.setLastModifiedTime(marker, FileTime.from(NOW.minus(markerAge)));
        }
        return app;
    }

    @Test
    void stateLastAliveLongerAgoThanTheBoundLosesItsTaskDirectoriesOnly(@TempDir Path root) throws Exception {
        Path app = appDir(root, Duration.ofMinutes(31));
        assertThat(StaleLocalState.discardIfStale(app, MAX_AGE, CLOCK)).extracting(p -> p.getFileName().toString())
                .containsExactly("0_0", "0_1");
        assertThat(app.resolve("0_0")).doesNotExist();
        assertThat(app.resolve("0_1")).doesNotExist();
        // Kafka Streams' process id stays: the instance is the same one, with its state to restore.
        assertThat(app.resolve("kafka-streams-process-metadata")).exists();
    }

    @Test
    void stateAliveWithinTheBoundIsKept(@TempDir Path root) throws Exception {
        Path app = appDir(root, Duration.ofMinutes(29));
        assertThat(StaleLocalState.discardIfStale(app, MAX_AGE, CLOCK)).isEmpty();
        assertThat(app.resolve("0_0").resolve("rocksdb").resolve("pending").resolve("000001.sst")).exists();
    }

    @Test
    void withoutAMarkerTheNewestFileTellsTheAge(@TempDir Path root) throws Exception {
        // State written by a version before the marker: its files' times are all there is.
        Path app = appDir(root, null);
        try (var files = Files.walk(app)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(f, FileTime.from(NOW.minus(Duration.ofHours(2))));
            }
        }
        Path fresh = app.resolve("0_1").resolve(".checkpoint");
        Files.setLastModifiedTime(fresh, FileTime.from(NOW.minus(Duration.ofMinutes(5))));
        assertThat(StaleLocalState.discardIfStale(app, MAX_AGE, CLOCK)).isEmpty();

        Files.setLastModifiedTime(fresh, FileTime.from(NOW.minus(Duration.ofMinutes(45))));
        assertThat(StaleLocalState.discardIfStale(app, MAX_AGE, CLOCK)).hasSize(2);
    }

    @Test
    void noStateNothingToDo(@TempDir Path root) {
        assertThat(StaleLocalState.discardIfStale(root.resolve("absent"), MAX_AGE, CLOCK)).isEmpty();
        assertThat(StaleLocalState.discardIfStale(root, MAX_AGE, CLOCK)).isEmpty();
    }

    @Test
    void aRunningGuardKeepsTheMarkerFreshAndTouchesItAtClose(@TempDir Path root) throws Exception {
        Path app = appDir(root, Duration.ofHours(3));
        // Stale at start: the tasks go; then the marker is written now and kept fresh.
        try (StaleLocalState guard = StaleLocalState.guard(app, MAX_AGE, CLOCK)) {
            assertThat(app.resolve("0_0")).doesNotExist();
            Path marker = app.resolve(StaleLocalState.MARKER);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    Files.getLastModifiedTime(marker).toInstant().isAfter(Instant.now().minusSeconds(60)));
            Files.setLastModifiedTime(marker, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
            guard.close();
            assertThat(Files.getLastModifiedTime(marker).toInstant()).isAfter(Instant.now().minusSeconds(60));
        }
    }
}
