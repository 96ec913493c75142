#!/usr/bin/env python3
"""Distributed mode, Kafka brokers down (issue 9): with every broker of the mock cluster down,
each vote is answered 503 (never 202) within the ingest node's delivery bound
(--kafka-delivery-timeout-ms, here 2 s) plus a margin; with one broker down, the votes for the
partitions it leads get 503 and the others 202. Once the brokers are back, votes get 202 again,
and every vote ever answered 202 is counted exactly once (ledger in DynamoDB, results, receipts);
the voters refused with 503 vote again and count."""
import time
from concurrent.futures import ThreadPoolExecutor

from dist_cluster import cluster_from_args, create_open_on_both
from dist_votes import Ballots, check_clean_stop, check_exact
from harness import Checks, wait_for

E = "dist-brokers"
OPTIONS = ["a", "b"]
DELIVERY_TIMEOUT_MS = 2000
MARGIN_S = 3.0  # the answer's way back, a busy 2-core machine


def main():
    t = Checks("e2e_dist_brokers")
    delivery = ["--kafka-delivery-timeout-ms", str(DELIVERY_TIMEOUT_MS)]
    with cluster_from_args(ingest=2, processors=1, ingest_args=delivery) as c:
        ports = [n.port for n in c.ingest]
        create_open_on_both(c, E, OPTIONS)
        ballots = Ballots(E)

        def cast_timed(args_):
            port, voter, option = args_
            start = time.monotonic()
            s, b = ballots.cast(port, voter, option)
            return s, time.monotonic() - start, b

        def round_(prefix, n):
            jobs = [(ports[i % 2], f"{prefix}{i:04d}", OPTIONS[i % 2]) for i in range(n)]
            with ThreadPoolExecutor(16) as pool:
                return list(pool.map(cast_timed, jobs))

        before = round_("up", 300)
        t.check(all(s == 202 for s, _, _ in before), "with every broker up, votes get 202")

        for b in (1, 2, 3):
            c.kafka.down(b)
        down = round_("down", 60)
        statuses = sorted({s for s, _, _ in down})
        slowest = max(d for _, d, _ in down)
        t.check(statuses == [503], f"every broker down: every vote 503, never 202: {statuses}")
        t.check(slowest < DELIVERY_TIMEOUT_MS / 1000 + MARGIN_S,
                f"each 503 within the delivery bound: slowest {slowest:.1f} s")
        t.check(all(b.get("error", {}).get("code") for s, _, b in down if s == 503),
                "503s carry an error code")
        for b in (1, 2, 3):
            c.kafka.up(b)

        c.kafka.down(2)  # leads a third of the partitions; the mock does not move leaders
        partial = round_("part", 120)
        codes = sorted({s for s, _, _ in partial})
        t.check(set(codes) <= {202, 503} and 202 in codes and 503 in codes,
                f"one broker down: its partitions' votes 503, the others 202: {codes}")
        c.kafka.up(2)

        # After recovery: 202 again (the producer reconnects), and the refused voters vote again.
        def healthy():
            s, _, _ = cast_timed((ports[0], "probe-voter", "a"))
            return s == 202
        wait_for(healthy, timeout=60, interval=0.5, what="votes to get 202 after recovery")
        refused = sorted({v for v, _, _, _, _ in ballots.refused})
        with ThreadPoolExecutor(16) as pool:
            again = list(pool.map(lambda iv: ballots.cast(ports[iv[0] % 2], iv[1], "b"),
                                  enumerate(refused)))
        t.check(all(s == 202 for s, _ in again),
                f"the {len(refused)} refused voters vote again: 202 "
                f"{sorted({s for s, _ in again})}")
        t.check(not ballots.unknown, f"every vote got an answer: {ballots.unknown[:3]}")
        refused_only = set(refused)
        ballots.refused = []  # checked above; their voters have a 202 now
        check_exact(t, c, ballots, ports,
                    voters_expected=300 + 60 + 120 + 1)
        t.check(all(v in ballots.accepted_voters() for v in refused_only),
                "every refused voter counts once they voted again")
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
