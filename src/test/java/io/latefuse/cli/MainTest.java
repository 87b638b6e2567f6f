package io.latefuse.cli;

import io.latefuse.tools.ToolsMain;
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
    void everyCommandTakesTheConfigTheSameWay() {
        CommandLine main = ToolsMain.commandLine(); // the runtime's commands and the tools'
        assertThat(main.getSubcommands().keySet()).containsAll(Main.commandLine().getSubcommands().keySet());
        java.util.List<String> withConfig = new java.util.ArrayList<>();
        for (CommandLine sub : main.getSubcommands().values()) {
            java.util.List<CommandLine> all = new java.util.ArrayList<>(java.util.List.of(sub));
            all.addAll(sub.getSubcommands().values());
            for (CommandLine c : all) {
                CommandLine.Model.OptionSpec option = c.getCommandSpec().findOption("--config");
                if (option != null) {
                    withConfig.add(c.getCommandName());
                    assertThat(option.names()).as(c.getCommandName()).containsExactly("-c", "--config");
                    assertThat(String.join(" ", option.description())).as(c.getCommandName())
                            .isEqualTo("Pipeline config file (YAML). Default: the environment variable LATEFUSE_CONFIG.");
                }
            }
        }
        assertThat(withConfig).contains("run", "score", "produce", "tail", "train", "evaluate", "demo", "generate",
                "bench-dsl-app", "digits", "ddsd");
    }

    @Test
    void aCommandWithoutAConfigSaysHowToGiveOne() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("LATEFUSE_CONFIG") == null);
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("run")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing the pipeline config: give --config FILE, or set LATEFUSE_CONFIG");
    }

    @Test
    void aDurationFlagWithoutItsUnitIsRefusedNotGuessed() {
        // `demo --duration 40` once ran for 40 milliseconds and printed "for 40".
        StringWriter err = new StringWriter();
        CommandLine cli = ToolsMain.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("demo", "--duration", "40")).isEqualTo(2);
        assertThat(err.toString()).contains("--duration").contains("'40' has no unit: write 40s for seconds, 40ms");

        assertThat(new DurationFlag().convert("0")).isZero();
        assertThat(new DurationFlag().convert("40s")).hasSeconds(40);
        assertThat(new DurationFlag().convert("250ms")).hasMillis(250);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DurationFlag().convert("soon"))
                .hasMessageContaining("'soon' is not a duration");
    }

    @Test
    void theRuntimeJarSaysWhereTheToolsAre() {
        for (String tool : java.util.List.of("demo", "bench")) {
            StringWriter err = new StringWriter();
            CommandLine cli = Main.commandLine();
            cli.setErr(new PrintWriter(err));
            assertThat(cli.execute(tool, "--duration", "5s")).as(tool).isEqualTo(2);
            assertThat(err.toString()).contains("java -jar target/latefuse-tools.jar " + tool);
        }
        assertThat(run("--help")).contains("demo").contains("bench");
    }

    /** Runs {@code run} on config/ddsd.yaml with {@code from} replaced by {@code to}; asserts exit code 2; returns stderr. */
    private static String runRefused(java.nio.file.Path dir, String from, String to) throws Exception {
        java.nio.file.Path bad = dir.resolve("bad.yaml");
        java.nio.file.Files.writeString(bad, java.nio.file.Files.readString(java.nio.file.Path.of("config/ddsd.yaml"))
                .replace(from, to));
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("run", "--config", bad.toString())).isEqualTo(2);
        return err.toString();
    }

    @Test
    void aBadConfigExitsWithCode2AndNamesTheKey(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        assertThat(runRefused(dir, "max.wait: 300ms", "max.wait: whenever"))
                .contains("max.wait = 'whenever'").contains("not a duration");
    }

    @Test
    void aKafkaKeyLatefuseSetsItselfExitsWithCode2(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        assertThat(runRefused(dir, "kafka: {}",
                "kafka: {processing.exception.handler: org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler}"))
                .contains("kafka.processing.exception.handler").contains("cannot be overridden");
    }

    @Test
    void aFusionHeadThatDoesNotFitExitsWithCode2AndShowsItsShapes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // A head for 3 modalities, but config/ddsd.yaml has 4.
        java.nio.file.Path head = dir.resolve("head.onnx");
        io.latefuse.fusion.OnnxGraphs.write(io.latefuse.fusion.OnnxGraphs.linearHead("scores", "mask", "p", 3, 2,
                new float[9][2], new float[2], true), head);
        java.nio.file.Path cfg = dir.resolve("onnx.yaml");
        java.nio.file.Files.writeString(cfg, java.nio.file.Files.readString(java.nio.file.Path.of("config/ddsd.yaml"))
                .replace("strategy: log_odds", "strategy: onnx\nonnx.model: " + head));
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("run", "--config", cfg.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("input 'scores'").contains("scores: float[?, 6]").contains("mask: float[?, 3]");

        // The same late head under an early config: it takes scores, which early fusion does not feed.
        java.nio.file.Path early = dir.resolve("early.yaml");
        java.nio.file.Files.writeString(early, """
                application.id: early
                bootstrap.servers: localhost:9092
                schema.registry.url: http://localhost:8081
                classes: [directed, undirected]
                fusion.level: early
                strategy: onnx
                onnx.model: %s
                modalities: [{name: a, features.size: 2}, {name: b, features.size: 2}, {name: c, features.size: 2}]
                """.formatted(head));
        err.getBuffer().setLength(0);
        assertThat(cli.execute("run", "--config", early.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("takes scores (input 'scores'), but fusion.level is early")
                .contains("The model has inputs [").contains("scores: float[?, 6]");
    }

    @Test
    void anUnreachableBrokerStopsRunProduceAndTailWithOneLineAndExitCode3(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort(); // free, and closed again: nothing listens there
        }
        java.nio.file.Path cfg = dir.resolve("nobroker.yaml");
        java.nio.file.Files.writeString(cfg, java.nio.file.Files.readString(java.nio.file.Path.of("config/ddsd.yaml"))
                .replace("bootstrap.servers: localhost:9092", "bootstrap.servers: localhost:" + port)
                + "\nbroker.connect.timeout: 2s\n");
        for (String[] args : java.util.List.of(new String[] {"run", "--config", cfg.toString()},
                new String[] {"tail", "--config", cfg.toString(), "--max", "1"},
                new String[] {"produce", "--config", cfg.toString(), "--synthetic", "ddsd", "--events", "1"})) {
            StringWriter err = new StringWriter();
            CommandLine cli = Main.commandLine();
            cli.setErr(new PrintWriter(err));
            long t = System.nanoTime();
            assertThat(cli.execute(args)).as(args[0]).isEqualTo(3);
            assertThat((System.nanoTime() - t) / 1_000_000_000.0).as("seconds to give up").isLessThan(20);
            assertThat(err.toString().strip()).startsWith("latefuse " + args[0] + ": Cannot reach Kafka at localhost:" + port
                    + " within 2s (broker.connect.timeout)").doesNotContain("\n");
        }
    }

    @Test
    void explainSaysWhenNoAppAnswers() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        StringWriter err = new StringWriter();
        int exit = Main.commandLine().setErr(new PrintWriter(err)).execute("explain", "--config", "config/ddsd.yaml",
                "--url", "http://127.0.0.1:" + closed, "e-1");
        assertThat(exit).isEqualTo(ExplainCommand.UNAVAILABLE);
        assertThat(err.toString()).startsWith("Cannot reach the fusion app at http://127.0.0.1:" + closed)
                .contains("--metrics-port").doesNotContain("\tat ");
    }

    @Test
    void aBusyMetricsPortIsNamed() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new io.latefuse.metrics.MetricsServer(busy.getLocalPort(),
                            new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT), null))
                    .isInstanceOf(java.net.BindException.class)
                    .hasMessageStartingWith("metrics port " + busy.getLocalPort() + " is already in use")
                    .hasMessageContaining("--metrics-port");
        }
    }

    @Test
    void schemasPrintsEachContractAsTheAvscFileHasItAndRegisteringNeedsATopic() throws Exception {
        String printed = run("schemas");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String[] parts = printed.split("(?m)^# ");
        assertThat(parts).hasSize(6); // the text before the first heading, then five contracts
        for (String part : java.util.Arrays.copyOfRange(parts, 1, 6)) {
            String name = part.substring(0, part.indexOf(' '));
            assertThat(part).startsWith(name + " (schemas/" + name + ".avsc)\n");
            assertThat(json.readTree(part.substring(part.indexOf('\n') + 1))).as(name)
                    .isEqualTo(json.readTree(java.nio.file.Path.of("schemas", name + ".avsc").toFile()));
        }
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("schemas", "--registry-url", "http://localhost:1")).isEqualTo(2);
        assertThat(err.toString()).contains("needs --topic TOPIC=CONTRACT");
    }

    @Test
    void versionNamesTheProject() {
        assertThat(run("--version")).startsWith("latefuse ").doesNotContain("unknown");
    }
}
