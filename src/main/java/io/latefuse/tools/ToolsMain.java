package io.latefuse.tools;

import io.latefuse.cli.Main;
import picocli.CommandLine;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command line of the tools artifact ({@code latefuse-tools.jar}): every runtime command, plus {@code demo} and
 * {@code bench}, which bring the embedded broker and registry. It sits above the runtime; nothing in the runtime
 * refers to it.
 */
public final class ToolsMain {
    private ToolsMain() {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        Map<String, Object> tools = new LinkedHashMap<>();
        tools.put("demo", new DemoCommand());
        tools.put("bench", new BenchCommand());
        tools.put("bench-dsl-app", new BenchDslAppCommand());
        return Main.commandLine(tools);
    }
}
