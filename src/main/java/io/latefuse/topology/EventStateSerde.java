package io.latefuse.topology;

import io.latefuse.avro.ModalityScore;
import io.latefuse.avro.internal.EventState;
import io.latefuse.registry.TrustedAvroClasses;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Plain Avro binary for latefuse's own state stores and changelogs. No registry: the state is private to the app.
 */
public final class EventStateSerde implements Serde<EventState> {
    static {
        TrustedAvroClasses.trust(EventState.class);
        TrustedAvroClasses.trust(ModalityScore.class);
    }

    private static final SpecificData MODEL = SpecificData.getForClass(EventState.class);
    private final SpecificDatumWriter<EventState> writer = new SpecificDatumWriter<>(EventState.getClassSchema(), MODEL);
    private final SpecificDatumReader<EventState> reader = new SpecificDatumReader<>(EventState.getClassSchema(),
            EventState.getClassSchema(), MODEL);

    @Override
    public Serializer<EventState> serializer() {
        return (topic, state) -> {
            if (state == null) {
                return null;
            }
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream(256);
                BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
                writer.write(state, enc);
                enc.flush();
                return out.toByteArray();
            } catch (IOException e) {
                throw new SerializationException("cannot write event state for " + state.getEventId(), e);
            }
        };
    }

    @Override
    public Deserializer<EventState> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, null));
            } catch (IOException e) {
                throw new SerializationException("cannot read event state from " + topic, e);
            }
        };
    }
}
