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
}
