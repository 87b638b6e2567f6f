package io.latefuse.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** Review of issue 27 item 13: exit 1 is "the app says the event is unknown", and nothing else. */
class ExplainExitCodesReviewTest {
    private record Ran(int exit, String out, String err) {}

    private static Ran explain(String url) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute("explain", "--config", "config/ddsd.yaml", "--url", url, "e-1");
        return new Ran(exit, out.toString(), err.toString());
    }

    @Test
    void aUrlWithAPortOutOfRangeIsAUsageErrorNotAnUnknownEvent() {
        // java.net.URI takes any digits as a port, and the HTTP client's builder takes the URI; only send() refuses it,
        // with an IllegalArgumentException, which is not an IOException: Main's handler makes it exit code 1.
        Ran r = explain("http://127.0.0.1:99999");
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
    }
}
