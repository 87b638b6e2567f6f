#!/usr/bin/env python3
"""The consumer's side of latefuse: read FusedPrediction records with confluent_kafka's Avro deserializer.

Prints one JSON object per prediction:

    {"event_id": "utt-1", "revision": 0, "status": "DEGRADED", "label": "directed",
     "scores": {"directed": 0.81, "undirected": 0.19}, "missing": ["lexical"], "event_time": "2026-12-01T09:00:00.120Z"}

The things to get right:
- read with isolation.level read_committed (librdkafka's default, set here anyway): under exactly-once the fusion
  app's aborted writes are in the topic too, and only read_committed skips them;
- a prediction can be revised (revision 1, 2, ...) when a late score arrives: keep the highest revision per
  event_id, which is the record key;
- scores come in the pipeline's class order; label is already the argmax;
- with operating points, decision is the class decided at the threshold of the modalities present (threshold);
  a consumer built on an older schema, without these fields, still reads the records (--reader-schema).
"""
import argparse
import json
import sys
import time

from confluent_kafka import DeserializingConsumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import StringDeserializer


def as_json(prediction, classes):
    """One prediction for printing: its scores by class name, its times in ISO-8601."""
    out = {
        "event_id": prediction["event_id"],
        "revision": prediction["revision"],
        "status": prediction["status"],
        "label": prediction["label"],
        "scores": dict(zip(classes, prediction["scores"])),
        "missing": prediction["missing"],
        "event_time": prediction["event_time"].isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if prediction.get("degraded_reason"):
        out["degraded_reason"] = prediction["degraded_reason"]
    if prediction.get("decision") is not None:
        out["decision"] = prediction["decision"]
        out["threshold"] = prediction["threshold"]
        out["operating_point"] = prediction["operating_point"]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap-servers", required=True)
    p.add_argument("--schema-registry-url", required=True)
    p.add_argument("--topic", required=True, help="the pipeline's output.topic (<topic.prefix>fused)")
    p.add_argument("--classes", required=True, help="the pipeline's classes, comma-separated, in its order")
    p.add_argument("--group", default="latefuse-python-example")
    p.add_argument("--reader-schema", help="read with this FusedPrediction schema (.avsc), e.g. the one the consumer "
                                            "was built on; default: each record's own (writer) schema")
    p.add_argument("--max-messages", type=int, default=0, help="stop after this many (0: run until Ctrl-C)")
    p.add_argument("--timeout", type=float, default=60, help="with --max-messages: give up after this many seconds")
    args = p.parse_args()
    classes = args.classes.split(",")
    consumer = DeserializingConsumer({
        "bootstrap.servers": args.bootstrap_servers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "key.deserializer": StringDeserializer("utf_8"),
        "value.deserializer": AvroDeserializer(SchemaRegistryClient({"url": args.schema_registry_url}),
                                               open(args.reader_schema).read() if args.reader_schema else None),
    })
    consumer.subscribe([args.topic])
    n = 0
    give_up = time.monotonic() + args.timeout
    try:
        while args.max_messages == 0 or n < args.max_messages:
            if args.max_messages and time.monotonic() > give_up:
                print("only %d of %d prediction(s) within %ss" % (n, args.max_messages, args.timeout), file=sys.stderr)
                return 1
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                print("consumer error: %s" % msg.error(), file=sys.stderr)
                continue
            print(json.dumps(as_json(msg.value(), classes)), flush=True)
            n += 1
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
