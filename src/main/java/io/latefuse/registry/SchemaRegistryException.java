package io.latefuse.registry;

/**
 * A failed schema-registry call. Carries the HTTP status and Confluent's {@code error_code}
 * (for example 40401 subject not found, 40403 schema not found, 409 incompatible), or -1 when
 * the registry could not be reached at all.
 */
public class SchemaRegistryException extends RuntimeException {
    /** Confluent error codes that callers branch on. */
    public static final int SUBJECT_NOT_FOUND = 40401;
    public static final int VERSION_NOT_FOUND = 40402;
    public static final int SCHEMA_NOT_FOUND = 40403;
    public static final int INCOMPATIBLE_SCHEMA = 409;
    public static final int INVALID_SCHEMA = 42201;
    /** latefuse's own code: the registry holds the id, but its schema is Protobuf or JSON Schema, not Avro. */
    public static final int NOT_AVRO = -2;
    /**
     * latefuse's own code: the registry returned a schema (or a schema it references) that Avro refuses, or it does
     * not have a schema the writer's schema references. Nothing retried would change that.
     */
    public static final int UNPARSEABLE = -3;

    private final int httpStatus;
    private final int errorCode;

    public SchemaRegistryException(String message, int httpStatus, int errorCode) {
        this(message, httpStatus, errorCode, null);
    }

    public SchemaRegistryException(String message, int httpStatus, int errorCode, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    /** The HTTP status, or -1 when no answer came. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Confluent's {@code error_code} from the answer body, or the HTTP status if the body had none. */
    public int errorCode() {
        return errorCode;
    }

    public boolean isNotFound() {
        return httpStatus == 404;
    }

    /**
     * Whether the record that named this schema id is at fault: the registry answered, in Confluent's protocol, that
     * it has no such schema (error_code 40403), the schema is not Avro, or Avro cannot parse it or what it references
     * ({@link #UNPARSEABLE}). Everything else (unreachable, 5xx, 401,
     * 403, a 404 without Confluent's error code, an answer that is not JSON) is trouble with the registry or its
     * settings, and the record must be retried rather than dead-lettered.
     */
    public boolean blamesRecord() {
        return (httpStatus == 404 && errorCode == SCHEMA_NOT_FOUND) || errorCode == NOT_AVRO || errorCode == UNPARSEABLE;
    }
}
