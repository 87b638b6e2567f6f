package io.latefuse.docs;

import io.latefuse.streams.DeadLetterReason;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/reference.md's "Dead-letter reasons" table has a row for each {@link DeadLetterReason}, and no other. */
class DeadLetterReasonsReferenceTest {
    @Test
    void everyReasonHasARow() throws IOException {
        String section = MetricsReferenceTest.section(Files.readString(Path.of("docs", "reference.md")),
                "## Dead-letter reasons");
        Set<String> rows = new TreeSet<>();
        Matcher m = Pattern.compile("^\\| `([a-z_]+)` \\|", Pattern.MULTILINE).matcher(section);
        while (m.find()) {
            rows.add(m.group(1));
        }
        Set<String> codes = new TreeSet<>();
        Arrays.stream(DeadLetterReason.values()).map(DeadLetterReason::code).forEach(codes::add);
        assertThat(rows).as("docs/reference.md's dead-letter reasons").isEqualTo(codes);
    }

    @Test
    void theConceptsListEveryReasonToo() throws IOException {
        String concepts = Files.readString(Path.of("docs", "concepts.md"));
        assertThat(DeadLetterReason.values()).allSatisfy(r -> assertThat(concepts).contains("`" + r.code() + "`"));
    }
}
