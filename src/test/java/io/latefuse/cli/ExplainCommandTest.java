package io.latefuse.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** explain's exit codes, against a tiny HTTP server on a free port: 1 means an unknown event, and nothing else. */
class ExplainCommandTest {
    private record Ran(int exit, String out, String err) {}

    private HttpServer server;

    private static Ran explain(String url, String... more) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("explain", "--config",
                "config/ddsd.yaml", "--url", url, "e-1"));
        args.addAll(java.util.List.of(more));
        int exit = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args.toArray(String[]::new));
        return new Ran(exit, out.toString(), err.toString());
    }

    /** A server answering every request with {@code status}, {@code type} and {@code body}; its base URL. */
    private String serve(int status, String type, String body) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", x -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", type);
            x.sendResponseHeaders(status, bytes.length);
            x.getResponseBody().write(bytes);
            x.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void aPlainTextNotFoundIsNoAppNotAnUnknownEvent() throws Exception {
        String url = serve(404, "text/plain", "404 page not found");
        Ran r = explain(url);
        assertThat(r.exit()).as(r.err()).isEqualTo(ExplainCommand.UNAVAILABLE).isEqualTo(3);
        assertThat(r.err()).isEqualTo("No latefuse app answered at " + url + ": GET /events/e-1 got 404 (text/plain) "
                + "\"404 page not found\", not an event lookup: is --url the fusion app's --metrics-port?"
                + System.lineSeparator());
        assertThat(r.out()).isEmpty();
    }

    @Test
    void jsonThatIsNotAnEventLookupIsNoAppEither() throws Exception {
        String url = serve(200, "application/json", "{\"status\": \"UP\"}");
        Ran r = explain(url, "--json");
        assertThat(r.exit()).as(r.err()).isEqualTo(3);
        assertThat(r.err()).contains(url).contains("got 200 (application/json) \"{\"status\": \"UP\"}\"")
                .doesNotContain("\tat ");
        assertThat(r.out()).as("--json prints an event lookup's answer only").isEmpty();
    }

    @Test
    void theAppSayingItDoesNotKnowTheEventIsExitCode1() throws Exception {
        String url = serve(404, "application/json", "{\"event_id\": \"e-1\", \"state\": \"UNKNOWN\", \"reason\": \"no score of it was read\"}");
        Ran r = explain(url);
        assertThat(r.exit()).as(r.err()).isEqualTo(ExplainCommand.UNKNOWN_EVENT).isEqualTo(1);
        assertThat(r.out()).startsWith("event e-1: UNKNOWN").contains("no score of it was read");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void aKnownEventIsExitCode0() throws Exception {
        String url = serve(200, "application/json", "{\"event_id\": \"e-1\", \"state\": \"PENDING\", \"present\": [\"acoustic\"], "
                + "\"missing\": [\"lexical\", \"prosody\", \"visual\"]}");
        Ran r = explain(url);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("event e-1: PENDING").contains("missing:").contains("lexical, prosody, visual");
    }

    @Test
    void aMalformedUrlIsAUsageError() {
        for (String url : new String[] {"http://[::1", "localhost:9404", "ftp://localhost:9404", "http://"}) {
            Ran r = explain(url);
            assertThat(r.exit()).as(url + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().lines().findFirst().orElseThrow()).as(url).startsWith("--url '" + url + "': ")
                    .contains("e.g. http://localhost:9404");
            assertThat(r.err()).as(url).doesNotContain("\tat ");
        }
    }

    @Test
    void nothingListeningIsExitCode3() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Ran r = explain("http://127.0.0.1:" + closed);
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).startsWith("Cannot reach the fusion app at http://127.0.0.1:" + closed).doesNotContain("\tat ");
    }

    @Test
    void theHelpListsTheExitCodes() {
        StringWriter out = new StringWriter();
        assertThat(Main.commandLine().setOut(new PrintWriter(out)).execute("explain", "--help")).isZero();
        assertThat(out.toString().replaceAll("\\s+", " ")).contains("Exit codes: 0 the event is known; 1 the app "
                + "answered that it is not; 2 bad usage (a malformed --url) or the token refused (http.token); 3 no "
                + "latefuse app answered at --url");
    }
}
