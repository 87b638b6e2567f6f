package io.latefuse.lookup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.latefuse.avro.internal.EventState;
import io.latefuse.config.PipelineConfig;
import io.latefuse.topology.FusionTopology;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * Answers "what happened to this event?" from the fusion join's state stores, with Kafka Streams' interactive
 * queries: from this instance's stores when it owns the event's partition, else by asking the instance that does,
 * found in the streams metadata under its {@code application.server}.
 * <p>
 * Under exactly-once with transactional state stores, the stores are read as committed (latefuse sets Kafka's
 * {@code default.interactive.query.isolation.level} to READ_COMMITTED, see StreamsProperties): a lookup shows what
 * read_committed consumers can see, never a write that an aborted transaction takes back. Otherwise they are read as
 * they are in this instance, before their changes are committed: a lookup may show an event a few milliseconds
 * before its prediction is visible to read_committed consumers.
 */
public final class EventLookup {
    /** Marks a lookup one instance asks of another, so that it is answered, never routed again. */
    public static final String FORWARDED_HEADER = "X-Latefuse-Forwarded-By";
    /** Seconds a client should wait before it asks again while the owner of an event is being decided. */
    static final int RETRY_AFTER_SECONDS = 1;
    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(5);
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One answer: its HTTP status, its JSON body and, for 503, when to try again.
     *
     * @param retryAfterSeconds null unless the client should retry
     */
    public record Answer(int status, String json, Integer retryAfterSeconds) {
        static Answer of(int status, Object body) {
            try {
                return new Answer(status, JSON.writeValueAsString(body), null);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        static Answer error(int status, String eventId, String message, Integer retryAfterSeconds) {
            return new Answer(status, of(status, new Failure(eventId, message)).json(), retryAfterSeconds);
        }
    }

    /** The body of an answer that is not about the event's state. */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record Failure(@com.fasterxml.jackson.annotation.JsonProperty("event_id") String eventId,
                   @com.fasterxml.jackson.annotation.JsonProperty("error") String error) {}

    private final KafkaStreams streams;
    private final PipelineConfig config;
    private final HostInfo self;
    private final EventViews views;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(FORWARD_TIMEOUT).build();

    /** {@code modality.health}'s judgement on this instance, or null. */
    private final io.latefuse.health.ModalityHealth health;

    /** @param self this instance's {@code application.server} */
    public EventLookup(KafkaStreams streams, PipelineConfig config, HostInfo self) {
        this(streams, config, self, null);
    }

    /** @param health this instance's judgement of each modality: its lookups tell which it quarantines now */
    public EventLookup(KafkaStreams streams, PipelineConfig config, HostInfo self,
                       io.latefuse.health.ModalityHealth health) {
        this.streams = streams;
        this.config = config;
        this.self = self;
        this.views = health == null ? new EventViews(config) : new EventViews(config, health::quarantinedMask);
        this.health = health;
    }

    /** {@code view} with the modalities this instance quarantines now. */
    private EventView told(EventView view) {
        if (health == null || health.quarantinedMask() == 0) {
            return view;
        }
        java.util.List<String> q = new java.util.ArrayList<>();
        for (io.latefuse.health.ModalityHealth.Status st : health.statuses()) {
            if (st.state() == io.latefuse.health.ModalityHealth.State.QUARANTINED) {
                q.add(st.modality());
            }
        }
        return view.withQuarantined(q);
    }

    /**
     * Where the other instances reach this one: {@code http.advertised.host}, or this host's name, and the port the
     * HTTP server is bound to.
     */
    public static HostInfo advertisedAs(PipelineConfig.Http http, int port) {
        String host = http.advertisedHost();
        if (host.isEmpty()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                host = "localhost";
                org.slf4j.LoggerFactory.getLogger(EventLookup.class).warn("This host's name cannot be resolved ({}): "
                        + "advertising localhost; set http.advertised.host for lookups across instances", e.getMessage());
            }
        }
        return new HostInfo(host, port);
    }

