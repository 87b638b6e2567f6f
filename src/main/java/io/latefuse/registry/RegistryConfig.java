package io.latefuse.registry;

import org.apache.kafka.common.config.ConfigException;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Schema-registry client and serde settings, under the same keys as Confluent's clients so that
 * existing client configs carry over.
 *
 * @param urls             one or more base URLs ({@code schema.registry.url}, comma-separated); tried in turn on connection errors
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 * @param maxRetries       retries after the first attempt on 5xx answers and connection errors
 * @param initialBackoff   the first retry delay; it doubles up to {@code maxBackoff}
 * @param requestTimeout   per-request timeout
 * @param autoRegister     serializers register the record's schema ({@code auto.register.schemas}, default true)
 * @param useLatestVersion serializers write with the subject's latest schema ({@code use.latest.version}, default false)
 * @param latestCacheTtl   how long a serializer reuses the latest schema it looked up ({@code latest.cache.ttl.sec},
 *                         default 60 s; -1 keeps it for the serializer's lifetime, as Confluent's clients do)
 * @param truststore       the certificates an {@code https://} registry is checked against
 *                         ({@code schema.registry.ssl.truststore.location}), or null for the JVM's default
 * @param truststorePassword its password, or null
 * @param truststoreType   its type, PKCS12 (the default) or JKS
 */
public record RegistryConfig(List<String> urls, String basicAuthUserInfo, int maxRetries,
                             Duration initialBackoff, Duration maxBackoff, Duration requestTimeout,
                             boolean autoRegister, boolean useLatestVersion, Duration latestCacheTtl,
                             java.nio.file.Path truststore, String truststorePassword, String truststoreType) {

    /** With the JVM's default trust. */
    public RegistryConfig(List<String> urls, String basicAuthUserInfo, int maxRetries, Duration initialBackoff,
                          Duration maxBackoff, Duration requestTimeout, boolean autoRegister, boolean useLatestVersion,
                          Duration latestCacheTtl) {
        this(urls, basicAuthUserInfo, maxRetries, initialBackoff, maxBackoff, requestTimeout, autoRegister,
                useLatestVersion, latestCacheTtl, null, null, "PKCS12");
    }

    public static final String URL = "schema.registry.url";
    public static final String CREDENTIALS_SOURCE = "basic.auth.credentials.source";
    public static final String USER_INFO = "basic.auth.user.info";
    public static final String AUTO_REGISTER = "auto.register.schemas";
    public static final String USE_LATEST = "use.latest.version";
    public static final String LATEST_CACHE_TTL_SEC = "latest.cache.ttl.sec";
    public static final String MAX_RETRIES = "schema.registry.max.retries";
    public static final String RETRY_BACKOFF_MS = "schema.registry.retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "schema.registry.retry.backoff.max.ms";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    public static final String TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";
    public static final String TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
    public static final String TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";

    public RegistryConfig {
        if (urls == null || urls.isEmpty()) {
            throw new ConfigException(URL, urls, "at least one schema registry URL is required");
        }
        for (String u : urls) {
            if (u.startsWith(InMemorySchemaRegistry.SCHEME)) {
                continue;
            }
            String problem;
            int start = u.indexOf("://");
            try {
                URI uri = new URI(u);
                String authority = uri.getRawAuthority();
                problem = !"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null
                        ? "needs http:// or https:// and a host"
                        // An unencoded '?' or '/' in a password ends the authority early: the URL would parse, with
                        // the user's name as the host and the rest of the password in the path or query.
                        : start >= 0 && u.indexOf('@', start) >= 0 && (authority == null || !authority.contains("@"))
                        ? "an '@' outside the user info" : null;
            } catch (URISyntaxException e) {
                problem = e.getReason() + " at index " + e.getIndex(); // the reason alone: getMessage() repeats the URL
            }
            if (problem != null) {
                // A comma in a password splits the URL list: a piece may then hold a password but no '@'.
                boolean credentials = start >= 0 && (u.indexOf('@', start) >= 0 || u.indexOf(':', start + 3) >= 0);
                String hint = credentials ? "; a user:password in the URL must be percent-encoded (@ as %40, # as %23, "
                        + "/ as %2F, ? as %3F, a comma as %2C, a space as %20), or set " + USER_INFO + " instead" : "";
                throw new ConfigException(URL, masked(u), "not a valid registry URL (" + problem + ")" + hint);
            }
        }
        if (basicAuthUserInfo != null && !basicAuthUserInfo.contains(":")) {
            throw new ConfigException(USER_INFO, "***", "must be user:password");
        }
        if (maxRetries < 0) {
            throw new ConfigException(MAX_RETRIES, maxRetries, "must be >= 0");
        }
        if (latestCacheTtl != null && latestCacheTtl.isNegative() && !latestCacheTtl.equals(Duration.ofSeconds(-1))) {
            throw new ConfigException(LATEST_CACHE_TTL_SEC, latestCacheTtl.toSeconds(), "must be >= 0, or -1 for no expiry");
        }
        if (truststoreType == null || truststoreType.isBlank()) {
            truststoreType = "PKCS12";
        }
        urls = List.copyOf(urls);
    }

    /**
     * {@code url} with its user info, if any, replaced by {@code ***}, for messages and logs: everything between
     * {@code ://} and the last {@code @}, since an unencoded password may itself hold {@code /}, {@code ?}, {@code #} or
     * {@code @} (a path holding {@code @} is masked too: better too much than a password).
     */
    public static String redact(String url) {
        if (url == null) {
            return null;
        }
        int start = url.indexOf("://");
        int at = url.lastIndexOf('@');
        return start < 0 || at < start ? url : url.substring(0, start + 3) + "***@" + url.substring(at + 1);
    }

    /**
     * A URL this config refuses, as its error may print it: {@link #redact redacted}, and, with no {@code @} left (a
     * piece of a URL list split at a comma in a password), everything after a {@code :} past the scheme masked
     * unless it is a port.
     */
    private static String masked(String url) {
        String r = redact(url);
        int start = r.indexOf("://");
        if (start < 0) {
            return r.indexOf('@') < 0 ? r : "***@" + r.substring(r.lastIndexOf('@') + 1); // the piece after a comma
        }
        if (r.indexOf('@', start) >= 0) {
            return r;
        }
        int colon = r.indexOf(':', start + 3);
        return colon < 0 || r.substring(colon + 1).matches("\\d+(/.*)?") ? r : r.substring(0, colon + 1) + "***";
    }

    /** The settings, with the URLs redacted and the passwords hidden. */
    @Override
    public String toString() {
        return "RegistryConfig[urls=" + urls.stream().map(RegistryConfig::redact).toList()
                + ", basicAuthUserInfo=" + (basicAuthUserInfo == null ? null : "[hidden]")
                + ", maxRetries=" + maxRetries + ", initialBackoff=" + initialBackoff + ", maxBackoff=" + maxBackoff
                + ", requestTimeout=" + requestTimeout + ", autoRegister=" + autoRegister + ", useLatestVersion="
                + useLatestVersion + ", latestCacheTtl=" + latestCacheTtl + ", truststore=" + truststore
                + ", truststorePassword=" + (truststorePassword == null ? null : "[hidden]") + ", truststoreType="
                + truststoreType + "]";
    }

    /** {@code url} (one this config accepted) without its user info: the base URL requests go to. */
    static String withoutUserInfo(String url) {
        String userInfo;
        try {
            userInfo = new URI(url).getRawUserInfo();
        } catch (URISyntaxException e) {
            return redact(url);
        }
        int start = url.indexOf("://") + 3;
        return userInfo == null ? url : url.substring(0, start) + url.substring(start + userInfo.length() + 1);
    }

    /** Defaults for a single URL. */
    public static RegistryConfig of(String url) {
        return fromMap(Map.of(URL, url));
    }

    /** Reads the settings from client-style properties; unknown keys are ignored, so a whole serde config can be passed. */
    public static RegistryConfig fromMap(Map<String, ?> props) {
        Object url = props.get(URL);
        if (url == null || url.toString().isBlank()) {
            throw new ConfigException(URL, url, "missing: set the schema registry URL");
        }
        List<String> urls = new ArrayList<>();
        for (String u : url.toString().split(",")) {
            String t = u.trim();
            if (!t.isEmpty()) {
                urls.add(t.endsWith("/") ? t.substring(0, t.length() - 1) : t);
            }
        }
        String source = string(props, CREDENTIALS_SOURCE, "USER_INFO");
        String userInfo = string(props, USER_INFO, null);
        if (userInfo == null) {
            userInfo = string(props, "schema.registry." + USER_INFO, null);
        }
        if (userInfo == null && "URL".equalsIgnoreCase(source) && !urls.isEmpty()) {
            try {
                userInfo = new URI(urls.get(0)).getUserInfo();
            } catch (URISyntaxException e) {
                userInfo = null; // the constructor refuses the URL, without repeating it
            }
        }
        return new RegistryConfig(urls, userInfo,
                (int) number(props, MAX_RETRIES, 3),
                Duration.ofMillis(number(props, RETRY_BACKOFF_MS, 100)),
                Duration.ofMillis(number(props, RETRY_BACKOFF_MAX_MS, 2_000)),
                Duration.ofMillis(number(props, REQUEST_TIMEOUT_MS, 10_000)),
                bool(props, AUTO_REGISTER, true),
                bool(props, USE_LATEST, false),
                Duration.ofSeconds(number(props, LATEST_CACHE_TTL_SEC, 60)),
                string(props, TRUSTSTORE_LOCATION, null) == null ? null : java.nio.file.Path.of(string(props, TRUSTSTORE_LOCATION, null)),
                string(props, TRUSTSTORE_PASSWORD, null),
                string(props, TRUSTSTORE_TYPE, "PKCS12"));
    }

    private static String string(Map<String, ?> props, String key, String dflt) {
        Object v = props.get(key);
        return v == null || v.toString().isBlank() ? dflt : v.toString();
    }

    private static long number(Map<String, ?> props, String key, long dflt) {
        Object v = props.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, v, "must be a whole number");
        }
    }

    private static boolean bool(Map<String, ?> props, String key, boolean dflt) {
        Object v = props.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim().toLowerCase();
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new ConfigException(key, v, "must be true or false");
    }
}
