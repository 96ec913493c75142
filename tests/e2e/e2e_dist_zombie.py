#!/usr/bin/env python3
"""Distributed mode, a zombie processor (issue 9): processor 1 is paused with SIGSTOP in the
middle of a stream of votes, so it holds a batch it has not checkpointed; the consumer group
gives its partitions to processor 2 (session timeout), which counts every vote. Then processor 1
is resumed with SIGCONT: it finishes its stale batch and tries to checkpoint it, and that changes
nothing (the checkpoint's condition on the stored next offset fails; its ledger writes were
already there). The result stays exact, read straight from DynamoDB, and more votes afterwards
are counted exactly once too."""
import argparse

from dist_cluster import Cluster
from dist_votes import Ballots, cast_pairs, check_exact, wait_counted
from harness import Checks, wait_for

E = "dist-zombie"
OPTIONS = ["a", "b"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    ap.add_argument("--kafka-mock", required=True)
    ap.add_argument("--node", default="node")
    args = ap.parse_args()
    t = Checks("e2e_dist_zombie")
    # One worker thread per processor and small batches: the paused processor is likely to be
    # in the middle of a batch, and holds many partitions' worth of uncommitted work.
    with Cluster(args.urna, args.kafka_mock, args.node, ingest=2, processors=2,
                 process_args=["--workers", "1", "--max-batch", "64"]) as c:
        ports = [n.port for n in c.ingest]
        c.ingest[0].client().create_open(E, OPTIONS)
        wait_for(lambda: c.ingest[1].client().request("GET", f"/v1/elections/{E}")[1]
                 .get("status") == "open", timeout=5, interval=0.05, what="open on node 2")
        ballots = Ballots(E)
        # Votes are in Kafka before the processors get far: pause processor 1 while it works.
        cast_pairs(ballots, ports, [f"w{i:05d}" for i in range(1500)], OPTIONS)
        zombie = c.processors[0]
        zombie.pause()
        print("processor 1 paused (SIGSTOP)", flush=True)
        t.check(len(ballots.accepted) == 3000 and not ballots.refused,
                f"3,000 votes accepted: {len(ballots.accepted)} {ballots.refused[:3]}")
        # Processor 2 alone counts everything once the group has moved processor 1's partitions.
        wait_counted(ports[0], E, 1500, timeout=90)
        items_before = {it["vote_id"]["S"] for it in c.ledger_items(E)}
        checkpoints_before = c.scan("checkpoints")
        zombie.resume()
        print("processor 1 resumed (SIGCONT)", flush=True)
        # The zombie finishes its stale batch and learns it lost its partitions; the group then
        # rebalances it back in. Votes after that are shared by both processors again.
        more = Ballots(E)
        cast_pairs(more, ports, [f"x{i:05d}" for i in range(500)], OPTIONS)
        ballots.accepted += more.accepted
        ballots.refused += more.refused
        check_exact(t, c, ballots, ports, voters_expected=2000)
        items_after = {it["vote_id"]["S"] for it in c.ledger_items(E)}
        t.check(items_before <= items_after,
                "every ledger item written before the zombie woke is still there, unchanged")
        t.check(len(checkpoints_before) > 0, "checkpoints were written")
        t.check(zombie.alive(), "the resumed processor keeps running")
        job = c.ingest[0].client()
        s, body, _ = job.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200, f"close: {s} {body}")
        rep = job.recount(E)
        t.check(rep["state"] == "done" and rep["report"]["agree"] is True,
                f"the recount agrees: {rep}")
        codes = c.stop()
        t.check(all(code == 0 for code in codes.values()), f"SIGTERM: every role exits 0: {codes}")
    t.finish()


if __name__ == "__main__":
    main()
