package io.latefuse.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client of the Confluent Schema Registry REST protocol over {@link HttpClient}.
 * <ul>
 *   <li>Caches both ways: (subject, schema) to id, and id to schema. Ids are immutable, so the caches never expire.</li>
 *   <li>Retries 5xx answers and connection errors with exponential backoff, rotating through the configured URLs.</li>
 *   <li>TLS checks the registry's certificate against {@code schema.registry.ssl.truststore.location}, or without
 *   it the JVM's default {@code SSLContext} (the standard {@code javax.net.ssl.*} properties apply).</li>
 *   <li>No message names a password: user info in a URL is left out of every error.</li>
 * </ul>
 * Thread-safe: one instance is shared by all serdes of an application.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistry {
    private static final Logger log = LoggerFactory.getLogger(HttpSchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REFERENCE_DEPTH = 32;
    private static final int MAX_REDIRECTS = 5;

    private final RegistryConfig config;
    private final HttpClient http;
    private final String authorization;
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    public HttpSchemaRegistryClient(RegistryConfig config) {
        this.config = config;
        HttpClient.Builder http = HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout())
                // Redirects are followed here, not by the JDK, which would send the credentials to any origin.
                .followRedirects(HttpClient.Redirect.NEVER);
        if (config.truststore() != null) {
            http.sslContext(trusting(config));
        }
        this.http = http.build();
        this.authorization = config.basicAuthUserInfo() == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(config.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
    }

    /** A TLS context that trusts what the configured truststore holds; a bad store names its key, not its password. */
    private static javax.net.ssl.SSLContext trusting(RegistryConfig config) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(config.truststore())) {
            java.security.KeyStore store = java.security.KeyStore.getInstance(config.truststoreType());
            store.load(in, config.truststorePassword() == null ? null : config.truststorePassword().toCharArray());
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new org.apache.kafka.common.config.ConfigException(RegistryConfig.TRUSTSTORE_LOCATION,
                    config.truststore().toString(), "cannot be read as a " + config.truststoreType() + " truststore with "
                    + RegistryConfig.TRUSTSTORE_PASSWORD + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public int register(String subject, Schema schema) {
        Integer cached = idsFor(subject).get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer;
        try {
            answer = send("POST", "/subjects/" + enc(subject) + "/versions", schemaBody(schema));
        } catch (SchemaRegistryException e) {
            if (e.httpStatus() != 409) {
                throw e;
            }
            // 409 means incompatible, except when another client registered the same schema a moment ago (Apicurio
            // answers that race with 409 "already exists"): if the schema is there now, that is success.
            try {
                return lookupId(subject, schema);
            } catch (SchemaRegistryException notThere) {
                throw e;
            }
        }
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw protocolError("POST /subjects/" + subject + "/versions", answer);
        }
        remember(subject, schema, id);
        return id;
    }

    @Override
    public int lookupId(String subject, Schema schema) {
        Integer cached = idsFor(subject).get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + enc(subject), schemaBody(schema));
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw protocolError("POST /subjects/" + subject, answer);
        }
        remember(subject, schema, id);
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("GET", "/schemas/ids/" + id, null);
        String type = answer.path("schemaType").asText("AVRO");
        if (!type.equalsIgnoreCase("AVRO")) {
            throw new SchemaRegistryException("Schema id " + id + " is a " + type + " schema; latefuse reads Avro", 200,
                    SchemaRegistryException.NOT_AVRO);
        }
        Schema schema = parseWriter(answer, "schema id " + id);
        schemasById.put(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema latest(String subject) {
        JsonNode answer = send("GET", "/subjects/" + enc(subject) + "/versions/latest", null);
        Schema schema = parseWriter(answer, "the latest schema of subject " + subject);
        int id = answer.path("id").asInt();
        remember(subject, schema, id);
        return new RegisteredSchema(subject, answer.path("version").asInt(), id, schema);
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        try {
            JsonNode answer = send("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest",
                    schemaBody(schema));
            return answer.path("is_compatible").asBoolean(false);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                return true; // nothing registered yet: anything is compatible
            }
            throw e;
        }
    }

    @Override
    public String compatibility(String subject) {
        if (subject != null) {
            try {
                // defaultToGlobal makes Confluent answer with the effective level. (Apicurio ignores it and
                // says NONE for a subject without its own rule, even when the global rule applies.)
                JsonNode answer = send("GET", "/config/" + enc(subject) + "?defaultToGlobal=true", null);
                return level(answer);
            } catch (SchemaRegistryException e) {
                if (!e.isNotFound()) {
                    throw e;
                }
            }
        }
        return level(send("GET", "/config", null));
    }

    @Override
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        send("PUT", subject == null ? "/config" : "/config/" + enc(subject), body);
    }

    private static String level(JsonNode answer) {
        // Confluent answers GET with compatibilityLevel; some versions and Apicurio say compatibility.
        JsonNode n = answer.has("compatibilityLevel") ? answer.get("compatibilityLevel") : answer.get("compatibility");
        return n == null ? null : n.asText();
    }

    private Map<Schema, Integer> idsFor(String subject) {
        return idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
    }

    private void remember(String subject, Schema schema, int id) {
        idsFor(subject).put(schema, id);
        schemasById.putIfAbsent(id, schema);
    }

    private static ObjectNode schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schemaType", "AVRO").put("schema", schema.toString());
    }

    /**
     * A schema the registry holds (an answer with {@code schema} and maybe {@code references}), parsed as Confluent's
     * clients parse a schema they read rather than register: defaults are not validated. Confluent's registry accepts
     * an invalid default unless told not to, and a writer's defaults never matter to a reader. The schemas it
     * references (Confluent schema references) are fetched and parsed first, into the same names.
     * A schema Avro still refuses, or a reference the registry does not have, is the record's fault
     * ({@link SchemaRegistryException#UNPARSEABLE}); trouble reaching the registry is not.
     */
    private Schema parseWriter(JsonNode answer, String what) {
        Schema.Parser parser = new Schema.Parser().setValidateDefaults(false);
        addReferences(parser, answer.path("references"), what, new HashSet<>(), 0);
        return parse(parser, answer.path("schema").asText(null), what);
    }

    private void addReferences(Schema.Parser parser, JsonNode references, String what, Set<String> seen, int depth) {
        for (JsonNode ref : references) {
            String subject = ref.path("subject").asText(null);
            int version = ref.path("version").asInt(-1);
            if (subject == null || !seen.add(subject + "/" + version)) {
                continue;
            }
            String name = "reference " + ref.path("name").asText("?") + " (subject " + subject + ", version " + version + ")";
            if (depth >= MAX_REFERENCE_DEPTH) {
                throw new SchemaRegistryException(what + ": its references nest deeper than " + MAX_REFERENCE_DEPTH
                        + " at " + name, 200, SchemaRegistryException.UNPARSEABLE);
            }
            JsonNode referenced;
            try {
                referenced = send("GET", "/subjects/" + enc(subject) + "/versions/" + version, null);
            } catch (SchemaRegistryException e) {
                if (e.isNotFound() && (e.errorCode() == SchemaRegistryException.SUBJECT_NOT_FOUND
                        || e.errorCode() == SchemaRegistryException.VERSION_NOT_FOUND)) {
                    throw new SchemaRegistryException(what + ": the registry does not have its " + name + " (error_code "
                            + e.errorCode() + ")", e.httpStatus(), SchemaRegistryException.UNPARSEABLE);
                }
                throw e;
            }
            addReferences(parser, referenced.path("references"), what, seen, depth + 1);
            parse(parser, referenced.path("schema").asText(null), what + ", " + name);
        }
    }

    private static Schema parse(Schema.Parser parser, String text, String what) {
        if (text == null) {
            throw new SchemaRegistryException(what + ": the answer has no 'schema' field", 200, -1);
        }
        try {
            return parser.parse(text);
        } catch (RuntimeException e) {
            throw new SchemaRegistryException(what + ": Avro cannot parse the schema the registry holds: " + e.getMessage(),
                    200, SchemaRegistryException.UNPARSEABLE, e);
        }
    }

    private static SchemaRegistryException protocolError(String what, JsonNode answer) {
        return new SchemaRegistryException(what + ": unexpected answer " + answer, 200, -1);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** One REST call with retries; returns the parsed JSON body of a 2xx answer. */
    private JsonNode send(String method, String path, JsonNode body) {
        Duration backoff = config.initialBackoff();
        int attempts = config.maxRetries() + 1;
        SchemaRegistryException last = null;
        for (int attempt = 0; attempt < attempts; attempt++) {
            String base = config.urls().get(attempt % config.urls().size());
            try {
                return sendOnce(base, method, path, body);
            } catch (SchemaRegistryException e) {
                boolean retriable = e.httpStatus() < 0 || e.httpStatus() >= 500;
                if (!retriable) {
                    throw e;
                }
                last = e;
                if (attempt + 1 < attempts) {
                    log.debug("Schema registry {} {} failed ({}); retrying in {} ms", method, RegistryConfig.redact(base) + path,
                            e.getMessage(), backoff.toMillis());
                    sleep(backoff);
                    backoff = backoff.multipliedBy(2).compareTo(config.maxBackoff()) > 0
                            ? config.maxBackoff() : backoff.multipliedBy(2);
                }
            }
        }
        throw new SchemaRegistryException(last.getMessage() + " (gave up after " + attempts + " attempts)",
                last.httpStatus(), last.errorCode(), last.getCause());
    }

    private JsonNode sendOnce(String url, String method, String path, JsonNode body) {
        URI uri = URI.create(RegistryConfig.withoutUserInfo(url) + path);
        String base = RegistryConfig.withoutUserInfo(url); // accepted URLs only: the user info cleanly away
        HttpResponse<String> resp;
        for (int redirects = 0; ; redirects++) {
            resp = exchange(uri, base, method, path, body);
            int status = resp.statusCode();
            if (!REDIRECTS.contains(status)) {
                break;
            }
            URI next;
            try {
                next = resp.headers().firstValue("Location").map(uri::resolve).orElse(null);
                if (next != null && !"http".equalsIgnoreCase(next.getScheme()) && !"https".equalsIgnoreCase(next.getScheme())) {
                    throw new IllegalArgumentException("not an http or https URL");
                }
                if (next != null) {
                    HttpRequest.newBuilder(next); // what the JDK would refuse, refused here as the registry's answer
                }
            } catch (IllegalArgumentException e) {
                throw new SchemaRegistryException("Schema registry " + method + " " + base + path + " redirected (HTTP "
                        + status + ") to a Location the client cannot follow (" + e.getMessage() + ")", status, status);
            }
            if (next == null) {
                break; // a 3xx without a place to go: reported below as the answer it is
            }
            if (!sameOrigin(uri, next) && authorization != null) {
                throw new SchemaRegistryException("Schema registry " + method + " " + base + path + " redirected (HTTP "
                        + status + ") to another origin, " + origin(next) + "; latefuse does not send the registry's "
                        + "credentials anywhere but " + RegistryConfig.URL + ": set it to the registry's own address",
                        status, status);
            }
            if ("https".equals(uri.getScheme()) && !"https".equals(next.getScheme())) {
                throw new SchemaRegistryException("Schema registry " + method + " " + base + path + " redirected (HTTP "
                        + status + ") from https to " + origin(next) + "; latefuse does not follow a redirect to plain http",
                        status, status);
            }
            if (redirects >= MAX_REDIRECTS) {
                throw new SchemaRegistryException("Schema registry " + method + " " + base + path + " redirected more than "
                        + MAX_REDIRECTS + " times", status, status);
            }
            if (status == 303 || (status == 301 || status == 302) && method.equals("POST")) {
                method = "GET";
                body = null;
            }
            uri = next;
        }
        int status = resp.statusCode();
        JsonNode json = readJson(resp.body());
        if (status / 100 == 2) {
            if (json == null) {
                throw new SchemaRegistryException(base + " answered " + method + " " + path + " with HTTP " + status
                        + " but not with JSON; is " + RegistryConfig.URL + " the registry's Confluent-compatible base URL?",
                        status, -1);
            }
            return json;
        }
        String credentials = status == 401 || status == 403 ? "; check " + RegistryConfig.USER_INFO : "";
        if (json == null || !json.has("error_code")) {
            String hint = status == 404
                    ? "; the URL does not look like a Confluent-compatible registry API (for Apicurio use .../apis/ccompat/v7)"
                    : credentials;
            throw new SchemaRegistryException("Schema registry " + method + " " + base + path + " failed with HTTP " + status
                    + hint + ": " + abbreviate(resp.body()), status, status);
        }
        int code = json.path("error_code").asInt(status);
        String message = json.path("message").asText("");
        throw new SchemaRegistryException("Schema registry " + method + " " + base + path + " failed with HTTP " + status
                + ", error_code " + code + ": " + message + credentials, status, code);
    }

    /** One HTTP request to {@code uri}, with the registry's credentials. */
    private HttpResponse<String> exchange(URI uri, String base, String method, String path, JsonNode body) {
        HttpRequest.Builder req = HttpRequest.newBuilder(uri)
                .timeout(config.requestTimeout())
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            req.header("Authorization", authorization);
        }
        if (body == null) {
            req.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            req.header("Content-Type", CONTENT_TYPE)
               .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        }
        try {
            return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SchemaRegistryException("Schema registry at " + base + " is unreachable (" + method + " " + path
                    + "): " + describe(e) + ". Check " + RegistryConfig.URL + ".", -1, -1, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("Interrupted while calling the schema registry at " + base, -1, -1, e);
        }
    }

    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(String.valueOf(b.getScheme()))
                && a.getHost().equalsIgnoreCase(String.valueOf(b.getHost())) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static String origin(URI u) {
        return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "");
    }

    private static JsonNode readJson(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(text);
            return n != null && n.isContainerNode() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String describe(IOException e) {
        String kind = e.getClass().getSimpleName();
        String msg = Optional.ofNullable(e.getMessage()).orElse("");
        Throwable c = e.getCause();
        while (msg.isEmpty() && c != null) {
            msg = Optional.ofNullable(c.getMessage()).orElse("");
            kind = c.getClass().getSimpleName();
            c = c.getCause();
        }
        return msg.isEmpty() ? kind : kind + ": " + msg;
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        s = s.replaceAll("\\s+", " ");
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("Interrupted while backing off", -1, -1, e);
        }
    }

    @Override
    public String toString() {
        return "HttpSchemaRegistryClient" + config.urls().stream().map(RegistryConfig::redact).toList();
    }
}
