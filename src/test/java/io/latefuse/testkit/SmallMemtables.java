package io.latefuse.testkit;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

import java.util.Map;

/**
 * RocksDB memtables of 64 KiB instead of Kafka Streams' 16 MiB, for a test that needs stores to flush to disk after
 * a few hundred records, as they do in production after tens of thousands. Kafka Streams writes without a WAL, so
 * after a SIGKILL a RocksDB store holds what was flushed, and nothing since.
 */
public final class SmallMemtables implements RocksDBConfigSetter {
    public static final long BYTES = 64 * 1024;

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        options.setWriteBufferSize(BYTES);
    }

    @Override
    public void close(String storeName, Options options) {}
}
