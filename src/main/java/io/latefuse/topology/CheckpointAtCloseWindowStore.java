package io.latefuse.topology;

import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.time.Instant;
import java.util.Map;

/**
 * A RocksDB window store whose changelog offset Kafka Streams keeps in a checkpoint file, written when the store is
 * closed, instead of trusting the offsets its segments hold. For the {@code emitted} store under exactly-once with
 * transactional state stores (KIP-892).
 * <p>
 * Why: Kafka Streams 4.4 writes RocksDB without a WAL, and each segment of a window store is a RocksDB of its own that
 * flushes its memtables to disk on its own, with the offsets committed to it. After a SIGKILL every segment is back
 * at its own last flush, and {@code AbstractSegments.committedOffset} answers the newest segment's offset: an older
 * segment's writes from before that offset that it had not flushed are never restored (TransactionalStoresIT: emitted
 * events forgotten, so a late score answered them again as revision 0).
 * <p>
 * With {@link #managesOffsets()} false, Kafka Streams wraps the store in its {@code LegacyCheckpointingStateStore}:
 * under exactly-once it deletes the checkpoint when the store opens and writes it only after a close, once RocksDB has
 * flushed every segment. A clean restart starts from that offset; after a crash there is none, and the changelog is
 * restored from its start over what the segments kept (putting a committed record again is harmless): what every
 * store did after a crash before transactional stores. The other stores keep theirs, offsets included.
 */
final class CheckpointAtCloseWindowStore implements WindowStore<Bytes, byte[]> {
    private final WindowStore<Bytes, byte[]> inner;

    private CheckpointAtCloseWindowStore(WindowStore<Bytes, byte[]> inner) {
        this.inner = inner;
    }

    /** {@code supplier}'s stores, each wrapped. */
    static WindowBytesStoreSupplier supplier(WindowBytesStoreSupplier supplier) {
        return new WindowBytesStoreSupplier() {
            @Override
            public String name() {
                return supplier.name();
            }

            @Override
            public WindowStore<Bytes, byte[]> get() {
                return new CheckpointAtCloseWindowStore(supplier.get());
            }

            @Override
            public String metricsScope() {
                return supplier.metricsScope();
            }

            @Override
            public long segmentIntervalMs() {
                return supplier.segmentIntervalMs();
            }

            @Override
            public long windowSize() {
                return supplier.windowSize();
            }

            @Override
            public boolean retainDuplicates() {
                return supplier.retainDuplicates();
            }

            @Override
            public long retentionPeriod() {
                return supplier.retentionPeriod();
            }
        };
    }

    /** False: the offset is Kafka Streams' checkpoint file's, written after a close (see the class comment). */
    @Override
    @SuppressWarnings("deprecation")
    public boolean managesOffsets() {
        return false;
    }

    /** None of the segments' own: they need not agree after a crash. */
    @Override
    public Long committedOffset(TopicPartition partition) {
        return null;
    }

    // Everything else is the wrapped store's, commits included: they apply its staged writes.

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        inner.init(context, root);
    }

    @Override
    @SuppressWarnings("deprecation")
    public void flush() {
        inner.flush();
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        inner.commit(changelogOffsets);
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return inner.query(query, positionBound, config);
    }

    @Override
    public long approximateNumUncommittedBytes() {
        return inner.approximateNumUncommittedBytes();
    }

    @Override
    public Position getPosition() {
        return inner.getPosition();
    }

    @Override
    public ReadOnlyWindowStore<Bytes, byte[]> readOnly(IsolationLevel isolationLevel) {
        return inner.readOnly(isolationLevel);
    }

    @Override
    public void put(Bytes key, byte[] value, long windowStartTimestamp) {
        inner.put(key, value, windowStartTimestamp);
    }

    @Override
    public byte[] fetch(Bytes key, long time) {
        return inner.fetch(key, time);
    }

    @Override
    public WindowStoreIterator<byte[]> fetch(Bytes key, long timeFrom, long timeTo) {
        return inner.fetch(key, timeFrom, timeTo);
    }

    @Override
    public WindowStoreIterator<byte[]> fetch(Bytes key, Instant timeFrom, Instant timeTo) {
        return inner.fetch(key, timeFrom, timeTo);
    }

    @Override
    public WindowStoreIterator<byte[]> backwardFetch(Bytes key, long timeFrom, long timeTo) {
        return inner.backwardFetch(key, timeFrom, timeTo);
    }

    @Override
    public WindowStoreIterator<byte[]> backwardFetch(Bytes key, Instant timeFrom, Instant timeTo) {
        return inner.backwardFetch(key, timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes keyFrom, Bytes keyTo, long timeFrom, long timeTo) {
        return inner.fetch(keyFrom, keyTo, timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes keyFrom, Bytes keyTo, Instant timeFrom, Instant timeTo) {
        return inner.fetch(keyFrom, keyTo, timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes keyFrom, Bytes keyTo, long timeFrom,
                                                                   long timeTo) {
        return inner.backwardFetch(keyFrom, keyTo, timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes keyFrom, Bytes keyTo, Instant timeFrom,
                                                                   Instant timeTo) {
        return inner.backwardFetch(keyFrom, keyTo, timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> all() {
        return inner.all();
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardAll() {
        return inner.backwardAll();
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetchAll(long timeFrom, long timeTo) {
        return inner.fetchAll(timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetchAll(Instant timeFrom, Instant timeTo) {
        return inner.fetchAll(timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetchAll(long timeFrom, long timeTo) {
        return inner.backwardFetchAll(timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetchAll(Instant timeFrom, Instant timeTo) {
        return inner.backwardFetchAll(timeFrom, timeTo);
    }
}
