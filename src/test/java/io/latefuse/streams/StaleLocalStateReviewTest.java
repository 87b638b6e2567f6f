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

/**
 * Review of StaleLocalState: the marker says when the process was last alive, not when each task's state last followed
 * its changelog. Kafka Streams keeps the directory of a task this instance no longer owns (with the checkpoint written
 * when the task moved away) until its cleaner deletes it: {@code state.cleanup.delay.ms} after the directory was last
 * modified, and the cleaner first runs only {@code state.cleanup.delay.ms} (10 min) after start, only while RUNNING. An
 * instance restarted more often than that (a rolling deploy, a crash loop), or run with a larger
 * {@code state.cleanup.delay.ms}, keeps such a directory for hours under a marker touched a minute ago. When the task
 * comes back to it (the high-availability assignor prefers the client with the smallest lag, computed from that
 * checkpoint), Kafka Streams restores it from the old checkpoint: the tombstones written meanwhile and compacted away
 * after {@code delete.retention.ms} are never read, and the answered events come back as pending.
 */
class StaleLocalStateReviewTest {
    private static final Duration MAX_AGE = Duration.ofMinutes(30); // half of the 1 h tombstone retention
    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private static void task(Path app, String id, Instant lastWritten) throws Exception {
        Path dir = app.resolve(id);
        Path store = Files.createDirectories(dir.resolve("rocksdb").resolve("pending"));
        Files.writeString(store.resolve("000001.sst"), "x");
        Files.writeString(dir.resolve(".checkpoint"), "0\n1\napp-pending-changelog 0 42\n");
        try (var files = Files.walk(dir)) {
            for (Path f : files.toList()) {
                Files.setLastModifiedTime(f, FileTime.from(lastWritten));
            }
        }
    }

    @Test
    void aTaskDirectoryThatStoppedFollowingItsChangelogLongAgoIsDeletedThoughTheMarkerIsFresh(@TempDir Path root)
            throws Exception {
        Path app = root.resolve("app");
        task(app, "0_0", NOW.minus(Duration.ofMinutes(1)));  // this instance's active task, up to date
        task(app, "0_1", NOW.minus(Duration.ofHours(3)));    // moved to another instance 3 h ago; its dir stayed
        Files.writeString(app.resolve("kafka-streams-process-metadata"), "{}");
        Path marker = Files.writeString(app.resolve(StaleLocalState.MARKER), "");
        Files.setLastModifiedTime(marker, FileTime.from(NOW.minus(Duration.ofMinutes(1))));

        StaleLocalState.discardIfStale(app, MAX_AGE, CLOCK);

        assertThat(app.resolve("0_1")).as("0_1 last followed the pending changelog 3 h ago, longer than the 1 h its "
                + "tombstones are kept: restored from its checkpoint it keeps every event answered since").doesNotExist();
        assertThat(app.resolve("0_0")).as("0_0 is fresh").exists();
    }
}
