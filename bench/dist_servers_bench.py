#!/usr/bin/env python3
"""How fast the distributed-mode test servers are on this machine, so issue 9's test sizes fit
them: conditional puts/s into dynalite (the ledger's `attribute_not_exists(pk) OR vote_id = :v`
put, over keep-alive signed HTTP from Python client processes) and messages/s that Debian's kcat
produces into librdkafka's mock cluster (idempotent, acks=all). Also the servers' own CPU time
per operation (from /proc), which says whether the client or the server was the limit.
These are test servers, not DynamoDB or Kafka: the figures size tests, nothing else.

  python3 bench/dist_servers_bench.py --kafka-mock build/release/tests/servers/kafka_mock
"""
import argparse
import multiprocessing
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from dist_servers import Dynalite, KafkaMock  # noqa: E402
from dynamo_http import DynamoHttp  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU seconds of a process and its threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def put_loop(endpoint, t, count):
    """One client process: `count` conditional puts of distinct voters on one connection."""
    c = DynamoHttp(endpoint)
    for i in range(count):
        vote = f"vote-{t}-{i}"
        c.call("PutItem", {
            "TableName": "bench",
            "Item": {"pk": {"S": f"e1#{t}#{i}"}, "vote_id": {"S": vote},
                     "option": {"S": "a"}, "cast_at": {"N": "1700000000000"}},
            "ConditionExpression": "attribute_not_exists(pk) OR vote_id = :v",
            "ExpressionAttributeValues": {":v": {"S": vote}}})
    c.close()


def bench_dynalite(node, puts, clients):
    with Dynalite(node) as ddb:
        db = DynamoHttp(ddb.endpoint)
        db.call("CreateTable", {
            "TableName": "bench", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
        deadline = time.monotonic() + 30
        while db.call("DescribeTable", {"TableName": "bench"})["Table"]["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise RuntimeError("table did not become ACTIVE")
            time.sleep(0.05)
        db.close()
        per_client = puts // clients
        pid = ddb._p.proc.pid
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        procs = [multiprocessing.Process(target=put_loop, args=(ddb.endpoint, t, per_client))
                 for t in range(clients)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(300)
            if p.exitcode != 0:
                raise RuntimeError(f"a client process failed: {p.exitcode}")
        wall, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
        n = per_client * clients
        print(f"dynalite: {n} conditional puts, {clients} client process(es): {n / wall:,.0f} puts/s; "
              f"dynalite CPU {cpu / wall * 100:.0f}% of a core, {cpu / n * 1e6:.0f} us per put",
              flush=True)


def bench_kafka(binary, messages, partitions):
    with KafkaMock(binary, brokers=3, topics={"bench": partitions}) as kafka:
        # ~100-byte values with keys, like a vote event keyed by (election, voter).
        data = "".join(f"e1:v{i:08d}:{'x' * 80}\n" for i in range(messages)).encode()
        pid = kafka._p.proc.pid
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        p = subprocess.run(["kcat", "-P", "-b", kafka.bootstrap, "-t", "bench", "-K", ":",
                            "-X", "enable.idempotence=true", "-X", "acks=all",
                            "-X", "linger.ms=5"], input=data, capture_output=True, timeout=300)
        wall, cpu = time.monotonic() - t0, cpu_seconds(pid) - cpu0
        if p.returncode != 0:
            raise RuntimeError(f"kcat failed: {p.stderr.decode()[-500:]}")
        print(f"kafka_mock: kcat produced {messages} keyed ~100-byte messages into {partitions} "
              f"partitions (idempotent, acks=all): {messages / wall:,.0f} msgs/s; "
              f"kafka_mock CPU {cpu / wall * 100:.0f}% of a core, {cpu / messages * 1e6:.1f} us "
              f"per message", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kafka-mock", required=True)
    ap.add_argument("--node", default="node")
    ap.add_argument("--puts", type=int, default=5000)
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--partitions", type=int, default=12)
    args = ap.parse_args()
    print(f"nproc={os.cpu_count()} load before: {os.getloadavg()[0]:.2f}", flush=True)
    for clients in (1, 4):
        bench_dynalite(args.node, args.puts, clients)
    bench_kafka(args.kafka_mock, args.messages, args.partitions)


if __name__ == "__main__":
    main()
