#!/usr/bin/env python3
"""Distributed mode, DynamoDB faults (issue 9): both processors reach DynamoDB through a
fault-injecting proxy (tests/e2e/dynamo_fault_proxy.py) that answers a share of their requests
with throttling (ProvisionedThroughputExceeded, RequestLimitExceeded) or 5xx — some before
dynalite sees the request, some after dynalite applied it (the answer is lost: the retry must be
idempotent). Every fault is retried: the votes are counted exactly once, read straight from
DynamoDB (one ledger item per voter, results equal to the ledger, every receipt settled), and
the recount agrees. Then an ingest node whose DynamoDB is down altogether (every request
answered 503) stops taking votes within its lease deadline — `503`, never `202`, and `/healthz`
says why — and takes them again by itself once DynamoDB answers."""
import json
import time

from dist_cluster import cluster_from_args, create_open_on_both
from dist_votes import (Ballots, cast_pairs, check_clean_stop, check_close_and_recount,
                        check_exact)
from dynamo_fault_proxy import DynamoFaultProxy
from harness import Checks, wait_for

E = "dist-dynamo-faults"
OPTIONS = ["a", "b", "c"]
VOTERS = 1000


def dynamo_down(t, c):
    with DynamoFaultProxy(c.dynalite.endpoint) as proxy:
        node = c.add_ingest("ingest-3", dynamo_endpoint=proxy.endpoint)
        cl = node.client()
        wait_for(lambda: cl.vote(E, "down-probe", "a")[0] == 202, timeout=10, interval=0.1,
                 what="node 3 to take votes")
        proxy.inject("unavailable", count=1_000_000)
        start = time.monotonic()
        # The lease is renewed every second and admits votes for 5 s after the last renewal
        # (dist_cluster's --lease-deadline-ms): the node gives up its lease within about 6 s.
        wait_for(lambda: "lease" in json.dumps(cl.request("GET", "/healthz")[1]), timeout=30,
                 interval=0.1, what="node 3's /healthz to say it lost its lease")
        took = time.monotonic() - start
        s, body, _ = cl.request("GET", "/healthz")
        print(f"DynamoDB down for node 3: no lease after {took:.1f} s: {body}", flush=True)
        t.check(s == 503 and took < 8, f"/healthz says why within the lease deadline: {s} {body}")
        statuses = {cl.vote(E, f"down-{i}", "b")[0] for i in range(20)}
        t.check(statuses == {503}, f"without DynamoDB, node 3 answers votes 503: {statuses}")
        proxy.clear()
        wait_for(lambda: cl.request("GET", "/healthz")[0] == 200, timeout=30, interval=0.2,
                 what="node 3 to recover by itself")
        s, body = cl.vote(E, "up-again", "b")[:2]
        t.check(s == 202, f"node 3 takes votes again once DynamoDB answers: {s} {body}")
        c.ingest.remove(node)
        t.check(node.stop() == 0, "node 3 stops cleanly")


def main():
    t = Checks("e2e_dist_dynamo_faults")
    with cluster_from_args(ingest=2, processors=0) as c, \
            DynamoFaultProxy(c.dynalite.endpoint) as proxy:
        for i in range(2):
            c.add_processor(f"processor-{i + 1}", dynamo_endpoint=proxy.endpoint)
        c.wait_assigned()
        ports = [n.port for n in c.ingest]
        create_open_on_both(c, E, OPTIONS)
        # Faults on every kind of write and read the processors make: one request in 5 gets
        # one, for the whole run.
        proxy.inject("throttle", count=10000, every=5)
        proxy.inject("internal", count=10000, every=7, after=True)
        proxy.inject("unavailable", count=10000, every=11)
        proxy.inject("request_limit", count=10000, every=13, after=True)
        ballots = Ballots(E)
        cast_pairs(ballots, ports, [f"f{i:05d}" for i in range(VOTERS)], OPTIONS)
        t.check(len(ballots.accepted) == 2 * VOTERS and not ballots.refused,
                f"{2 * VOTERS} votes accepted: {len(ballots.accepted)} {ballots.refused[:3]}")
        check_exact(t, c, ballots, ports, voters_expected=VOTERS)
        injected = dict(proxy.injected)
        print(f"faults injected: {injected}; requests forwarded: {proxy.forwarded}", flush=True)
        t.check(all(injected.get(k, 0) > 0 for k in ("throttle", "internal", "unavailable")),
                f"throttling and 5xx were injected, before and after: {injected}")
        dynamo_down(t, c)
        check_close_and_recount(t, c, E)
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
