#!/usr/bin/env python3
"""Distributed mode, a zombie processor (issue 9). Processor 1 reaches DynamoDB through a proxy
that holds back its checkpoint writes: it processes a batch (ledger items, receipts) and is left
waiting for its checkpoint, and then it is paused with SIGSTOP. The consumer group gives its
partitions to processor 2, which processes the same entries again and more after them. Then the
held checkpoint is let through and processor 1 resumed with SIGCONT: its stale checkpoint fails
the condition on the stored next offset (the processor reloads, it never overwrites), its ledger
writes were identical, and the result stays exact (read straight from DynamoDB); the votes cast
afterwards are shared by both processors again and counted exactly once as well."""

from dist_cluster import PREFIX, cluster_from_args
from dist_votes import (Ballots, cast_pairs, check_clean_stop, check_exact, check_recount,
                        wait_status)
from dynamo_fault_proxy import DynamoFaultProxy
from harness import Checks, wait_for

E = "dist-zombie"
OPTIONS = ["a", "b"]


def main():
    t = Checks("e2e_dist_zombie")
    with cluster_from_args(ingest=2, processors=0) as c, \
            DynamoFaultProxy(c.dynalite.endpoint) as proxy:
        zombie = c.add_processor("processor-1", ["--workers", "1"],
                                 dynamo_endpoint=proxy.endpoint)
        c.add_processor("processor-2", ["--workers", "1"])
        c.wait_assigned()
        ports = [n.port for n in c.ingest]
        c.ingest[0].client().create_open(E, OPTIONS)
        wait_status(ports[1], E, "open", timeout=5)
        ballots = Ballots(E)
        cast_pairs(ballots, ports, [f"w{i:05d}" for i in range(500)], OPTIONS)
        c.wait_caught_up()

        # Processor 1's next checkpoint stays in the proxy: it has written a batch's ledger items
        # and waits for the checkpoint's answer when it is paused.
        proxy.hold("PutItem", table=PREFIX + "checkpoints")
        cast_pairs(ballots, ports, [f"x{i:05d}" for i in range(500)], OPTIONS)
        wait_for(lambda: proxy.held >= 1, timeout=30, interval=0.05,
                 what="processor 1 to send a checkpoint")
        zombie.pause()
        print(f"processor 1 paused (SIGSTOP) with {proxy.held} checkpoint(s) held", flush=True)
        wait_for(lambda: c.processors[1].owned == c.partitions, timeout=60, interval=0.1,
                 what="processor 2 to be given every partition")
        cast_pairs(ballots, ports, [f"y{i:05d}" for i in range(500)], OPTIONS)
        c.wait_caught_up()  # processor 2 has checkpointed past the zombie's batch everywhere
        items_before = {(it["voter"]["S"], it["vote_id"]["S"]) for it in c.ledger_items(E)}
        checkpoints_before = c.checkpoint_offsets()

        lines_before = len(zombie.lines)
        proxy.release()
        zombie.resume()
        print("checkpoint released, processor 1 resumed (SIGCONT)", flush=True)
        woke = [line for line in zombie.lines[lines_before:] if "CONFWARN" not in line]
        print("the zombie after SIGCONT:\n" + "\n".join(woke[-8:]), flush=True)
        # The held checkpoint (and the client's retries of it, held as well) reached DynamoDB
        # after processor 2 had moved the partition on: each was refused by its condition.
        wait_for(lambda: len(proxy.held_answers) >= proxy.held, timeout=60, interval=0.1,
                 what="the held checkpoints to be answered")
        answers = sorted(set(proxy.held_answers))
        t.check(answers == [(400, "ConditionalCheckFailedException")],
                f"the zombie's stale checkpoint was refused by its condition: {answers}")
        after = c.checkpoint_offsets()
        t.check(all(after.get(p, 0) >= n for p, n in checkpoints_before.items()),
                f"no checkpoint went back: {checkpoints_before} -> {after}")
        t.check(items_before <= {(it["voter"]["S"], it["vote_id"]["S"])
                                 for it in c.ledger_items(E)},
                "every ledger item from before the zombie woke is still there, unchanged")

        c.wait_assigned()  # the zombie rejoins the group
        cast_pairs(ballots, ports, [f"z{i:05d}" for i in range(300)], OPTIONS)
        t.check(len(ballots.accepted) == 2 * 1800 and not ballots.refused,
                f"3,600 votes accepted: {len(ballots.accepted)} {ballots.refused[:3]}")
        check_exact(t, c, ballots, ports, voters_expected=1800)
        a = c.ingest[0].client()
        s, body, _ = a.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200, f"close: {s} {body}")
        check_recount(t, a, E)
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
