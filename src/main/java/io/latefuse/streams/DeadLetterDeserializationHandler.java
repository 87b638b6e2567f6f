package io.latefuse.streams;

import io.latefuse.metrics.FusionTelemetry;
import io.latefuse.progress.ConsumerRegistry;
import io.latefuse.progress.InputProgress;
import io.latefuse.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Records whose bytes cannot be read go to the dead-letter topic (Kafka Streams' own KIP-1034 dead letter, with
 * latefuse's reason header) and processing continues. Only a registry answer that blames the record (Confluent's
 * "schema not found", or a schema that is not Avro) dead-letters it. Any other registry failure (unreachable, 5xx,
 * an expired credential, a wrong base URL) is not the record's fault: the stream thread fails instead, is replaced,
 * and retries the record.
 */
public class DeadLetterDeserializationHandler implements DeserializationExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterDeserializationHandler.class);
    private final LogAndContinueExceptionHandler delegate = new LogAndContinueExceptionHandler();

    private FusionTelemetry telemetry = FusionTelemetry.noop();
    private InputProgress progress = new ConsumerRegistry();

    @Override
    public void configure(Map<String, ?> configs) {
        delegate.configure(configs);
        telemetry = FusionTelemetry.from(configs);
        progress = ConsumerRegistry.from(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        // The outermost registry failure decides: one that blames the record may wrap the answer it was made from.
        SchemaRegistryException trouble = Causes.find(exception, SchemaRegistryException.class);
        if (trouble != null && !trouble.blamesRecord()) {
            // Not the record's fault (see SchemaRegistryException#blamesRecord): retry it rather than dead-letter it.
            log.error("Schema registry failure while reading {}-{}@{} (not the record's fault); failing the stream "
                    + "thread so the record is retried: {}", context.topic(), context.partition(), context.offset(),
                    trouble.getMessage());
            return Response.fail();
        }
        // Taken off the input, though never processed: the input deadline clock must not wait for it. Only this
        // record: the one before it may still wait to be processed (Kafka Streams deserializes one ahead).
        progress.skipped(new TopicPartition(record.topic(), record.partition()), record.offset());
        Response response = delegate.handleError(context, record, exception);
        DeadLetters.tag(response.deadLetterQueueRecords(),
                DeadLetterReason.DESERIALIZATION, exception);
        telemetry.deadLetter(DeadLetterReason.DESERIALIZATION.code());
        return Response.resume(response.deadLetterQueueRecords());
    }

}
