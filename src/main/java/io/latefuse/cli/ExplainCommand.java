package io.latefuse.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latefuse.config.PipelineConfig;
import io.latefuse.config.PipelineConfigLoader;
import io.latefuse.lookup.EventLookup;
import io.latefuse.lookup.EventView;
import io.latefuse.lookup.EventsEndpoint;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * What happened to one event, for a person: asks a running fusion app's {@code /events/{event_id}} (any instance;
 * it routes to the owner) and prints the answer. Exit code 0 when the event is known; 1 when the app answered that
 * it is not, and only then; 2 for bad usage (a malformed {@code --url}) or a refused token; 3 when no latefuse app
 * answered at {@code --url}: nothing listens there, it answered with an error status, or what it answered is not
 * an event lookup (a plain-text 404 from another server, say). 3, as for "no broker" elsewhere: there is nothing
 * latefuse to ask at that address, and the fix is the same whether the port is closed or something else holds it.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Say what a running fusion app knows of one event: pending or emitted, what arrived and what is "
                + "missing, its deadline, its last prediction and, if degraded, why.",
                "Exit codes: 0 the event is known; 1 the app answered that it is not; 2 bad usage (a malformed --url) "
                        + "or the token refused (http.token); 3 no latefuse app answered at --url: nothing listening, "
                        + "an error status, or an answer that is not an event lookup's."})
