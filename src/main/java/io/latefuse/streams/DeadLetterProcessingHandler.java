package io.latefuse.streams;

import io.latefuse.metrics.FusionTelemetry;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Kafka Streams' own log-and-continue handler, which builds the dead letter from the original record bytes
 * (KIP-1034), decorated with latefuse's reason header. Every processing failure is dead-lettered and processing
 * resumes; nothing is dropped without a trace.
 */
public class DeadLetterProcessingHandler implements ProcessingExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterProcessingHandler.class);
    private final LogAndContinueProcessingExceptionHandler delegate = new LogAndContinueProcessingExceptionHandler();

    private FusionTelemetry telemetry = FusionTelemetry.noop();

    @Override
    public void configure(Map<String, ?> configs) {
        delegate.configure(configs);
        telemetry = FusionTelemetry.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (Causes.find(exception, io.latefuse.registry.SchemaRegistryException.class) != null) {
            // Writing the prediction needs the registry; its failure is not the input record's fault. Fail the
            // thread (it is replaced and retries the record) rather than dead-letter a good score.
            log.error("Schema registry failure while processing {}-{}@{}; failing the stream thread so the record is retried",
                    context.topic(), context.partition(), context.offset(), exception);
            return Response.fail();
        }
        VersionedStateSerde.StateFormatException unreadable =
                Causes.find(exception, VersionedStateSerde.StateFormatException.class);
        if (unreadable != null) {
            // The app's own state is not in a format this release reads: no record is at fault, and going on would
            // skip or mis-read state. Fail the thread, with the reason.
            log.error("Cannot read the application's state while processing {}-{}@{}: {}", context.topic(),
                    context.partition(), context.offset(), unreadable.getMessage());
            return Response.fail();
        }
        NotTheRecordsFault notTheRecords = Causes.find(exception, NotTheRecordsFault.class);
        if (notTheRecords != null) {
            log.error("Failing the stream thread so that it is retried, while processing {}-{}@{}: {}", context.topic(),
                    context.partition(), context.offset(), notTheRecords.getMessage(), notTheRecords.getCause());
            return Response.fail();
        }
        DeadLetterReason reason;
        if (exception instanceof InvalidScoreException invalid) {
            reason = invalid.reason();
            log.debug("Dead letter ({}): {}", reason.code(), exception.getMessage());
        } else {
            reason = DeadLetterReason.PROCESSING_ERROR;
            log.error("Unexpected failure processing a record from {}-{}@{}; it goes to the dead-letter topic",
                    context.topic(), context.partition(), context.offset(), exception);
        }
        Response response = delegate.handleError(context, record, exception);
        DeadLetters.tag(response.deadLetterQueueRecords(), reason, exception);
        telemetry.deadLetter(reason.code());
        return Response.resume(response.deadLetterQueueRecords());
    }
}
