#!/usr/bin/env python3
"""Votes per voter (issue 12 item 0) in the distributed roles: mock Kafka + dynalite + 2
`urna ingest` + 2 `urna process`. An election with votes_per_voter 3; each of 6 voters sends 8
votes at the same moment, 4 through each ingest node, and one processor is killed with SIGKILL
straight after (its partitions are replayed by whoever owns them next) and started again. Then
exactly 3 of each voter's votes count (the receipts of the others are duplicates naming the
limit), DynamoDB's ledger holds one item per counted vote (18), the results say 18, and the
recount (ledger vs checkpoints vs a replay of the topic) agrees and accounts for all 48 votes."""
import threading

from dist_cluster import attr, cluster_from_args
from dist_votes import Ballots, check_clean_stop, settled_receipts, wait_counted, wait_status
from harness import Checks, Workers

E = "dist-three"
VOTERS = [f"fan-{i}" for i in range(6)]
PER_VOTER = 8


def main():
    t = Checks("e2e_dist_votes_per_voter")
    with cluster_from_args(ingest=2, processors=2, partitions=4) as c:
        ports = [n.port for n in c.ingest]
        a = c.ingest[0].client()
        s, b, _ = a.admin("POST", "/v1/elections", {
            "id": E, "title": "Three each", "votes_per_voter": 3,
            "options": [{"id": "x", "label": "X"}, {"id": "y", "label": "Y"}]})
        t.check(s == 201 and b.get("votes_per_voter") == 3, f"create with 3: {s} {b}")
        s, b, _ = a.admin("POST", f"/v1/elections/{E}/open")
        t.check(s == 200, f"open: {s} {b}")
        wait_status(ports[1], E, "open", timeout=5)

        ballots = Ballots(E)
        go = threading.Barrier(len(VOTERS) * PER_VOTER)

        def one(voter, i):
            go.wait(timeout=60)
            ballots.cast(ports[i % 2], voter, "xy"[i % 2])
        errors = Workers(one, [(v, i) for v in VOTERS for i in range(PER_VOTER)],
                         name="vote").start().join(120)
        t.check(not errors, f"the votes were sent: {errors[:3]}")
        # The votes are durable; a processor dies maybe before, maybe while counting them.
        c.processors[0].kill9()
        c.processors[0].start()
        t.check(len(ballots.accepted) == len(VOTERS) * PER_VOTER and not ballots.unknown,
                f"every vote answered 202: refused {ballots.refused[:3]}, "
                f"unknown {ballots.unknown[:3]}")

        rs = settled_receipts(ports, ballots)
        for voter in VOTERS:
            mine = {vid: rs[vid] for v, _, vid, _ in ballots.accepted if v == voter}
            counted = [vid for vid, r in mine.items() if r["status"] == "counted"]
            dups = [r for r in mine.values() if r["status"] == "duplicate"]
            t.check(len(counted) == 3 and len(dups) == PER_VOTER - 3,
                    f"{voter}: exactly 3 of {PER_VOTER} counted: "
                    f"{sorted(r['status'] for r in mine.values())}")
            t.check(all(r.get("reason") == "vote_limit_reached" and r.get("votes_per_voter") == 3
                        and r.get("counted_vote_id") in counted for r in dups),
                    f"{voter}: each duplicate names the limit and a counted vote: {dups[:2]}")
        items = c.ledger_items(E)
        counted_ids = {vid for vid, r in rs.items() if r["status"] == "counted"}
        t.check(len(items) == 3 * len(VOTERS)
                and {attr(i, "vote_id") for i in items} == counted_ids,
                f"DynamoDB's ledger: one item per counted vote ({3 * len(VOTERS)}): {len(items)}")
        for port in ports:
            wait_counted(port, E, 3 * len(VOTERS))

        s, b, _ = a.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200, f"close: {s} {b}")
        wait_status(ports[1], E, "closed", timeout=5)
        job = c.ingest[1].client().recount(E)
        rep = job.get("report", {})
        votes = rep.get("votes", {})
        t.check(job["state"] == "done" and rep.get("agree") is True,
                f"the recount agrees: {job}")
        t.check(votes.get("log_entries") == len(VOTERS) * PER_VOTER
                and votes.get("counted") == 3 * len(VOTERS)
                and votes.get("duplicate") == (PER_VOTER - 3) * len(VOTERS)
                and rep.get("ledger", {}).get("rows") == 3 * len(VOTERS),
                f"the recount accounts for every vote: {votes} {rep.get('ledger')}")
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