final class ExplainCommand implements Callable<Integer> {
    static final int UNKNOWN_EVENT = 1;
    static final int REFUSED = 2;
    static final int UNAVAILABLE = 3;
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    @CommandLine.Mixin
    ConfigOption configOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "EVENT_ID", description = "The event id, as in the records' key.")
    String eventId;

    @Option(names = "--url", defaultValue = "http://localhost:${env:LATEFUSE_METRICS_PORT:-9404}",
            description = "Any instance's HTTP server (run --metrics-port). Default: ${DEFAULT-VALUE}.")
    String url;

    @Option(names = "--json", description = "Print the endpoint's JSON as it is.")
    boolean json;

    @Option(names = "--wait", defaultValue = "10s", converter = DurationFlag.class,
            description = "How long to keep asking while the app rebalances (503). Default: ${DEFAULT-VALUE}.")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        PipelineConfig config = PipelineConfigLoader.load(configOption.path());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        URI target = target();
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10)).GET();
        if (!config.http().token().isEmpty()) {
            request.header("Authorization", "Bearer " + config.http().token());
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        long giveUp = System.nanoTime() + wait.toNanos();
        HttpResponse<String> response;
        while (true) {
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                err.println("Cannot reach the fusion app at " + url + " (" + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "): is it running with --metrics-port, "
                        + "and is --url right?");
                return UNAVAILABLE;
            }
            long retryMs = 1000L * response.headers().firstValue("Retry-After").map(EventLookup::seconds).orElse(1);
            if (response.statusCode() != 503 || System.nanoTime() + retryMs * 1_000_000 > giveUp) {
                break;
            }
            Thread.sleep(retryMs);
        }
        switch (response.statusCode()) {
            case 200, 404 -> {
                EventView view = eventView(response.body());
                if (view == null) {
                    err.println("No latefuse app answered at " + url + ": GET " + target.getRawPath() + " got "
                            + whatCameBack(response) + ", not an event lookup: is --url the fusion app's --metrics-port?");
                    return UNAVAILABLE;
                }
                if (json) {
                    out.println(response.body());
                } else {
                    describe(view, config, out);
                }
                return view.state() == EventView.State.UNKNOWN ? UNKNOWN_EVENT : 0;
            }
            case 401 -> {
                if (json) {
                    out.println(response.body());
                }
                err.println("The fusion app at " + url + " refused the token: set http.token (or LATEFUSE_HTTP_TOKEN) "
                        + "to the app's");
                return REFUSED;
            }
            default -> {
                if (json) {
                    out.println(response.body());
                }
                err.println("The fusion app at " + url + " answered " + response.statusCode() + ": " + error(response.body()));
                return UNAVAILABLE;
            }
        }
    }

    /** {@code --url} with the event's path; a malformed one is a usage error (exit code 2). */
    private URI target() {
        String base = url.strip().replaceAll("/+$", "");
        String problem;
        try {
            URI u = new URI(base);
            problem = !"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme())
                    ? "not an http:// or https:// URL" : u.getHost() == null ? "has no host"
                    : u.getPort() > 65535 ? "port " + u.getPort() + " is out of range" : null;
            if (problem == null) {
                URI target = URI.create(base + EventsEndpoint.PATH + EventLookup.encode(eventId));
                HttpRequest.newBuilder(target); // what the client refuses, refused here
                return target;
            }
        } catch (URISyntaxException e) {
            problem = "not a URL (" + e.getMessage() + ")";
        } catch (IllegalArgumentException e) {
            problem = "not a URL the HTTP client takes (" + e.getMessage() + ")";
        }
        throw new CommandLine.ParameterException(spec.commandLine(), "--url '" + url + "': " + problem
                + "; give the fusion app's HTTP server, e.g. http://localhost:9404");
    }

    /** The body as an event lookup's answer, or null when it is not one: not JSON, or no event_id and state. */
    static EventView eventView(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject() || !node.path("event_id").isTextual() || !node.path("state").isTextual()) {
                return null;
            }
            return JSON.treeToValue(node, EventView.class);
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** An answer, as one line: its status, content type and the start of its body. */
    private static String whatCameBack(HttpResponse<String> response) {
        String body = response.body() == null ? "" : response.body().strip().replaceAll("\\s+", " ");
        return response.statusCode() + response.headers().firstValue("Content-Type").map(t -> " (" + t + ")").orElse("")
                + (body.isEmpty() ? " with an empty body"
                : " \"" + (body.length() > 200 ? body.substring(0, 200) + "..." : body) + "\"");
    }

    private static String error(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node.has("error") ? node.get("error").asText() : body;
        } catch (IOException e) {
            return body;
        }
    }

    /** The answer as a person reads it: one headline, then one line per fact. */
    static void describe(EventView v, PipelineConfig config, PrintWriter out) {
        List<String> head = new ArrayList<>(List.of(v.state().name()));
        if (v.revision() != null) {
            head.add("revision " + v.revision());
        }
        if (v.prediction() != null) {
            head.add(v.prediction().status());
        }
        out.println("event " + v.eventId() + ": " + String.join(", ", head));
        if (v.prediction() != null) {
            line(out, "prediction", v.prediction().label() == null ? "(scores not kept by the release that emitted it)"
                    : v.prediction().label() + " (" + scores(v.prediction().scores(), config.classes()) + ")");
            if (v.prediction().decision() != null) {
                line(out, "decision", v.prediction().decision());
            }
        }
        if (v.present() != null) {
            line(out, "present", v.present().isEmpty() ? "none" : String.join(", ", v.present()));
            line(out, "missing", v.missing().isEmpty() ? "none" : String.join(", ", v.missing()));
        }
        if (v.quarantined() != null) {
            line(out, "quarantined", String.join(", ", v.quarantined()) + " (by the answering instance now: not "
                    + "fused, not awaited)");
        }
        if (v.firstArrival() != null) {
            line(out, "first arrival", v.firstArrival());
            line(out, "deadline", v.deadline() + " (" + v.deadlineClock() + " clock)");
        }
        if (v.reason() != null) {
            line(out, "why", v.reason());
        }
        if (v.owner() != null) {
            line(out, "answered by", v.owner() + (v.partition() == null ? "" : ", partition " + v.partition()));
        }
        out.flush();
    }

    private static String scores(List<Float> scores, List<String> classes) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < scores.size(); i++) {
            out.add((i < classes.size() ? classes.get(i) : "class " + i) + " " + String.format("%.3f", scores.get(i)));
        }
        return String.join(", ", out);
    }

    private static void line(PrintWriter out, String name, String value) {
        out.printf("  %-14s %s%n", name + ":", value);
    }
}
