#!/usr/bin/env python3
"""The vote log on Kafka is readable by other tools: votes appended through urna's Kafka vote
log (the producer of `urna ingest`, driven by bench/kafka_append) into librdkafka's mock
cluster are read back with Debian's `kcat`, each in the partition PartitionFor(election, voter)
names (FNV-1a 64 of "election\\0voter", computed here independently) under the key
`election '\\0' voter`, and `protoc --decode` decodes a record with the published schema
(proto/urna/v1/vote.proto): a vote, and the seal that ends every partition."""
import argparse
import json
import os
import shutil
import subprocess

from dist_servers import KafkaMock
from harness import Checks

TOPIC = "urna.votes"
PARTITIONS = 3
ELECTION = "e-kcat"
VOTES, VOTERS = 30, 10
PROTO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")


def partition_for(election, voter, partitions):
    """core/partition.h, written again from its definition: FNV-1a 64 over election\\0voter."""
    h = 14695981039346656037
    for byte in election.encode() + b"\0" + voter.encode():
        h ^= byte
        h = (h * 1099511628211) % (1 << 64)
    return h % partitions


def kcat(*args, timeout=60):
    """Runs kcat; returns (exit code, stdout bytes)."""
    p = subprocess.run(["kcat", *args], capture_output=True, timeout=timeout)
    return p.returncode, p.stdout


def decode(value):
    """A LogRecord's bytes as protoc's text format; (exit code, text)."""
    p = subprocess.run(["protoc", "--decode=urna.v1.LogRecord", "-I", PROTO_DIR,
                        os.path.join(PROTO_DIR, "urna", "v1", "vote.proto")],
                       input=value, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kafka-mock", required=True, help="tests/servers' kafka_mock binary")
    ap.add_argument("--kafka-append", required=True, help="bench's kafka_append binary")
    args = ap.parse_args()
    t = Checks("e2e_kafka_kcat")
    t.check(shutil.which("kcat") is not None, "kcat is installed (scripts/bootstrap)")
    t.check(shutil.which("protoc") is not None, "protoc is installed (scripts/bootstrap)")
    with KafkaMock(args.kafka_mock, topics={TOPIC: PARTITIONS}) as kafka:
        p = subprocess.run([args.kafka_append, "--brokers", kafka.bootstrap, "--topic", TOPIC,
                            "--votes", str(VOTES), "--voters", str(VOTERS), "--election",
                            ELECTION, "--seal"], capture_output=True, text=True, timeout=120)
        t.check(p.returncode == 0, f"kafka_append acknowledged every vote: {p.stdout}{p.stderr}")
        summary = json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else {}
        t.check(summary.get("ok") == VOTES + 1, f"{VOTES} votes and a seal acknowledged: {summary}")

        # Every record with its partition, offset and key (raw bytes: the key holds a NUL).
        rc, out = kcat("-C", "-b", kafka.bootstrap, "-t", TOPIC, "-o", "beginning", "-e", "-q",
                       "-f", "%p %o %k\n")
        t.check(rc == 0, "kcat consumes the topic to its end")
        rows = []
        for line in out.split(b"\n"):
            if line:
                part, off, key = line.split(b" ", 2)
                rows.append((int(part), int(off), key))
        by_part = {}
        for part, off, key in rows:
            by_part.setdefault(part, []).append((off, key))
        t.check(len(rows) == VOTES + PARTITIONS, f"{VOTES} votes + a seal in each of the "
                f"{PARTITIONS} partitions: {len(rows)} records")
        for part, recs in sorted(by_part.items()):
            votes = recs[:-1]
            for off, key in votes:
                election, _, voter = key.partition(b"\0")
                t.check(election == ELECTION.encode() and voter.startswith(b"voter-"),
                        f"key election\\0voter at {part}@{off}: {key!r}")
                want = partition_for(ELECTION, voter.decode(), PARTITIONS)
                t.check(want == part, f"{voter!r} is in partition {want}, not {part}")
            t.check(recs[-1][1] == ELECTION.encode() + b"\0",
                    f"partition {part} ends with the seal's key: {recs[-1]}")

        # One vote and one seal, decoded with the published schema.
        first = partition_for(ELECTION, "voter-0", PARTITIONS)
        rc, value = kcat("-C", "-b", kafka.bootstrap, "-t", TOPIC, "-p", str(first), "-o",
                         "beginning", "-c", "1", "-e", "-q", "-f", "%s")
        t.check(rc == 0 and value, f"kcat reads one record of partition {first}")
        rc, text = decode(value)
        t.check(rc == 0, f"protoc --decode decodes the vote: {text}")
        for field in ('vote {', 'vote_id: "vote-0"', f'election_id: "{ELECTION}"',
                      'option_id: "a"', 'voter_id: "voter-0"', "ingest_time_ms: 1700000000000",
                      'ingest_node: "kafka-append"'):
            t.check(field in text, f"the decoded vote has {field}: {text}")
        last = max(off for off, _ in by_part.get(0, [(0, b"")]))
        rc, value = kcat("-C", "-b", kafka.bootstrap, "-t", TOPIC, "-p", "0", "-o", str(last),
                         "-c", "1", "-e", "-q", "-f", "%s")
        rc, text = decode(value)
        t.check(rc == 0 and "seal {" in text and f'election_id: "{ELECTION}"' in text
                and f"closed_at_ms: {1700000000000 + VOTES}" in text,
                f"protoc --decode decodes the seal: {text}")
    t.finish()


if __name__ == "__main__":
    main()
