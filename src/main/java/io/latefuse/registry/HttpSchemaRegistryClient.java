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
import java.util.Map;
import java.util.Optional;
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

    private final RegistryConfig config;
    private final HttpClient http;
    private final String authorization;
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    public HttpSchemaRegistryClient(RegistryConfig config) {
        this.config = config;
        HttpClient.Builder http = HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL);
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

    /** {@code url} without any user info, for messages. */
    static String withoutUserInfo(String url) {
        return url.replaceFirst("^(https?://)[^/@]*@", "$1");
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
        Schema schema = parse(answer.path("schema").asText(null), "GET /schemas/ids/" + id);
        schemasById.put(id, schema);
        return schema;
    }

    @Override
    public RegisteredSchema latest(String subject) {
        JsonNode answer = send("GET", "/subjects/" + enc(subject) + "/versions/latest", null);
        Schema schema = parse(answer.path("schema").asText(null), "GET /subjects/" + subject + "/versions/latest");
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

    private static Schema parse(String text, String what) {
        if (text == null) {
            throw new SchemaRegistryException(what + ": the answer has no 'schema' field", 200, -1);
        }
        try {
            return new Schema.Parser().parse(text);
        } catch (RuntimeException e) {
            throw new SchemaRegistryException(what + ": the registry returned a schema Avro cannot parse: " + e.getMessage(),
                    200, -1, e);
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
                    log.debug("Schema registry {} {} failed ({}); retrying in {} ms", method, withoutUserInfo(base) + path,
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
        URI uri = URI.create(url + path);
        String base = withoutUserInfo(url);
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
        HttpResponse<String> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new SchemaRegistryException("Schema registry at " + base + " is unreachable (" + method + " " + path
                    + "): " + describe(e) + ". Check " + RegistryConfig.URL + ".", -1, -1, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("Interrupted while calling the schema registry at " + base, -1, -1, e);
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
        return "HttpSchemaRegistryClient" + config.urls().stream().map(HttpSchemaRegistryClient::withoutUserInfo).toList();
    }
}
