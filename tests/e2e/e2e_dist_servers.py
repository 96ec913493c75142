#!/usr/bin/env python3
"""The distributed-mode test servers work from the tests' side (no urna in this test):
librdkafka's mock cluster takes produce and serves consume through Debian's `kcat` with 3
brokers, refuses a partition whose leader is down and takes it again once the broker is up or
the leader moved; dynalite creates a table and does the ledger's conditional put (first vote
wins, a replay of the same vote passes, another vote fails its condition and changes nothing)
over plain signed HTTP; the fault proxy in front of it answers throttling before a put (not
applied) and a 500 after one (applied: the retry passes as a replay)."""
import argparse
import json
import shutil
import subprocess
import time

from dist_servers import Dynalite, KafkaMock
from dynamo_fault_proxy import DynamoFaultProxy
from dynamo_http import DynamoError, DynamoHttp
from harness import Checks

TOPIC = "smoke"
PARTITIONS = 3


def kcat(*args, stdin=None, timeout=60):
    """Runs kcat; returns (exit code, stdout). Bounded in time by kcat's own timeouts and ours."""
    p = subprocess.run(["kcat", *args], input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout


def produce(bootstrap, partition, values, timeout_ms=5000):
    """Produces values to one partition as an idempotent producer with acks=all."""
    return kcat("-P", "-b", bootstrap, "-t", TOPIC, "-p", str(partition), "-K", ":",
                "-X", "enable.idempotence=true", "-X", "acks=all",
                "-X", f"message.timeout.ms={timeout_ms}",
                stdin="".join(f"k{v}:{v}\n" for v in values))[0]


def consume_all(bootstrap):
    """Every message of the topic as {partition: [(offset, key, value), ...]}."""
    rc, out = kcat("-C", "-b", bootstrap, "-t", TOPIC, "-o", "beginning", "-e", "-q",
                   "-f", "%p %o %k %s\\n")
    got = {}
    for line in out.splitlines():
        p, o, k, v = line.split(" ")
        got.setdefault(int(p), []).append((int(o), k, v))
    return rc, got


def kafka_checks(t, binary):
    with KafkaMock(binary, brokers=3, topics={TOPIC: PARTITIONS}) as kafka:
        t.check(len(kafka.bootstrap.split(",")) == 3, f"3 bootstrap servers: {kafka.bootstrap}")
        rc, meta = kcat("-L", "-J", "-b", kafka.bootstrap, "-t", TOPIC)
        meta = json.loads(meta) if rc == 0 else {}
        t.check(sorted(b["id"] for b in meta.get("brokers", [])) == [1, 2, 3],
                f"metadata lists brokers 1..3: {meta.get('brokers')}")
        parts = meta.get("topics", [{}])[0].get("partitions", [])
        t.check(sorted((p["partition"], p["leader"]) for p in parts) == [(0, 1), (1, 2), (2, 3)],
                f"{PARTITIONS} partitions, leaders spread over the brokers: {parts}")

        for p in range(PARTITIONS):
            t.check(produce(kafka.bootstrap, p, [f"a{p}-{i}" for i in range(5)]) == 0,
                    f"produce to partition {p}")

        kafka.down(2)  # leads partition 1
        start = time.monotonic()
        t.check(produce(kafka.bootstrap, 1, ["lost"], timeout_ms=2000) != 0,
                "produce to the down broker's partition fails")
        print(f"failed produce returned after {time.monotonic() - start:.1f} s", flush=True)
        t.check(produce(kafka.bootstrap, 0, ["b0"]) == 0, "the other brokers' partitions take "
                "produce while broker 2 is down")
        kafka.set_leader(TOPIC, 1, 3)
        t.check(produce(kafka.bootstrap, 1, ["moved"]) == 0,
                "partition 1 takes produce once its leader moved to broker 3")
        kafka.up(2)
        kafka.set_leader(TOPIC, 1, 2)
        t.check(produce(kafka.bootstrap, 1, ["back"]) == 0, "and again on broker 2 once it is up")

        rc, got = consume_all(kafka.bootstrap)
        t.check(rc == 0, "consume to the end")
        want = {0: [f"a0-{i}" for i in range(5)] + ["b0"],
                1: [f"a1-{i}" for i in range(5)] + ["moved", "back"],
                2: [f"a2-{i}" for i in range(5)]}
        for p in range(PARTITIONS):
            rows = got.get(p, [])
            t.check([v for _, _, v in rows] == want[p],
                    f"partition {p} holds exactly the delivered messages in order: {rows}")
            t.check([o for o, _, _ in rows] == list(range(len(rows))), f"offsets 0.. in {p}")
            t.check(all(k == f"k{v}" for _, k, v in rows), f"keys kept in partition {p}")
        t.check(kafka.stop() == 0, "kafka_mock exits 0 on stdin EOF")


def dynamo_checks(t, node):
    with Dynalite(node) as ddb:
        db = DynamoHttp(ddb.endpoint)
        table = "smoke-ledger"
        db.call("CreateTable", {
            "TableName": table, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            status = db.call("DescribeTable", {"TableName": table})["Table"]["TableStatus"]
            if status == "ACTIVE":
                break
            time.sleep(0.05)
        t.check(status == "ACTIVE", f"table becomes ACTIVE: {status}")

        def put(voter, vote_id, client=db):
            return client.call("PutItem", {
                "TableName": table,
                "Item": {"pk": {"S": f"e1#{voter}"}, "vote_id": {"S": vote_id},
                         "option": {"S": "a"}},
                "ConditionExpression": "attribute_not_exists(pk) OR vote_id = :v",
                "ExpressionAttributeValues": {":v": {"S": vote_id}}})

        def stored(voter):
            item = db.call("GetItem", {"TableName": table, "ConsistentRead": True,
                                       "Key": {"pk": {"S": f"e1#{voter}"}}}).get("Item")
            return item and item["vote_id"]["S"]

        put("v1", "id-1")
        t.check(stored("v1") == "id-1", "the first vote is stored")
        put("v1", "id-1")
        t.check(stored("v1") == "id-1", "a replay of the same vote passes its condition")
        try:
            put("v1", "id-2")
            t.check(False, "a second vote of the same voter must fail its condition")
        except DynamoError as e:
            t.check(e.status == 400 and e.type == "ConditionalCheckFailedException",
                    f"a second vote fails with ConditionalCheckFailed: {e}")
        t.check(stored("v1") == "id-1", "the failed put changed nothing")
        try:
            db.call("PutItem", {"TableName": table, "Item": {"nope": {"S": "x"}}})
            t.check(False, "an item without its key must be refused")
        except DynamoError as e:
            t.check(e.status == 400 and e.type == "ValidationException", f"bad item: {e}")
        fault_proxy_checks(t, ddb.endpoint, put, stored)
        db.close()
        t.check(ddb.stop() == 0, "dynalite exits 0 on stdin EOF")


def expect_error(t, call, status, type_, what):
    try:
        call()
        t.check(False, f"{what}: no error")
    except DynamoError as e:
        t.check(e.status == status and e.type == type_, f"{what}: {e}")


def fault_proxy_checks(t, endpoint, put, stored):
    with DynamoFaultProxy(endpoint) as proxy:
        via = DynamoHttp(proxy.endpoint)
        proxy.inject("throttle", operation="PutItem")
        expect_error(t, lambda: put("v2", "id-3", via), 400,
                     "ProvisionedThroughputExceededException", "throttled put")
        t.check(stored("v2") is None, "a throttled put is not applied")
        put("v2", "id-3", via)
        t.check(stored("v2") == "id-3", "its retry is")
        proxy.inject("internal", operation="PutItem", after=True)
        expect_error(t, lambda: put("v3", "id-4", via), 500, "InternalServerError",
                     "a 500 after the put")
        t.check(stored("v3") == "id-4", "the put answered 500 was applied")
        put("v3", "id-4", via)
        t.check(stored("v3") == "id-4", "its retry passes as a replay of the same vote")
        t.check(proxy.injected == {"throttle": 1, "internal": 1}, f"faults: {proxy.injected}")
        via.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kafka-mock", required=True, help="tests/servers' kafka_mock binary")
    ap.add_argument("--node", default="node")
    args = ap.parse_args()
    t = Checks("e2e_dist_servers")
    t.check(shutil.which("kcat") is not None, "kcat is installed (scripts/bootstrap)")
    kafka_checks(t, args.kafka_mock)
    dynamo_checks(t, args.node)
    t.finish()


if __name__ == "__main__":
    main()
