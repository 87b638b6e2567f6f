package io.latefuse.topology;

import io.latefuse.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import io.latefuse.metrics.FusionTelemetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Records whose bytes cannot be read go to the dead-letter topic (Kafka Streams' own KIP-1034 dead letter, with
 * latefuse's reason header) and processing continues. If the schema registry itself cannot be reached, the record
 * is not at fault: the stream thread fails instead, is replaced, and retries the record.
 */
public class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);
    private final LogAndContinueExceptionHandler delegate = new LogAndContinueExceptionHandler();

    private FusionTelemetry telemetry = FusionTelemetry.noop();

    @Override
    public void configure(Map<String, ?> configs) {
        delegate.configure(configs);
        telemetry = FusionTelemetry.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (causedByUnreachableRegistry(exception)) {
            log.error("Schema registry unavailable while reading {}-{}@{}; failing the stream thread so the record is retried",
                    context.topic(), context.partition(), context.offset(), exception);
            return Response.fail();
        }
        Response response = delegate.handleError(context, record, exception);
        DeadLetterProcessingHandler.DeadLetters.tag(response.deadLetterQueueRecords(),
                DeadLetterReason.DESERIALIZATION, exception);
        telemetry.deadLetter(DeadLetterReason.DESERIALIZATION.code());
        return Response.resume(response.deadLetterQueueRecords());
    }

    private static boolean causedByUnreachableRegistry(Throwable t) {
        for (; t != null; t = t.getCause()) {
            if (t instanceof SchemaRegistryException sre && (sre.httpStatus() < 0 || sre.httpStatus() >= 500)) {
                return true;
            }
        }
        return false;
    }
}
