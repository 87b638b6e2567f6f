package io.latefuse.streams;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Throws away an app's local task state that is too old to be brought up to date from its changelogs.
 *
 * <p>A compacted changelog keeps a deleted entry's tombstone only for {@code delete.retention.ms}. Task state last
 * brought up to date before an entry's tombstone was written, and reopened after the tombstone is gone, restores from
 * its checkpoint past where the tombstone was and keeps the entry: a pending event answered long ago would come back
 * and be answered again. So when the app starts, each task directory last known up to date more than {@code maxAge}
 * ago (half the tombstone retention) is deleted, and Kafka Streams restores it from its changelogs in full, as it
 * does after a crash under exactly-once.
 *
 * <p>"Last known up to date" is per task: while Kafka Streams is RUNNING, every {@code min(1 min, maxAge / 4)} (and
 * once more just before a clean close), the time is recorded in the file {@link #MARKER} for each task this instance
 * holds, active or standby. A task directory with no record (state written by a version before this one, or a task
 * never held while RUNNING) is judged by its newest file. Nothing is recorded for an app that never ran, nor for the
 * tasks it no longer holds, whose directories Kafka Streams keeps until its cleaner removes them. Deletion happens
 * only with Kafka Streams' own lock on the directory ({@code .lock}) held, so the state of an instance running on the
 * same directory is never touched.
 */
public final class StaleLocalState implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StaleLocalState.class);
    public static final String MARKER = "latefuse-alive";
    /** Kafka Streams' lock file in the app's state directory (StateDirectory's LOCK_FILE_NAME). */
    static final String KAFKA_LOCK = ".lock";
    private static final Duration TOUCH_AT_MOST_EVERY = Duration.ofMinutes(1);
    private static final Pattern TASK_DIR = Pattern.compile("\\d+_\\d+|__.+__");

    private final Path appDir;
    private final Duration touchEvery;
    private final ScheduledExecutorService toucher;
    private volatile Supplier<Optional<Set<String>>> upToDate = Optional::empty;

    private StaleLocalState(Path appDir, Duration maxAge) {
        this.appDir = appDir;
        Duration quarter = maxAge.dividedBy(4);
        // At least 1 ms: a tombstone retention under 8 ms (0 is valid) would make it 0, which the executor refuses.
        this.touchEvery = quarter.compareTo(TOUCH_AT_MOST_EVERY) < 0 ? Duration.ofMillis(Math.max(1, quarter.toMillis()))
                : TOUCH_AT_MOST_EVERY;
        this.toucher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "latefuse-state-alive");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Deletes the task directories under {@code appDir} last up to date more than {@code maxAge} ago. Call before
     * Kafka Streams opens the directory, then {@link #follow} once it exists; close it on every path.
     */
    public static StaleLocalState guard(Path appDir, Duration maxAge, Clock clock) {
        discardIfStale(appDir, maxAge, clock);
        return new StaleLocalState(appDir, maxAge);
    }

    /**
     * Records the tasks {@code upToDate} names as up to date, now and every {@code min(1 min, maxAge / 4)}.
     *
     * @param upToDate the task directories (Kafka's task ids) whose state follows its changelogs right now: empty
     *                 unless Kafka Streams is RUNNING
     */
    public void follow(Supplier<Optional<Set<String>>> upToDate) {
        this.upToDate = upToDate;
        toucher.scheduleWithFixedDelay(this::record, touchEvery.toMillis(), touchEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The task directories deleted: none if all are fresh enough, or there are none. */
    static List<Path> discardIfStale(Path appDir, Duration maxAge, Clock clock) {
        if (!Files.isDirectory(appDir)) {
            return List.of();
        }
        List<Path> tasks = taskDirectories(appDir);
        if (tasks.isEmpty()) {
            return List.of();
        }
        Map<String, Long> recorded = read(appDir.resolve(MARKER));
        long now = clock.millis();
        List<Path> stale = new ArrayList<>();
        for (Path task : tasks) {
            Long at = recorded.get(task.getFileName().toString());
            long upToDate = at != null ? at : newestFile(task).toMillis();
            if (now - upToDate > maxAge.toMillis()) {
                stale.add(task);
            }
        }
        if (stale.isEmpty()) {
            return List.of();
        }
        try (FileChannel channel = FileChannel.open(appDir.resolve(KAFKA_LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException heldHere) {
                lock = null;
            }
            if (lock == null) {
                log.warn("Local state in {} has {} task director{} last up to date more than {} ago, but another "
                        + "instance holds the directory's lock: left alone", appDir, stale.size(),
                        stale.size() == 1 ? "y" : "ies", maxAge);
                return List.of();
            }
            try {
                log.warn("Deleting {} task director{} in {} last up to date more than {} ago ({}): a changelog may "
                                + "have dropped tombstones they have not read; they are restored from the changelogs "
                                + "in full", stale.size(), stale.size() == 1 ? "y" : "ies", appDir, maxAge,
                        stale.stream().map(p -> p.getFileName().toString()).toList());
                for (Path task : stale) {
                    deleteRecursively(task);
                }
            } finally {
                lock.release();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("locking " + appDir.resolve(KAFKA_LOCK), e);
        }
        return stale;
    }

    /** Kafka Streams' task directories ("0_1"; "__name__" for named topologies). */
    private static List<Path> taskDirectories(Path appDir) {
        try (Stream<Path> entries = Files.list(appDir)) {
            return entries.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                    && TASK_DIR.matcher(p.getFileName().toString()).matches()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + appDir, e);
        }
    }

    /** Task directory name to when it was last recorded up to date; empty for a missing or older-format file. */
    static Map<String, Long> read(Path marker) {
        Map<String, Long> out = new HashMap<>();
        if (!Files.isRegularFile(marker)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(marker, StandardCharsets.UTF_8)) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2 && !f[0].startsWith("#")) {
                    try {
                        out.put(f[0], Long.parseLong(f[1]));
                    } catch (NumberFormatException ignored) {
                        // not a record: judged by its files
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + marker, e);
        }
        return out;
    }

    private static FileTime newestFile(Path dir) {
        try {
            List<FileTime> times = new ArrayList<>();
            times.add(Files.getLastModifiedTime(dir));
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    times.add(attrs.lastModifiedTime());
                    return FileVisitResult.CONTINUE;
                }
            });
            return times.stream().max(FileTime::compareTo).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the times of " + dir, e);
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

    /** Records now for the tasks that are up to date, if Kafka Streams says any are; the others keep their time. */
    public synchronized void record() {
        try {
            Optional<Set<String>> tasks = upToDate.get();
            if (tasks.isEmpty()) {
                return;
            }
            Path marker = appDir.resolve(MARKER);
            Map<String, Long> times = new TreeMap<>(read(marker));
            long now = System.currentTimeMillis();
            tasks.get().forEach(t -> times.put(t, now));
            times.keySet().removeIf(t -> !Files.isDirectory(appDir.resolve(t))); // deleted by Kafka's cleaner
            StringBuilder text = new StringBuilder("# task directory, then when its state last followed its "
                    + "changelogs (epoch ms); written by latefuse, see StaleLocalState\n");
            times.forEach((t, at) -> text.append(t).append(' ').append(at).append('\n'));
            Path tmp = appDir.resolve(MARKER + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, marker, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            log.warn("Could not record which tasks are up to date in {}: {}", appDir.resolve(MARKER), e.toString());
        }
    }

    /** Stops recording. Call {@link #record} first on a clean close, while Kafka Streams is still RUNNING. */
    @Override
    public void close() {
        toucher.shutdownNow();
    }
}
