package io.latefuse.cli;

import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The commands section of docs/reference.md, generated from picocli's usage help of {@link Main#commandLine()}:
 * one heading and one usage block per command. {@code CommandReferenceTest} fails when the doc differs.
 */
public final class CommandReference {
    private CommandReference() {}

    /** The usage width the reference is generated at, whatever the terminal. */
    static final int WIDTH = 110;

    public static String markdown() {
        CommandLine cli = Main.commandLine();
        List<String> out = new ArrayList<>();
        out.add("```text");
        out.add(usage(cli).strip());
        out.add("```");
        for (Map.Entry<String, CommandLine> e : cli.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            out.add("");
            out.add("### `" + e.getKey() + "`");
            out.add("");
            out.add("```text");
            out.add(usage(e.getValue()).strip());
            out.add("```");
        }
        return String.join("\n", out) + "\n";
    }

    private static String usage(CommandLine cli) {
        cli.setUsageHelpWidth(WIDTH);
        cli.setUsageHelpAutoWidth(false);
        String text = cli.getUsageMessage(CommandLine.Help.Ansi.OFF);
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            lines.add(line.stripTrailing());
        }
        return String.join("\n", lines);
    }
}
