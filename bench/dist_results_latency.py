#!/usr/bin/env python3
"""From a vote's 202 to the viewers' screens, in the full distributed run (issue 10): mock Kafka
(3 brokers) + dynalite + redis-server + 2 `urna ingest` + 2 `urna process --redis` + 2 `urna
results` on one port (--reuse-port), all on this machine.

Viewers (half SSE, half WebSocket) follow one election on the result servers' shared port. One
voter sends votes one after another (new voters, the two ingest nodes in turn) at a fixed rate;
vote k is the k-th 202 and the election's total becomes k once it is counted. For every viewer,
vote k reaches the screen at the first snapshot with total >= k: latency = that arrival time
minus the time the client got the 202 (both time.monotonic() in this process). The path: the
processor's batch and its checkpoint in DynamoDB, the publish to Redis (fenced script +
PUBLISH), the result server's re-read, the hub's next tick (--tick-ms, 250 by default), the
write to the socket. Optionally a background load votes in another election meanwhile.

The mock and dynalite are test servers on the same 2 cores as everything else: the figures show
the read side's own delays (tick, notification, re-read) and their order of magnitude, not a
production deployment's. The write/read split is at the snapshot's updated_at (the latest
publish it includes, so the read side's share is a lower bound). Every viewer is parsed by one
Python asyncio loop: keep viewers x frames per second (at most 1000 / tick-ms per viewer) under
~1,000/s, or the figures measure this client (100 viewers at --tick-ms 50 do).

Usage: bench/dist_results_latency.py --urna build/release/src/urna
    --kafka-mock build/release/tests/servers/kafka_mock [--votes 300] [--rate 20]
    [--viewers 100] [--tick-ms 250] [--background 0]
"""
import argparse
import datetime
import os
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))

from dist_cluster import (TEST_KAFKA_PROPERTIES, Cluster, create_open_on_both,  # noqa: E402
                          wait_on_result_servers)
from harness import Client  # noqa: E402
from stream_viewers import Viewers  # noqa: E402

E, BG = "latency", "latency-background"


def epoch(rfc3339):
    """Seconds since the epoch of the snapshot's updated_at ("2026-11-30T12:00:00.123Z")."""
    return datetime.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def background(ports, rate, stop):
    """Votes in another election at `rate`/s until `stop` (the processors' and Redis's load)."""
    clients = [Client(p) for p in ports]
    i, start = 0, time.monotonic()
    while not stop.is_set():
        clients[i % 2].vote(BG, f"bg-{i}", "a")
        i += 1
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--urna", default=os.path.join(HERE, "..", "build", "release", "src", "urna"))
    ap.add_argument("--kafka-mock", default=os.path.join(HERE, "..", "build", "release", "tests",
                                                         "servers", "kafka_mock"))
    ap.add_argument("--node", default="node")
    ap.add_argument("--votes", type=int, default=300)
    ap.add_argument("--rate", type=float, default=20, help="measured votes per second")
    ap.add_argument("--viewers", type=int, default=100, help="half SSE, half WebSocket")
    ap.add_argument("--tick-ms", type=int, default=250, help="the result servers' hub tick")
    ap.add_argument("--background", type=float, default=0,
                    help="votes/s in another election meanwhile")
    ap.add_argument("--fetch-wait-ms", type=int, default=None,
                    help="the processors' fetch.wait.max.ms (librdkafka's default: 500; the "
                         "mock broker seems to hold a fetch that found no data that long)")
    args = ap.parse_args()
    props = TEST_KAFKA_PROPERTIES
    if args.fetch_wait_ms is not None:
        props += f"fetch.wait.max.ms={args.fetch_wait_ms}\n"

    results_args = ["--tick-ms", str(args.tick_ms)]
    with Cluster(args.urna, args.kafka_mock, args.node, ingest=2, processors=2, results=2,
                 results_args=results_args, kafka_properties=props) as c:
        ports = [n.port for n in c.ingest]
        create_open_on_both(c, E, ["a", "b"])
        create_open_on_both(c, BG, ["a", "b"])
        wait_on_result_servers(c, E)
        viewers = Viewers(c.results_port, E, sse=args.viewers // 2,
                          ws=args.viewers - args.viewers // 2).start()
        stop = threading.Event()
        bg = None
        try:
            if not viewers.wait(lambda v: v.last is not None, timeout=60):
                raise SystemExit(f"viewers did not connect: {viewers.errors()[:3]}")
            if args.background:
                bg = threading.Thread(target=background, args=(ports, args.background, stop),
                                      daemon=True)
                bg.start()
            clients = [Client(p) for p in ports]
            t202, w202 = [], []
            start = time.monotonic()
            for k in range(args.votes):
                s, b, _ = clients[k % 2].vote(E, f"v-{k}", "ab"[k % 2])
                if s != 202:
                    raise SystemExit(f"vote {k}: {s} {b}")
                t202.append(time.monotonic())
                w202.append(time.time())
                delay = start + (k + 1) / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            if not viewers.wait(lambda v: v.last["total"] >= args.votes, timeout=120):
                raise SystemExit(f"viewers did not reach {args.votes}: {viewers.summary()}")
        finally:
            stop.set()
            if bg:
                bg.join(30)
            viewers.stop()
        # Split at the snapshot's updated_at: when the processor handed the tallies to the Redis
        # publisher, after the checkpoint (wall clock, same machine). Before: the write side
        # (Kafka, the processor's batch, DynamoDB); after: the read side (publish, Redis,
        # the result server's re-read, the tick, the socket).
        by_kind = {"sse": [], "ws": []}
        write_side, read_side = [], []
        for v in viewers.all:
            j = 0
            for k in range(1, args.votes + 1):
                while v.snapshots[j]["total"] < k:
                    j += 1
                by_kind[v.kind].append((v.times[j] - t202[k - 1]) * 1000)
                at = epoch(v.snapshots[j]["updated_at"])
                write_side.append((at - w202[k - 1]) * 1000)
                read_side.append((v.walls[j] - at) * 1000)
        print(f"votes {args.votes} at {args.rate:g}/s, viewers {len(viewers.all)} "
              f"({len(by_kind['sse']) // args.votes} SSE, {len(by_kind['ws']) // args.votes} WS) "
              f"on 2 result servers, tick {args.tick_ms} ms, background {args.background:g} "
              f"votes/s, fetch.wait.max.ms {args.fetch_wait_ms or 'default'}")
        print(f"{'':6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'samples':>8}")
        rows = list(by_kind.items()) + [("all", by_kind["sse"] + by_kind["ws"])]
        rows += [("  202 -> processor published (write side)", write_side),
                 ("  published -> screen (read side)", read_side)]
        for kind, ms in rows:
            if ms:
                print(f"{kind:6} {statistics.median(ms):8.0f} {pct(ms, 90):8.0f} "
                      f"{pct(ms, 99):8.0f} {max(ms):8.0f} {len(ms):8d}")


if __name__ == "__main__":
    main()