    /**
     * Looks {@code eventId} up wherever its state is.
     *
     * @param forwardedBy the instance that routed this lookup here, or null when a client asked
     */
    public Answer find(String eventId, String forwardedBy) {
        KafkaStreams.State state = streams.state();
        if (state == KafkaStreams.State.CREATED) {
            return rebalancing(eventId, "it has not started yet");
        }
        if (!state.isRunningOrRebalancing()) {
            return Answer.error(503, eventId, "the app is not running (Kafka Streams is " + state + ")", null);
        }
        KeyQueryMetadata where;
        try {
            where = streams.queryMetadataForKey(FusionTopology.PENDING_STORE, eventId, Serdes.String().serializer());
        } catch (IllegalStateException | InvalidStateStoreException e) { // it stopped or restarted meanwhile
            return rebalancing(eventId, e.getMessage());
        }
        if (where == null || KeyQueryMetadata.NOT_AVAILABLE.equals(where)) {
            return rebalancing(eventId, "no instance owns its partition yet (the app is " + streams.state() + ")");
        }
        HostInfo owner = where.activeHost();
        if (!owner.equals(self)) {
            if (forwardedBy != null) {
                // The instance that sent it here thought this one owned it: ownership is moving.
                return rebalancing(eventId, "partition " + where.partition() + " is moving between instances");
            }
            return forward(eventId, owner);
        }
        try {
            return local(eventId, where.partition());
        } catch (InvalidStateStoreException e) {
            return rebalancing(eventId, "partition " + where.partition() + "'s state is not queryable here yet ("
                    + e.getMessage() + ")");
        }
    }

    private Answer local(String eventId, int partition) {
        String here = self.host() + ":" + self.port();
        ReadOnlyKeyValueStore<String, EventState> pending = streams.store(StoreQueryParameters
                .fromNameAndType(FusionTopology.PENDING_STORE, QueryableStoreTypes.<String, EventState>keyValueStore())
                .withPartition(partition));
        EventState state = pending.get(eventId);
        if (state != null) {
            return Answer.of(200, told(views.pending(state, here, partition)));
        }
        ReadOnlyWindowStore<String, EventState> emitted = streams.store(StoreQueryParameters
                .fromNameAndType(FusionTopology.EMITTED_STORE, QueryableStoreTypes.<String, EventState>windowStore())
                .withPartition(partition));
        KeyValue<Long, EventState> latest = null;
        // Every segment the store still holds: an event is kept under its emission time's bucket.
        try (WindowStoreIterator<EventState> it = emitted.fetch(eventId, Instant.EPOCH,
                Instant.ofEpochMilli(Long.MAX_VALUE))) {
            while (it.hasNext()) {
                KeyValue<Long, EventState> e = it.next();
                if (latest == null || e.key >= latest.key) {
                    latest = e;
                }
            }
        }
        if (latest != null) {
            return Answer.of(200, told(views.emitted(latest.value, here, partition)));
        }
        return Answer.of(404, told(views.unknown(eventId, here, partition)));
    }

    private Answer forward(String eventId, HostInfo owner) {
        String target = "http://" + owner.host() + ":" + owner.port() + EventsEndpoint.PATH + encode(eventId);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target)).timeout(FORWARD_TIMEOUT)
                .header(FORWARDED_HEADER, self.host() + ":" + self.port());
        if (!config.http().token().isEmpty()) {
            request.header("Authorization", "Bearer " + config.http().token());
        }
        try {
            HttpResponse<String> response = http.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
            Integer retry = response.headers().firstValue("Retry-After").map(EventLookup::seconds).orElse(null);
            return new Answer(response.statusCode(), response.body(), retry);
        } catch (IOException e) {
            return Answer.error(502, eventId, "the instance that owns this event, " + owner.host() + ":" + owner.port()
                    + " (its http.advertised.host and --metrics-port), did not answer: " + e, RETRY_AFTER_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Answer.error(503, eventId, "interrupted while asking " + owner, RETRY_AFTER_SECONDS);
        }
    }

    private Answer rebalancing(String eventId, String why) {
        return Answer.error(503, eventId, "the app is rebalancing: " + why + "; retry in " + RETRY_AFTER_SECONDS
                + " s", RETRY_AFTER_SECONDS);
    }

    /** A {@code Retry-After} header's seconds; {@link #RETRY_AFTER_SECONDS} for any other form. */
    public static int seconds(String retryAfter) {
        try {
            return Math.max(0, Integer.parseInt(retryAfter.trim()));
        } catch (NumberFormatException e) {
            return RETRY_AFTER_SECONDS;
        }
    }

    /** An event id as one path segment: every character but the unreserved ones percent-encoded. */
    public static String encode(String eventId) {
        return URLEncoder.encode(eventId, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
