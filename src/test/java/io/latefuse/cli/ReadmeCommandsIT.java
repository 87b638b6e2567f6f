package io.latefuse.cli;

import io.latefuse.testkit.KafkaEnvironment;
import io.latefuse.testkit.RealKafka;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every shell command in the ```bash blocks of the README and then of docs/ ({@link #DOCS}, in that order: the README's
 * 5-minute path first, then the guides whose blocks build on nothing but their own), run as written, in the order
 * written, from a scratch
 * directory laid out like a clone (config/, data/, schemas/, and the built target/). Commands that need a cluster
 * get the test's broker and registry through the environment, as the README tells users to do, and a fresh
 * application id and topic prefix per config. What cannot run here is skipped with its reason, and a command the
 * test does not know fails it, so that the docs cannot grow a command nobody ran.
 */
@ExtendWith(RealKafka.class)
class ReadmeCommandsIT {
    /** Commands that run until stopped, and the output that says they are up. */
    private static final Pattern RUNNING = Pattern.compile("-> RUNNING");

    /**
     * The docs after README.md whose ```bash blocks run, in this order. Every docs/*.md with a ```bash block must be
     * here. The guides first; then EVALUATION.md's studies and the benchmarks, whose commands are skipped (the studies
     * ran above or are tested elsewhere, the benchmarks take minutes to hours) but still must be ones this test knows.
     */
    static final List<String> DOCS = List.of("docs/operations.md", "docs/models.md", "docs/concepts.md",
            "docs/reference.md", "docs/EVALUATION.md", "docs/BENCHMARKS.md", "docs/benchmarks-history.md",
            "docs/DESIGN.md");

    private final List<String> ran = new ArrayList<>();
    private final java.util.Set<String> studies = new java.util.HashSet<>();
    private final Map<String, String> skipped = new LinkedHashMap<>();
    private final List<String> substituted = new ArrayList<>();

    @Test
    void everyCommandInTheReadmeRunsAsWritten(KafkaEnvironment kafka, @TempDir Path dir) throws Exception {
        Path repo = Path.of("").toAbsolutePath();
        for (String linked : List.of("target", "data", "schemas")) {
            Files.createSymbolicLink(dir.resolve(linked), repo.resolve(linked));
        }
        Files.createDirectories(dir.resolve("config"));
        try (var configs = Files.list(repo.resolve("config"))) {
            for (Path c : configs.toList()) {
                Files.copy(c, dir.resolve("config").resolve(c.getFileName()));
            }
        }
        try {
            runAll(kafka, dir, repo);
        } finally {
            for (String linked : List.of("target", "data", "schemas")) {
                Files.deleteIfExists(dir.resolve(linked)); // the links, before JUnit's clean-up would warn about them
            }
        }
    }

    private void runAll(KafkaEnvironment kafka, Path dir, Path repo) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 6);
        try (var docs = Files.list(repo.resolve("docs"))) {
            for (Path d : docs.filter(p -> p.toString().endsWith(".md")).toList()) {
                if (!bashBlocks(Files.readString(d)).isEmpty()) {
                    assertThat(DOCS).as("ReadmeCommandsIT.DOCS: the docs whose bash blocks run").contains("docs/" + d.getFileName());
                }
            }
        }
        List<String> files = new ArrayList<>(List.of("README.md"));
        files.addAll(DOCS);
        List<List<String>> blocks = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String file : files) {
            List<List<String>> inFile = bashBlocks(Files.readString(repo.resolve(file)));
            if (file.equals("README.md")) {
                assertThat(inFile).as("the README's bash blocks").hasSizeGreaterThanOrEqualTo(4);
            }
            for (int i = 0; i < inFile.size(); i++) {
                blocks.add(inFile.get(i));
                names.add(file + " block " + (i + 1));
            }
        }
        assertThat(blocks).as("the docs' bash blocks").hasSizeGreaterThan(5);
        for (int b = 0; b < blocks.size(); b++) {
            Map<String, String> env = new HashMap<>();
            env.put("LATEFUSE_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
            env.put("LATEFUSE_SCHEMA_REGISTRY_URL", kafka.registryUrl());
            List<Started> background = new ArrayList<>();
            try {
                for (String line : expandLoops(blocks.get(b))) {
                    for (String part : line.split(" && ")) {
                        execute(names.get(b), part.trim(), env, dir, run, background);
                    }
                }
            } finally {
                for (Started s : background) {
                    s.stop();
                }
            }
        }
        System.out.printf("ReadmeCommandsIT: %d commands of the README and docs ran; %d skipped (%s); %d substitutions%n", ran.size(),
                skipped.size(), String.join("; ", new java.util.LinkedHashSet<>(skipped.values())), substituted.size());
        assertThat(ran).as("commands run").hasSizeGreaterThanOrEqualTo(15);
    }

    private void execute(String block, String command, Map<String, String> env, Path dir, String run,
                         List<Started> background) throws Exception {
        String where = block + ": " + command;
        Matcher study = Pattern.compile("java -jar target/latefuse\\.jar study (\\w+).*").matcher(command);
        if (command.startsWith("mvn ")) {
            skipped.put(where, "mvn: the build that runs this test");
        } else if (command.startsWith("export ")) {
            for (Map.Entry<String, String> a : assignments(command.substring("export ".length())).entrySet()) {
                String k = a.getKey();
                if (k.equals("LATEFUSE_BOOTSTRAP_SERVERS") || k.equals("LATEFUSE_SCHEMA_REGISTRY_URL")) {
                    substituted.add(k + " is the test's");
                } else if (k.startsWith("LATEFUSE_KAFKA_SECURITY") || k.startsWith("LATEFUSE_KAFKA_SASL")) {
                    substituted.add(k + " left out: the test's broker is plaintext");
                } else {
                    env.put(k, a.getValue());
                }
            }
        } else if (command.startsWith("docker ") || command.startsWith("curl ")) {
            skipped.put(where, "docker compose: no Docker engine here (CI validates the compose file)");
        } else if (command.startsWith("kubectl ")) {
            skipped.put(where, "kubectl: no Kubernetes cluster here (KubernetesManifestsTest checks the manifests)");
        } else if (command.startsWith("kafka-streams-application-reset")) {
            skipped.put(where, "kafka-streams-application-reset: Kafka's own tool, not shipped with latefuse");
        } else if (command.startsWith("kafka-configs")) {
            skipped.put(where, "kafka-configs: Kafka's own tool, not shipped with latefuse (ChangelogTopicsReviewTest"
                    + " checks the values against the changelogs a new app creates)");
        } else if (command.startsWith("java -jar target/latefuse-tools.jar bench")
                || command.matches("java .*-jar \\S*latefuse-tools\\.jar bench( .*)?")) {
            skipped.put(where, "bench: minutes per mode (BenchRunnerIT runs the benchmark)");
        } else if (block.startsWith("docs/benchmarks-history.md")
                && (command.matches("for \\w+ in .*; do set -- .*") || command.equals("done"))) {
            skipped.put(where, "the shell loop around a bench run (the bench runs are skipped)");
        } else if (block.startsWith("docs/EVALUATION.md") && study.matches()) {
            skipped.put(where, studies.contains(study.group(1))
                    ? "study " + study.group(1) + ": ran above, from docs/models.md"
                    : "study " + study.group(1) + ": the full study takes minutes (StudyCommandTest runs it on fewer events)");
        } else if (command.startsWith("java -jar target/")) {
            runJava(where, command, env, dir, run, background);
        } else {
            fail("The docs have a command this test does not know how to run; teach it, or skip it with a reason: "
                    + where);
        }
    }

    private void runJava(String where, String command, Map<String, String> env, Path dir, String run,
                         List<Started> background) throws Exception {
        boolean inBackground = command.endsWith("&");
        List<String> args = words(inBackground ? command.substring(0, command.length() - 1) : command);
        int rf = args.indexOf("--replication-factor");
        if (rf >= 0 && !args.get(rf + 1).equals("1")) {
            substituted.add("--replication-factor " + args.get(rf + 1) + " is 1 on the test's single broker");
            args.set(rf + 1, "1");
        }
        // A fresh application id and topic prefix per config, shared by the commands of one pipeline.
        int c = args.indexOf("--config");
        String config = c >= 0 ? args.get(c + 1) : env.getOrDefault("LATEFUSE_CONFIG", "config/ddsd.yaml");
        String pipeline = Path.of(config).getFileName().toString().replace(".yaml", "");
        Map<String, String> processEnv = new HashMap<>(env);
        processEnv.put("LATEFUSE_APPLICATION_ID", "readme-" + run + "-" + pipeline);
        processEnv.put("LATEFUSE_TOPIC_PREFIX", "readme" + run + "." + pipeline + ".");
        String verb = args.get(3);
        boolean server = verb.equals("run") || verb.equals("score") || verb.equals("quality")
                || (verb.equals("tail") && !args.contains("--max"))
                || (verb.equals("produce") && value(args, "--events").equals("0"))
                || (verb.equals("demo") && !args.contains("--duration"));
        Started s = Started.start(where, args, processEnv, dir);
        ran.add(where);
        if (verb.equals("study")) {
            studies.add(args.get(4));
        }
        if (!server) {
            s.awaitExit(300);
            return;
        }
        if (verb.equals("run") || verb.equals("score") || verb.equals("quality")) {
            s.awaitOutput(RUNNING, 180);
        } else if (verb.equals("demo")) {
            s.awaitOutput(Pattern.compile("demo t=\\d+s"), 180);
        } else {
            s.awaitAlive(10); // tail and an endless produce: running, not failed
        }
        if (inBackground) {
            background.add(s);
        } else {
            s.stop();
        }
    }

    private static String value(List<String> args, String option) {
        int i = args.indexOf(option);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : "";
    }

    /** One command in its own JVM, logging to a file. */
    private record Started(String where, Process process, Path log) {
        static Started start(String where, List<String> args, Map<String, String> env, Path dir) throws IOException {
            List<String> command = new ArrayList<>(args);
            command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add(1, "-Xmx320m");
            Path log = Files.createTempFile("readme-command-", ".log");
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().putAll(env);
            return new Started(where, pb.start(), log);
        }

        String output() throws IOException {
            return Files.readString(log);
        }

        void awaitExit(long seconds) throws Exception {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(where + " did not finish within " + seconds + " s:\n" + output());
            }
            assertThat(process.exitValue()).as(where + "\n" + output()).isZero();
        }

        void awaitOutput(Pattern ready, long seconds) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!ready.matcher(output()).find()) {
                if (!process.isAlive()) {
                    fail(where + " ended (exit " + process.exitValue() + ") before it was up:\n" + output());
                }
                if (System.nanoTime() > deadline) {
                    stop();
                    fail(where + " was not up within " + seconds + " s:\n" + output());
                }
                Thread.sleep(200);
            }
        }

        void awaitAlive(long seconds) throws Exception {
            if (process.waitFor(seconds, TimeUnit.SECONDS)) {
                fail(where + " ended (exit " + process.exitValue() + ") instead of running:\n" + output());
            }
        }

        /** SIGTERM, as Ctrl-C or an orchestrator stops it. */
        void stop() throws Exception {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail(where + " did not stop within 60 s of SIGTERM:\n" + output());
            }
        }
    }

    /** The logical lines of every ```bash block: continuations joined, comments and blank lines left out. */
    static List<List<String>> bashBlocks(String markdown) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        StringBuilder pending = new StringBuilder();
        for (String raw : markdown.split("\n", -1)) {
            if (current == null) {
                if (raw.strip().equals("```bash")) {
                    current = new ArrayList<>();
                }
                continue;
            }
            if (raw.strip().startsWith("```")) {
                blocks.add(current);
                current = null;
                continue;
            }
            String line = withoutComment(raw).strip();
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            line = (pending + line).strip();
            pending.setLength(0);
            if (!line.isEmpty()) {
                current.add(line.replaceAll("\\s+", " "));
            }
        }
        return blocks;
    }

    private static String withoutComment(String line) {
        boolean single = false;
        boolean dbl = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '\'' && !dbl) {
                single = !single;
            } else if (ch == '"' && !single) {
                dbl = !dbl;
            } else if (ch == '#' && !single && !dbl && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** {@code for x in a b; do CMD; done} over lines, expanded; {@code $x} substituted. */
    private static List<String> expandLoops(List<String> lines) {
        List<String> out = new ArrayList<>();
        Pattern head = Pattern.compile("for (\\w+) in (.+); do");
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = head.matcher(lines.get(i));
            if (!m.matches()) {
                out.add(lines.get(i));
                continue;
            }
            List<String> body = new ArrayList<>();
            while (!lines.get(++i).equals("done")) {
                body.add(lines.get(i));
            }
            for (String v : m.group(2).trim().split(" ")) {
                body.forEach(l -> out.add(l.replace("$" + m.group(1), v)));
            }
        }
        return out;
    }

    /** Shell words: spaces split, quotes group and are removed. */
    static List<String> words(String command) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char quote = 0;
        boolean any = false;
        for (char ch : command.toCharArray()) {
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    w.append(ch);
                }
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                any = true;
            } else if (Character.isWhitespace(ch)) {
                if (any || w.length() > 0) {
                    out.add(w.toString());
                    w.setLength(0);
                    any = false;
                }
            } else {
                w.append(ch);
            }
        }
        if (any || w.length() > 0) {
            out.add(w.toString());
        }
        return out;
    }

    private static Map<String, String> assignments(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String word : words(text)) {
            int eq = word.indexOf('=');
            out.put(word.substring(0, eq), word.substring(eq + 1));
        }
        return out;
    }
}
