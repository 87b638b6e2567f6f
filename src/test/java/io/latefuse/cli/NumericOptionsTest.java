package io.latefuse.cli;

import io.latefuse.tools.ToolsMain;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Numeric and duration options out of range are usage errors: exit code 2, and a first line naming the option and
 * the value as given; never a stack trace, never accepted (NaN was), never a command that cannot finish (a zero
 * --linger).
 */
class NumericOptionsTest {
    private record Ran(int exit, String err) {}

    private static Ran run(CommandLine cli, String... args) {
        StringWriter err = new StringWriter();
        java.io.PrintStream saved = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            int exit = cli.setOut(new PrintWriter(new StringWriter())).setErr(new PrintWriter(err)).execute(args);
            return new Ran(exit, err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    private static String firstLine(String s) {
        return s.lines().findFirst().orElse("");
    }

    /** {command words..., options...} and the first line it must be refused with. */
    private record Case(List<String> args, String refusal) {}

    private static Case refused(String refusal, String... args) {
        return new Case(List.of(args), refusal);
    }

    @Test
    void optionsOutOfRangeAreUsageErrorsNamingTheOptionAndValue(@TempDir Path dir) throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort(); // were a check missed, the command would find no broker here, soon
        }
        String cfg = Files.writeString(dir.resolve("c.yaml"), Files.readString(Path.of("config/ddsd.yaml"))
                .replace("bootstrap.servers: localhost:9092", "bootstrap.servers: localhost:" + closed)
                + "\nbroker.connect.timeout: 1s\n").toString();
        String data = dir.resolve("absent.csv").toString();
        String out = dir.resolve("out").toString();
        List<Case> cases = List.of(
                refused("--epochs 0: must be at least 1", "train", "--data", data, "--out", out, "--epochs", "0"),
                refused("--dropout NaN: must be in [0, 1)", "train", "--data", data, "--out", out, "--dropout", "NaN"),
                refused("--dropout 1: must be in [0, 1)", "train", "--data", data, "--out", out, "--dropout", "1"),
                refused("--hidden 0: must be at least 1", "train", "--data", data, "--out", out, "--hidden", "0"),
                refused("--batch-size -3: must be at least 1", "train", "--data", data, "--out", out, "--batch-size", "-3"),
                refused("--learning-rate 0: must be greater than 0", "train", "--data", data, "--out", out,
                        "--learning-rate", "0"),
                refused("--l2 Infinity: must be at least 0", "train", "--data", data, "--out", out, "--l2", "Infinity"),
                refused("--events -5: must be at least 1", "generate", "ddsd", "--out", out, "--events", "-5"),
                refused("--events 0: must be at least 1", "generate", "ddsd", "--out", out, "--events", "0"),
                refused("--target-frr NaN: must be in (0, 1)", "calibrate", "--data", data, "--out", out,
                        "--target-frr", "NaN"),
                refused("--min-events 0: must be at least 1", "calibrate", "--data", data, "--out", out,
                        "--target-far", "0.1", "--min-events", "0"),
                refused("--target-completeness 1.5: must be in (0, 1)", "advise", "--target-completeness", "1.5"),
                refused("Invalid value for option '--since': '0' is less than the minimum, 1ms", "advise", "--since", "0"),
                refused("Invalid value for option '--candidates' (<candidates>): 'PT-1S' is negative",
                        "advise", "--candidates", "100ms,PT-1S"),
                refused("--events 0: must be at least 1", "study", "ddsd", "--out", out, "--events", "0"),
                refused("--events -1: must be at least 0", "produce", "--synthetic", "ddsd", "--events", "-1"),
                refused("--rate 0: must be greater than 0", "produce", "--synthetic", "ddsd", "--rate", "0"),
                refused("--rate NaN: must be greater than 0", "produce", "--synthetic", "ddsd", "--rate", "NaN"),
                refused("--rate Infinity: must be greater than 0", "produce", "--synthetic", "ddsd", "--rate", "Infinity"),
                refused("--bad-rate 1.5: must be in [0, 1]", "produce", "--synthetic", "ddsd", "--bad-rate", "1.5"),
                refused("--late-delay -1: must be at least 0", "produce", "--synthetic", "ddsd", "--late-delay", "-1"),
                refused("--max -1: must be at least 0", "tail", "--max", "-1"),
                refused("--batch-size 0: must be at least 1", "score", "--modality", "acoustic", "--model", out,
                        "--batch-size", "0"),
                refused("--partitions 0: must be at least 1", "run", "--partitions", "0"),
                refused("--replication-factor 0: must be at least 1", "run", "--replication-factor", "0"),
                refused("--metrics-port 70000: must be in [0, 65535]", "run", "--metrics-port", "70000"),
                refused("Invalid value for option '--wait': 'PT-1S' is negative", "explain", "e-1", "--wait", "PT-1S"));
        SoftAssertions soft = new SoftAssertions(); // every case is run, and every one that fails is reported
        for (Case c : cases) {
            List<String> args = new ArrayList<>(c.args());
            args.addAll(c.args().get(0).equals("study") ? 2 : 1, List.of("--config", cfg));
            Ran r = run(Main.commandLine(), args.toArray(String[]::new));
            soft.assertThat(r.exit()).as(String.join(" ", args) + ": exit code").isEqualTo(2);
            soft.assertThat(firstLine(r.err())).as(String.join(" ", args)).isEqualTo(c.refusal());
            soft.assertThat(r.err()).as(String.join(" ", args)).doesNotContain("\tat ");
        }
        soft.assertAll();
    }

