package io.latefuse.streams;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class StaleLocalStateTest {
    private static final Duration MAX_AGE = Duration.ofMinutes(30);
    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    /** An app directory as Kafka Streams leaves it: two task directories with stores, and its process file. */
    private static Path appDir(Path root, Duration filesAge) throws Exception {
        Path app = root.resolve("app");
        for (String task : new String[] {"0_0", "0_1"}) {
            Path store = Files.createDirectories(app.resolve(task).resolve("rocksdb").resolve("pending"));
            Files.writeString(store.resolve("000001.sst"), "x");
            Files.writeString(app.resolve(task).resolve(".checkpoint"), "0\n");
        }
        Files.writeString(app.resolve("kafka-streams-process-metadata"), "{}");
        Files.createDirectories(app.resolve("not-a-task"));
        try (var files = Files.walk(app)) {
            for (Path f : files.toList()) {
                Files.setLastModifiedTime(f, FileTime.from(NOW.minus(filesAge)));
            }
        }
        return app;
    }

    private static void recorded(Path app, String lines) throws Exception {
        Files.writeString(app.resolve(StaleLocalState.MARKER), lines);
    }

    private static String at(Duration ago) {
        return String.valueOf(NOW.minus(ago).toEpochMilli());
    }

    @Test
    void eachTaskIsJudgedByWhenItWasLastRecordedUpToDate(@TempDir Path root) throws Exception {
        Path app = appDir(root, Duration.ofMinutes(1)); // files fresh: the record decides
        recorded(app, "# header\n0_0 " + at(Duration.ofMinutes(29)) + "\n0_1 " + at(Duration.ofMinutes(31)) + "\n");
        assertThat(StaleLocalState.discardIfStale(app, MAX_AGE, CLOCK)).extracting(p -> p.getFileName().toString())
                .containsExactly("0_1");
        assertThat(app.resolve("0_0").resolve("rocksdb").resolve("pending").resolve("000001.sst")).exists();
        assertThat(app.resolve("0_1")).doesNotExist();
        // Only task directories: Kafka Streams' process id and anything else stay.
        assertThat(app.resolve("kafka-streams-process-metadata")).exists();
        assertThat(app.resolve("not-a-task")).exists();
    }

    @Test
    void withoutARecordTheNewestFileTellsTheAge(@TempDir Path root) throws Exception {
        // State written by a version before the record, or a task never held while RUNNING.
        Path app = appDir(root, Duration.ofHours(2));
        Path fresh = app.resolve("0_1").resolve(".checkpoint");
        Files.setLastModifiedTime(fresh, FileTime.from(NOW.minus(Duration.ofMinutes(5))));
        assertThat(StaleLocalState.discardIfStale(app, MAX_AGE, CLOCK)).extracting(p -> p.getFileName().toString())
                .containsExactly("0_0");
        assertThat(app.resolve("0_1")).exists();
    }

    @Test
    void staleStateIsLeftAloneWhileAnotherInstanceHoldsKafkaStreamsLock(@TempDir Path root) throws Exception {
        Path app = appDir(root, Duration.ofHours(3));
        try (FileChannel channel = FileChannel.open(app.resolve(StaleLocalState.KAFKA_LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = channel.lock()) {
            assertThat(StaleLocalState.discardIfStale(app, MAX_AGE, CLOCK)).isEmpty();
            assertThat(app.resolve("0_0")).exists();
        }
        assertThat(StaleLocalState.discardIfStale(app, MAX_AGE, CLOCK)).hasSize(2);
    }

    @Test
    void noStateNothingToDo(@TempDir Path root) {
        assertThat(StaleLocalState.discardIfStale(root.resolve("absent"), MAX_AGE, CLOCK)).isEmpty();
        assertThat(StaleLocalState.discardIfStale(root, MAX_AGE, CLOCK)).isEmpty();
    }

    @Test
    void onlyTasksHeldWhileRunningAreRecordedAndOthersKeepTheirTime(@TempDir Path root) throws Exception {
        String old = at(Duration.ofMinutes(20));
        Path app = appDir(root, Duration.ofMinutes(1));
        recorded(app, "0_1 " + old + "\n9_9 " + old + "\n");
        java.util.concurrent.atomic.AtomicReference<Optional<Set<String>>> running =
                new java.util.concurrent.atomic.AtomicReference<>(Optional.empty());
        try (StaleLocalState guard = StaleLocalState.guard(app, MAX_AGE, CLOCK)) {
            guard.follow(running::get);
            guard.record(); // not RUNNING: nothing is recorded
            assertThat(StaleLocalState.read(app.resolve(StaleLocalState.MARKER))).containsOnlyKeys("0_1", "9_9");
            running.set(Optional.of(Set.of("0_0")));
            guard.record();
            var times = StaleLocalState.read(app.resolve(StaleLocalState.MARKER));
            assertThat(times).containsOnlyKeys("0_0", "0_1");
            assertThat(times.get("0_0")).isGreaterThan(Instant.now().minusSeconds(60).toEpochMilli());
            assertThat(times.get("0_1")).isEqualTo(Long.parseLong(old));
        }
    }
}
