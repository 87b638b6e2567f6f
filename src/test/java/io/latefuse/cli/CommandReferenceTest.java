package io.latefuse.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/reference.md's commands are picocli's usage help of every command ({@link CommandReference#markdown()}): a
 * changed option or description fails here until the doc is regenerated. The fresh text goes to
 * target/command-reference.md; with {@code -Dlatefuse.docs.update=true} it is written into the doc.
 */
class CommandReferenceTest {
    static final String START = "<!-- command-reference: generated from CommandReference.markdown(); edit the commands -->";
    static final String END = "<!-- /command-reference -->";
    private static final Path DOC = Path.of("docs", "reference.md");

    @Test
    void theReferencesCommandsAreTheUsageHelp() throws Exception {
        String doc = Files.readString(DOC);
        assertThat(doc).contains(START).contains(END);
        int from = doc.indexOf(START) + START.length();
        int to = doc.indexOf(END);
        String section = doc.substring(from, to).strip() + "\n";
        String expected = CommandReference.markdown();
        if (!section.equals(expected)) {
            if (Boolean.getBoolean("latefuse.docs.update")) {
                Files.writeString(DOC, doc.substring(0, from) + "\n" + expected + doc.substring(to));
                return;
            }
            Path fresh = Path.of("target", "command-reference.md");
            Files.createDirectories(fresh.getParent());
            Files.writeString(fresh, expected);
            assertThat(section).as(DOC + "'s commands; the generated text is in " + fresh
                    + " (or run with -Dlatefuse.docs.update=true)").isEqualTo(expected);
        }
    }

    @Test
    void everyCommandHasAHeading() throws Exception {
        String doc = Files.readString(DOC);
        Main.commandLine().getSubcommands().keySet().stream().filter(c -> !c.equals("help"))
                .forEach(c -> assertThat(doc).contains("### `" + c + "`"));
    }
}
