#!/usr/bin/env python3
"""A model server's side of latefuse: write each modality's scores as ModalityScore records.

It uses Confluent's Python client (confluent_kafka) and its Avro serializer, against the contract in
schemas/ModalityScore.avsc, so that the fusion app reads them as it reads scores from Java. The helpers here
guard against the three mistakes a Python producer makes most:

- event_time is Avro timestamp-millis: give a timezone-aware datetime, never time.time() (seconds) or a naive
  datetime (which fastavro would take as UTC, whatever your time zone is);
- the record key must be the event id: the fusion app dead-letters a score whose key differs (key_mismatch),
  and a different key would land it on another partition;
- scores go in the pipeline's class order: give them by class name, and they are put in that order.

Run as a script, it reads one JSON object per line on stdin and sends each:

    {"event_id": "utt-1", "modality": "acoustic", "scores": {"directed": 0.9, "undirected": 0.1},
     "event_time": "2026-12-01T09:00:00.120Z"}

to <topic-prefix>scores.<modality>, the fusion app's default topic for that modality.
"""
import argparse
import datetime
import json
import pathlib
import sys

from confluent_kafka import SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import StringSerializer

SCHEMAS = pathlib.Path(__file__).resolve().parents[2] / "schemas"


def event_time_of(value):
    """An event time as Avro timestamp-millis wants it: a timezone-aware datetime, from one or an ISO-8601 string."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime.datetime):
        raise TypeError("event_time must be a timezone-aware datetime or an ISO-8601 string, not %r: a number "
                        "would be taken as milliseconds since the epoch, and time.time() is seconds" % (value,))
    if value.tzinfo is None:
        raise ValueError("event_time %s has no time zone: give datetime.now(datetime.timezone.utc), or an "
                         "ISO-8601 string with its offset" % value.isoformat())
    return value


def scores_in_class_order(scores, classes):
    """The scores, by class name, as the list latefuse reads: one value per class, in the pipeline's class order."""
    if set(scores) != set(classes):
        raise ValueError("scores are for %s, but the pipeline's classes are %s" % (sorted(scores), list(classes)))
    return [float(scores[c]) for c in classes]


def modality_score(event_id, modality, scores, classes, event_time, model="model", model_version="1",
                   score_type="PROBABILITY", confidence=None, attributes=None):
    """A ModalityScore record, as a dict for the Avro serializer."""
    return {
        "event_id": event_id,
        "modality": modality,
        "model": model,
        "model_version": model_version,
        "scores": scores_in_class_order(scores, classes),
        "score_type": score_type,
        "confidence": confidence,
        "event_time": event_time_of(event_time),
        "embedding": None,
        "attributes": attributes or {},
    }


class ScoreProducer:
    """Sends ModalityScore records, keyed by their event id, to <topic_prefix>scores.<modality>."""

    def __init__(self, bootstrap_servers, schema_registry_url, topic_prefix="", extra=None, serializer_conf=None,
                 schema_path=SCHEMAS / "ModalityScore.avsc"):
        """extra: more producer settings (SASL, TLS...); serializer_conf: the Avro serializer's own settings;
        schema_path: the contract, schemas/ModalityScore.avsc of the latefuse release you run."""
        registry = SchemaRegistryClient({"url": schema_registry_url})
        schema = pathlib.Path(schema_path).read_text()
        conf = {
            "bootstrap.servers": bootstrap_servers,
            "key.serializer": StringSerializer("utf_8"),
            "value.serializer": AvroSerializer(registry, schema, conf=serializer_conf),
            # Every score counts: wait for the in-sync replicas, and never write one twice.
            "acks": "all",
            "enable.idempotence": True,
            # Place keys as Java's producers and Kafka Streams do (murmur2). librdkafka's default, consistent_random
            # (CRC32), puts most event ids on another partition than latefuse score's records of the same event:
            # they would never meet, and the fusion app dead-letters them as wrong_partition.
            "partitioner": "murmur2_random",
        }
        conf.update(extra or {})
        self._producer = SerializingProducer(conf)
        self._prefix = topic_prefix
        self._errors = []

    def send(self, score, key=None):
        """Sends one record. The key is the event id; pass another only to see the fusion app refuse it."""
        topic = self._prefix + "scores." + score["modality"]
        self._producer.produce(topic, key=score["event_id"] if key is None else key, value=score,
                               on_delivery=self._delivered)
        self._producer.poll(0)

    def _delivered(self, err, msg):
        if err is not None:
            self._errors.append("%s: %s" % (msg.topic(), err))

    def flush(self, timeout=30):
        """Waits until every record is written; raises if any was not."""
        left = self._producer.flush(timeout)
        if left or self._errors:
            raise RuntimeError("%d record(s) not delivered within %ss; errors: %s" % (left, timeout, self._errors))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bootstrap-servers", required=True)
    p.add_argument("--schema-registry-url", required=True)
    p.add_argument("--topic-prefix", default="", help="the pipeline's topic.prefix")
    p.add_argument("--classes", required=True, help="the pipeline's classes, comma-separated, in its order")
    p.add_argument("--model", default="model")
    args = p.parse_args()
    classes = args.classes.split(",")
    producer = ScoreProducer(args.bootstrap_servers, args.schema_registry_url, args.topic_prefix)
    n = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        producer.send(modality_score(r["event_id"], r["modality"], r["scores"], classes,
                                     r.get("event_time") or datetime.datetime.now(datetime.timezone.utc),
                                     model=args.model, confidence=r.get("confidence")))
        n += 1
    producer.flush()
    print("sent %d score(s)" % n, file=sys.stderr)


if __name__ == "__main__":
    main()
