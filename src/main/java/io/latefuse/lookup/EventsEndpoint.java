package io.latefuse.lookup;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * {@code GET /events/{event_id}} (the id percent-encoded as one path segment): the event's state as JSON, from
 * {@link EventLookup}. It shows scores, so when a token is configured every request must carry
 * {@code Authorization: Bearer <token>} (the scheme in any case, as RFC 7235 has it), or is answered 401. Every
 * answer is JSON; a failed lookup is answered 500 without what failed, which is logged.
 */
public final class EventsEndpoint implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(EventsEndpoint.class);
    /** Where it is served; the id follows. */
    public static final String PATH = "/events/";
    /** The server context it answers: {@code /events} itself too, with a 400 that says what to give. */
    public static final String CONTEXT = "/events";

    private static final String SCHEME = "Bearer";

    private final EventLookup lookup;
    private final byte[] token;

    /** @param token the bearer token every request must carry, or empty for none */
    public EventsEndpoint(EventLookup lookup, String token) {
        this.lookup = lookup;
        this.token = token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath(); // percent-decoded
        String id = path.startsWith(PATH) ? path.substring(PATH.length()) : "";
        try {
            if (!ex.getRequestMethod().equals("GET")) {
                ex.getResponseHeaders().add("Allow", "GET");
                respond(ex, EventLookup.Answer.error(405, id, ex.getRequestMethod() + " is not allowed: use GET", null));
                return;
            }
            if (!authorized(ex)) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"latefuse\"");
                respond(ex, EventLookup.Answer.error(401, id, "this endpoint needs 'Authorization: Bearer <token>' "
                        + "with the app's http.token (LATEFUSE_HTTP_TOKEN)", null));
                return;
            }
            if (id.isEmpty()) {
                respond(ex, EventLookup.Answer.error(400, id, "give an event id: " + PATH + "{event_id}, "
                        + "percent-encoded", null));
                return;
            }
            respond(ex, lookup.find(id, ex.getRequestHeaders().getFirst(EventLookup.FORWARDED_HEADER)));
        } catch (RuntimeException e) {
            // What failed stays in the log: an exception's text may tell a stranger about the app's internals.
            log.warn("Event lookup {} failed", ex.getRequestURI().getRawPath(), e);
            respond(ex, EventLookup.Answer.error(500, id, "the lookup failed; the app's log says why", null));
        }
    }

    private boolean authorized(HttpExchange ex) {
        if (token == null) {
            return true;
        }
        byte[] given = bearerToken(ex.getRequestHeaders().getFirst("Authorization"));
        // Constant-time: how long the comparison takes says nothing about how much of the token was right (it
        // depends on the configured token's length only).
        return given != null && MessageDigest.isEqual(token, given);
    }

    /**
     * The token of {@code Authorization: Bearer <token>}, the scheme in any case and one or more spaces after it;
     * null for any other credentials.
     */
    private static byte[] bearerToken(String authorization) {
        if (authorization == null || authorization.length() <= SCHEME.length()
                || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
                || authorization.charAt(SCHEME.length()) != ' ') {
            return null;
        }
        int start = SCHEME.length();
        while (start < authorization.length() && authorization.charAt(start) == ' ') {
            start++;
        }
        return start == authorization.length() ? null
                : authorization.substring(start).getBytes(StandardCharsets.UTF_8);
    }

    private static void respond(HttpExchange ex, EventLookup.Answer answer) throws IOException {
        byte[] bytes = answer.json().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        if (answer.retryAfterSeconds() != null) {
            ex.getResponseHeaders().add("Retry-After", String.valueOf(answer.retryAfterSeconds()));
        }
        ex.sendResponseHeaders(answer.status(), bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}
