package io.latefuse.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    private static String run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        assertThat(cli.execute(args)).isZero();
        return out.toString();
    }

    @Test
    void helpListsTheCommands() {
        assertThat(run("--help")).contains("Usage: latefuse").contains("schemas");
    }

    @Test
    void versionNamesTheProject() {
        assertThat(run("--version")).startsWith("latefuse ").doesNotContain("unknown");
    }
}
