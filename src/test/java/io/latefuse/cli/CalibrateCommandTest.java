package io.latefuse.cli;

import io.latefuse.config.OperatingPoints;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** calibrate and evaluate --operating-points from the command line, on the synthetic DDSD stream. */
class CalibrateCommandTest {
    private record Ran(int exit, String out, String err) {}

    private static Ran run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        java.io.ByteArrayOutputStream stdout = new java.io.ByteArrayOutputStream();
        java.io.PrintStream saved = System.out;
        // Before the commands are made: calibrate and evaluate print to the System.out they were made with.
        System.setOut(new java.io.PrintStream(stdout, true));
        int exit;
        try {
            exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        } finally {
            System.setOut(saved);
        }
        return new Ran(exit, stdout + out.toString(), err.toString());
    }

    @Test
    void calibrateWritesPointsThatTheConfigAndEvaluateTake(@TempDir Path dir) throws Exception {
        Path validation = dir.resolve("validation.csv");
        Path test = dir.resolve("test.csv");
        assertThat(run("generate", "ddsd", "--seed", "5", "--events", "6000", "--out", validation.toString()).exit()).isZero();
        assertThat(run("generate", "ddsd", "--seed", "6", "--events", "6000", "--out", test.toString()).exit()).isZero();
        Path points = dir.resolve("points.json");

        Ran calibrated = run("calibrate", "--config", "config/ddsd.yaml", "--data", validation.toString(),
                "--target-frr", "0.1", "--out", points.toString());
        assertThat(calibrated.exit()).as(calibrated.err()).isZero();
        assertThat(calibrated.out()).contains("Operating point frr-0.10 for log_odds (FRR 0.1000, positive class directed)")
                .contains("(global: every event)").contains("acoustic+lexical+prosody+visual")
                .contains("set operating.points: " + points);
        OperatingPoints read = OperatingPoints.read(points);
        assertThat(read.subsets()).isNotEmpty();

        PipelineConfig withPoints = PipelineConfigLoader.parse(Files.readString(Path.of("config/ddsd.yaml"))
                + "operating.points: " + points + "\n", "ddsd", Map.of());
        assertThat(withPoints.operatingPoints()).isEqualTo(read);

        Ran evaluated = run("evaluate", "--config", "config/ddsd.yaml", "--data", test.toString(),
                "--operating-points", points.toString());
        assertThat(evaluated.exit()).as(evaluated.err()).isZero();
        assertThat(evaluated.out()).contains("## Operating point frr-0.10: FRR 0.10 on directed")
                .contains("| present | events | FRR, global | FRR, per subset | FAR, global | FAR, per subset |")
                .containsPattern("\\| acoustic\\+lexical\\+prosody\\+visual \\| \\d+ \\| \\d+\\.\\d% \\|")
                .contains("with one global threshold, and at most");

        // Points learned for another strategy are refused, by the config and by evaluate.
        Path vote = Files.writeString(dir.resolve("vote.yaml"), Files.readString(Path.of("config/ddsd.yaml"))
                .replace("strategy: log_odds", "strategy: vote") + "operating.points: " + points + "\n");
        Ran refused = run("evaluate", "--config", vote.toString(), "--data", test.toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("operating.points").contains("calibrated for strategy log_odds, but strategy is vote");
    }

    @Test
    void aTargetOutsideZeroToOneOrTwoTargetsAreUsageErrors(@TempDir Path dir) {
        Ran high = run("calibrate", "--config", "config/ddsd.yaml", "--data", "x.csv", "--target-frr", "1.5",
                "--out", dir.resolve("p.json").toString());
        assertThat(high.exit()).isEqualTo(2);
        assertThat(high.err()).contains("--target-frr 1.5: must be in (0, 1)").doesNotContain("\tat ");
        Ran zero = run("calibrate", "--config", "config/ddsd.yaml", "--data", "x.csv", "--target-far", "0",
                "--out", dir.resolve("p.json").toString());
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("--target-far 0: must be in (0, 1)");
        Ran both = run("calibrate", "--config", "config/ddsd.yaml", "--data", "x.csv", "--target-frr", "0.1",
                "--target-far", "0.1", "--out", dir.resolve("p.json").toString());
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    /**
     * Issue 26, item 5: with vote, an event with one modality scores 0 or 1. When more than floor(0.05 * 200) = 10
     * of a subset's 200 negatives have their one vote for the positive class, no threshold holds a 5% false-accept
     * rate there. calibrate used to write the float after 1.0 for it, exit 0, and leave a file run and evaluate refuse.
     */
    @Test
    void aFalseAcceptTargetThatCannotBeHeldIsSaidAndTheFileStillLoads(@TempDir Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("event_id,label,acoustic_directed,acoustic_undirected,lexical_directed,"
                + "lexical_undirected,prosody_directed,prosody_undirected,visual_directed,visual_undirected\n");
        for (int i = 0; i < 200; i++) { // acoustic alone: 40 of 200 negatives vote directed
            csv.append("a").append(i).append(",undirected,").append(i < 40 ? "0.8,0.2" : "0.2,0.8").append(",,,,,,\n");
        }
        for (int i = 0; i < 100; i++) {
            csv.append("ap").append(i).append(",directed,0.9,0.1,,,,,,\n");
        }
        for (int i = 0; i < 600; i++) { // all four: the acoustic vote alone goes astray, so the global target holds
            csv.append("f").append(i).append(",undirected,").append(i % 3 == 0 ? "0.7,0.3" : "0.3,0.7")
                    .append(",0.2,0.8,0.3,0.7,0.4,0.6\n");
            csv.append("fp").append(i).append(",directed,0.7,0.3,0.8,0.2,0.6,0.4,0.9,0.1\n");
        }
        Path validation = Files.writeString(dir.resolve("validation.csv"), csv);
        String voteYaml = Files.readString(Path.of("config/ddsd.yaml")).replace("strategy: log_odds", "strategy: vote");
        Path vote = Files.writeString(dir.resolve("vote.yaml"), voteYaml);
        Path points = dir.resolve("far.json");

        Ran calibrated = run("calibrate", "--config", vote.toString(), "--data", validation.toString(),
                "--target-far", "0.05", "--out", points.toString());
        assertThat(calibrated.exit()).as(calibrated.err()).isZero();
        assertThat(calibrated.out()).contains("Subset [acoustic]: the FAR target 0.05 cannot be held: 40 of the 200 "
                + "negatives score 1.0, which any threshold up to 1.0 accepts; the threshold is capped at 1.0, where "
                + "the FAR is 0.2000").doesNotContain("Global threshold:");
        OperatingPoints read = OperatingPoints.read(points);
        assertThat(read.subsets()).filteredOn(s -> s.present().equals(List.of("acoustic"))).singleElement()
                .satisfies(s -> assertThat(s.threshold()).isEqualTo(1.0));
        assertThat(read.globalThreshold()).isLessThan(1.0);

        PipelineConfig withPoints = PipelineConfigLoader.parse(voteYaml + "operating.points: " + points + "\n", "vote",
                Map.of());
        assertThat(withPoints.operatingPoints()).isEqualTo(read);
        Ran evaluated = run("evaluate", "--config", vote.toString(), "--data", validation.toString(),
                "--operating-points", points.toString());
        assertThat(evaluated.exit()).as(evaluated.err()).isZero();
        assertThat(evaluated.out()).contains("## Operating point far-0.05: FAR 0.05 on directed")
                .contains("| acoustic | 300 | 0.0% | 0.0% | 20.0% | 20.0% |");
    }

    /** calibrate checks its file as the config loader would, and writes none that run and evaluate would refuse. */
    @Test
    void calibrateWritesNoFileTheLoaderWouldRefuse(@TempDir Path dir) throws Exception {
        PipelineConfig cfg = PipelineConfigLoader.parse(Files.readString(Path.of("config/ddsd.yaml")), "ddsd", Map.of());
        Path out = Files.writeString(dir.resolve("points.json"), "earlier\n");
        // What calibrate wrote before the fix: the float after 1.0.
        OperatingPoints bad = new OperatingPoints("far-0.05", "log_odds", "directed", OperatingPoints.Metric.FAR, 0.05,
                0.7, 1000, List.of(new OperatingPoints.Subset(List.of("acoustic"), Math.nextUp(1f), 400)), List.of());
        assertThat(CalibrateCommand.writeChecked(bad, cfg, out))
                .containsExactly("subset [acoustic]'s threshold 1.0000001192092896 is not a probability");
        assertThat(Files.readString(out)).isEqualTo("earlier\n");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(out); // no temporary file left behind
        }

        OperatingPoints other = new OperatingPoints("p", "vote", "directed", OperatingPoints.Metric.FRR, 0.1, 0.5,
                1000, List.of(new OperatingPoints.Subset(List.of("gaze"), 0.5, 400)), List.of());
        assertThat(CalibrateCommand.writeChecked(other, cfg, out)).containsExactly(
                "they were calibrated for strategy vote, but strategy is log_odds: calibrate again for it",
                "subset [gaze] names modality 'gaze', which the config does not have (configured: acoustic, lexical, "
                        + "prosody, visual)");
        assertThat(Files.readString(out)).isEqualTo("earlier\n");

        OperatingPoints good = new OperatingPoints("far-0.05", "log_odds", "directed", OperatingPoints.Metric.FAR, 0.05,
                0.7, 1000, List.of(new OperatingPoints.Subset(List.of("acoustic"), 1.0, 400)), List.of());
        assertThat(CalibrateCommand.writeChecked(good, cfg, out)).isEmpty();
        assertThat(OperatingPoints.read(out)).isEqualTo(good);
        if (out.getFileSystem().supportedFileAttributeViews().contains("posix")) { // as readable as any file written
            Path plain = Files.writeString(dir.resolve("plain"), "");
            assertThat(Files.getPosixFilePermissions(out)).isEqualTo(Files.getPosixFilePermissions(plain));
            Files.delete(plain);
        }
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(out);
        }
    }
}
