package io.latefuse.streams;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Throws away an app's local state that is too old to be brought up to date from its changelogs.
 *
 * <p>A compacted changelog keeps a deleted entry's tombstone only for {@code delete.retention.ms}. Local state last
 * brought up to date before an entry's tombstone was written, and reopened after the tombstone is gone, restores from
 * its checkpoint past where the tombstone was and keeps the entry: a pending event answered long ago would come back
 * and be answered again. So when the app starts, if its state directory was last known alive more than
 * {@code maxAge} ago (half the tombstone retention), its task directories are deleted and Kafka Streams restores them
 * from the changelogs in full, as it does after a crash under exactly-once.
 *
 * <p>"Last known alive" is the mtime of a marker file that a running app touches every {@link #TOUCH_EVERY}; with no
 * marker (state written by a version before this one), the newest file in the directory. Kafka Streams itself deletes
 * a task directory it has not owned for {@code state.cleanup.delay.ms} (10 minutes by default) while it runs.
 */
public final class StaleLocalState implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StaleLocalState.class);
    public static final String MARKER = "latefuse-alive";
    public static final Duration TOUCH_EVERY = Duration.ofMinutes(1);

    private final Path appDir;
    private final ScheduledExecutorService toucher;

    private StaleLocalState(Path appDir) {
        this.appDir = appDir;
        this.toucher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "latefuse-state-alive");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Deletes the task directories under {@code appDir} if it was last alive more than {@code maxAge} ago, then keeps
     * its marker fresh until closed. Call before Kafka Streams opens the directory.
     */
    public static StaleLocalState guard(Path appDir, Duration maxAge, Clock clock) {
        discardIfStale(appDir, maxAge, clock);
        StaleLocalState guard = new StaleLocalState(appDir);
        guard.toucher.scheduleWithFixedDelay(guard::touch, 0, TOUCH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        return guard;
    }

    /** The task directories deleted: none if the state is fresh enough, or there is none. */
    static List<Path> discardIfStale(Path appDir, Duration maxAge, Clock clock) {
        if (!Files.isDirectory(appDir)) {
            return List.of();
        }
        List<Path> tasks = taskDirectories(appDir);
        if (tasks.isEmpty()) {
            return List.of();
        }
        FileTime alive = lastAlive(appDir);
        Duration age = Duration.ofMillis(clock.millis() - alive.toMillis());
        if (age.compareTo(maxAge) <= 0) {
            return List.of();
        }
        log.warn("Local state in {} was last alive {} ago, more than {}: a changelog may have dropped tombstones it "
                + "has not read since; deleting {} task director{} to restore them from the changelogs in full",
                appDir, age.withNanos(0), maxAge, tasks.size(), tasks.size() == 1 ? "y" : "ies");
        for (Path task : tasks) {
            deleteRecursively(task);
        }
        return tasks;
    }

    /** Directories under the app's: Kafka Streams' task directories ("0_1", or "name__0_1" for named topologies). */
    private static List<Path> taskDirectories(Path appDir) {
        try (Stream<Path> entries = Files.list(appDir)) {
            return entries.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + appDir, e);
        }
    }

    private static FileTime lastAlive(Path appDir) {
        Path marker = appDir.resolve(MARKER);
        try {
            if (Files.exists(marker)) {
                return Files.getLastModifiedTime(marker);
            }
            List<FileTime> times = new ArrayList<>();
            Files.walkFileTree(appDir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    times.add(attrs.lastModifiedTime());
                    return FileVisitResult.CONTINUE;
                }
            });
            return times.stream().max(FileTime::compareTo).orElse(Files.getLastModifiedTime(appDir));
        } catch (IOException e) {
            throw new UncheckedIOException("reading the times of " + appDir, e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("deleting stale state " + dir, e);
        }
    }

    void touch() {
        try {
            Files.createDirectories(appDir);
            Path marker = appDir.resolve(MARKER);
            if (Files.exists(marker)) {
                Files.setLastModifiedTime(marker, FileTime.fromMillis(System.currentTimeMillis()));
            } else {
                Files.writeString(marker, "touched every minute while latefuse runs; see StaleLocalState\n");
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Could not touch {}: {}", appDir.resolve(MARKER), e.toString());
        }
    }

    /** Stops touching; touches once more, since the state is up to date as of a clean close. */
    @Override
    public void close() {
        toucher.shutdownNow();
        touch();
    }
}
