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
        assertThat(high.err()).contains("--target-frr 1.5 is not a rate in (0, 1)").doesNotContain("\tat ");
        Ran zero = run("calibrate", "--config", "config/ddsd.yaml", "--data", "x.csv", "--target-far", "0",
                "--out", dir.resolve("p.json").toString());
        assertThat(zero.exit()).isEqualTo(2);
        assertThat(zero.err()).contains("--target-far 0.0 is not a rate in (0, 1)");
        Ran both = run("calibrate", "--config", "config/ddsd.yaml", "--data", "x.csv", "--target-frr", "0.1",
                "--target-far", "0.1", "--out", dir.resolve("p.json").toString());
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }
}