    @Test
    void theToolsCommandsToo() {
        for (Case c : List.of(
                refused("--rate NaN: must be greater than 0", "demo", "--rate", "NaN"),
                refused("--bad-rate 2: must be in [0, 1]", "demo", "--bad-rate", "2"),
                refused("Invalid value for option '--duration': '0.4ms' is not a whole number of milliseconds",
                        "demo", "--duration", "0.4ms"),
                refused("Invalid config bench options:", "bench", "--rate", "NaN"))) {
            Ran r = run(ToolsMain.commandLine(), c.args().toArray(String[]::new));
            assertThat(r.exit()).as(c.args() + ": " + r.err()).isEqualTo(2);
            assertThat(firstLine(r.err())).as(String.join(" ", c.args())).isEqualTo(c.refusal());
            assertThat(r.err()).doesNotContain("\tat ");
        }
    }

    @Test
    void lingerBelowOneMillisecondIsRefusedNamingTheMinimum() {
        // The scorer's task cannot start below 1 ms ("The minimum supported scheduling interval is 1 millisecond"),
        // and its thread was replaced in a loop that never ended.
        SoftAssertions soft = new SoftAssertions();
        for (String linger : new String[] {"0ms", "0", "PT-1S", "0.4ms", "PT0.0009S"}) {
            Ran r = run(Main.commandLine(), "score", "--config", "config/ddsd.yaml", "--modality", "acoustic",
                    "--model", "none.onnx", "--linger", linger);
            soft.assertThat(r.exit()).as(linger + ": " + r.err()).isEqualTo(2);
            soft.assertThat(firstLine(r.err())).isEqualTo("Invalid value for option '--linger': '" + linger
                    + "' is less than the minimum, 1ms");
        }
        soft.assertAll();
    }

    @Test
    void durationFlagsRefuseNegativeAndSubMillisecondValuesAndKeepTheRest() {
        DurationFlag flag = new DurationFlag();
        assertThatThrownBy(() -> flag.convert("PT-1S")).hasMessage("'PT-1S' is negative");
        assertThatThrownBy(() -> flag.convert("0.4ms")).hasMessage("'0.4ms' is not a whole number of milliseconds");
        assertThatThrownBy(() -> flag.convert("1.5ms")).hasMessage("'1.5ms' is not a whole number of milliseconds");
        assertThatThrownBy(() -> flag.convert("0.0000000001s")).hasMessage("'0.0000000001s' is not a whole number of milliseconds");
        assertThatThrownBy(() -> flag.convert("PT0.0004S")).hasMessage("'PT0.0004S' is not a whole number of milliseconds");
        assertThat(flag.convert("0")).isZero();
        assertThat(flag.convert("0ms")).isZero();
        assertThat(flag.convert("1ms")).isEqualTo(Duration.ofMillis(1));
        assertThat(flag.convert("1.5s")).isEqualTo(Duration.ofMillis(1_500));
        assertThat(flag.convert("0.25 S")).isEqualTo(Duration.ofMillis(250));
        assertThat(flag.convert("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(flag.convert("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(flag.convert("PT0.25S")).isEqualTo(Duration.ofMillis(250));
    }
}
