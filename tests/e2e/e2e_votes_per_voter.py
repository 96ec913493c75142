#!/usr/bin/env python3
"""Votes per voter (issue 12 item 0) in `urna serve`: an election's `votes_per_voter` is 1 (the
default), N, or "unlimited" (only with bot_protection "pow"); bad values are refused with 400.
With N = 3, one voter's 8 concurrent votes end exactly 3 counted and 5 duplicate (the receipt
names the limit); the server is killed with SIGKILL straight after such a burst (its votes maybe
not processed yet) and, after the restart, still exactly 3 count, and later votes of a voter who
used 2 before the crash count once more. Unlimited: every vote with a fresh solved challenge
counts; a reused challenge and a vote without one are refused. The recount of both elections
agrees with the live tally, accounts for every vote, and its ledger has one row per counted
vote."""
import argparse
import base64
import hashlib
import json
import threading

from harness import (ADMIN_TOKEN, Checks, Server, TempDataDir, Workers, error_expecter, token,
                     wait_for)

N_E, U_E, ONE_E = "three-each", "unlimited", "one-each"
OPTIONS = [{"id": "x", "label": "X"}, {"id": "y", "label": "Y"}]


def solve(c):
    for n in range(c["maxnumber"] + 1):
        if hashlib.sha256((c["salt"] + str(n)).encode()).hexdigest() == c["challenge"]:
            return base64.b64encode(json.dumps(
                {"algorithm": c["algorithm"], "challenge": c["challenge"], "number": n,
                 "salt": c["salt"], "signature": c["signature"]}).encode()).decode()
    raise AssertionError(f"no solution: {c}")


def burst(srv, election, voter, n):
    """`n` votes of one voter at the same moment, one connection each; returns the vote ids
    answered 202 (every one must be)."""
    ids, lock, go = [], threading.Lock(), threading.Barrier(n)

    def one(i):
        c = srv.client()
        go.wait(timeout=30)
        s, b, _ = c.vote(election, voter, OPTIONS[i % 2]["id"])
        assert s == 202, (s, b)
        with lock:
            ids.append(b["vote_id"])
    errors = Workers(one, [(i,) for i in range(n)], name=f"burst-{voter}").start().join(60)
    assert not errors, errors
    return ids


def fates(c, election, voter, ids):
    """Waits until no receipt is pending; returns {vote_id: receipt}."""
    def settled():
        out = {}
        for vid in ids:
            s, b, _ = c.receipt(election, voter, vid)
            if s != 200 or b["status"] == "pending":
                return None
            out[vid] = b
        return out
    return wait_for(settled, timeout=60, what=f"{voter}'s receipts in {election}")


def check_limit(t, c, election, voter, ids, limit, what):
    r = fates(c, election, voter, ids)
    counted = [v for v, b in r.items() if b["status"] == "counted"]
    dups = [b for b in r.values() if b["status"] == "duplicate"]
    t.check(len(counted) == limit and len(dups) == len(ids) - limit,
            f"{what}: exactly {limit} of {len(ids)} counted: "
            f"{sorted(b['status'] for b in r.values())}")
    t.check(all(b.get("reason") == "vote_limit_reached" and b.get("votes_per_voter") == 3
                and b.get("counted_vote_id") in counted for b in dups),
            f"{what}: each duplicate's receipt names the limit and a counted vote: {dups[:2]}")
    return counted


def run(args, t, servers):
    with TempDataDir() as d:
        srv = Server(args.urna, d).start()
        servers.append(srv)
        c = srv.client()
        expect = error_expecter(c, t)
        base = {"title": "Policy", "options": OPTIONS}
        for bad, what in [({"votes_per_voter": 0}, "zero"), ({"votes_per_voter": 1001}, "too many"),
                          ({"votes_per_voter": -2}, "negative"), ({"votes_per_voter": 2.5}, "2.5"),
                          ({"votes_per_voter": "3"}, "a string number"),
                          ({"votes_per_voter": "lots"}, "an unknown word"),
                          ({"votes_per_voter": "unlimited"}, "unlimited without proof of work")]:
            b = expect(400, "invalid_request", "POST", "/v1/elections",
                       dict(base, id="bad", **bad), bearer=ADMIN_TOKEN, what=what)
            t.check("votes_per_voter" in json.dumps(b), f"{what}: the error names the field: {b}")
        s, b, _ = c.admin("GET", "/v1/elections/bad")
        t.check(s == 404, f"a refused create changes nothing: {s} {b}")
        s, b, _ = c.admin("POST", "/v1/elections", dict(base, id=N_E, votes_per_voter=3))
        t.check(s == 201 and b.get("votes_per_voter") == 3, f"create with 3: {s} {b}")
        s, b, _ = c.admin("POST", "/v1/elections", dict(base, id=ONE_E))
        t.check(s == 201 and b.get("votes_per_voter") == 1, f"the default is 1: {s} {b}")
        s, b, _ = c.admin("POST", "/v1/elections", dict(
            base, id=U_E, votes_per_voter="unlimited", bot_protection="pow", pow_max_number=2000))
        t.check(s == 201 and b.get("votes_per_voter") == "unlimited", f"create unlimited: {s} {b}")
        for e in (N_E, U_E, ONE_E):
            t.check(c.admin("POST", f"/v1/elections/{e}/open")[0] == 200, f"open {e}")

        # One vote per voter stays as it was.
        one = [c.vote(ONE_E, "olga", "x")[1]["vote_id"], c.vote(ONE_E, "olga", "y")[1]["vote_id"]]
        r = fates(c, ONE_E, "olga", one)
        t.check(r[one[0]]["status"] == "counted" and r[one[1]]["status"] == "duplicate"
                and r[one[1]].get("reason") == "already_voted"
                and r[one[1]].get("votes_per_voter") == 1,
                f"votes_per_voter 1: the second is a duplicate, already_voted: {r}")

        # Up to 3: concurrent votes of one voter; carol uses 2 of hers before the crash.
        alice = burst(srv, N_E, "alice", 8)
        bob = burst(srv, N_E, "bob", 2)
        carol = [c.vote(N_E, "carol", "x")[1]["vote_id"] for _ in range(2)]
        check_limit(t, c, N_E, "alice", alice, 3, "alice's 8 concurrent votes")
        # The burst is durable (202) but maybe not processed when the server dies.
        dave = burst(srv, N_E, "dave", 8)
        srv.kill9()
        srv = Server(args.urna, d).start()
        servers.append(srv)
        c = srv.client()
        check_limit(t, c, N_E, "dave", dave, 3, "dave's 8 votes, then kill -9 and a restart")
        carol += burst(srv, N_E, "carol", 3)
        check_limit(t, c, N_E, "carol", carol, 3, "carol: 2 votes before the crash, 3 after")
        t.check(all(b["status"] == "counted" for b in fates(c, N_E, "bob", bob).values()),
                "bob's 2 votes count (under the limit)")
        alice_again = burst(srv, N_E, "alice", 2)
        again = fates(c, N_E, "alice", alice_again)
        t.check(all(b["status"] == "duplicate" for b in again.values()),
                "alice's votes after the restart are duplicates: her 3 survived it")
        try:
            wait_for(lambda: c.results(N_E)["total"] == 3 + 3 + 3 + 2, timeout=30,
                     what="the live total")
        except AssertionError:
            t.check(False, f"live total = 3 + 3 + 3 + 2: {c.results(N_E)}")

        # Unlimited: a fresh solved challenge per vote.
        vote = f"/v1/elections/{U_E}/votes"
        erin, used = [], None
        for i in range(4):
            s, ch, _ = c.request("GET", f"/v1/elections/{U_E}/challenge")
            t.check(s == 200, f"challenge {i}: {s} {ch}")
            used = solve(ch)
            s, b, _ = c.request("POST", vote, {"option": "x", "altcha": used}, bearer=token("erin"))
            t.check(s == 202, f"unlimited vote {i} with a fresh challenge: {s} {b}")
            erin.append(b["vote_id"])
        # (A refused vote may close its connection: each on a connection of its own.)
        error_expecter(srv.client(), t)(400, "challenge_invalid", "POST", vote,
                                        {"option": "y", "altcha": used}, bearer=token("erin"),
                                        what="a reused challenge is refused")
        error_expecter(srv.client(), t)(400, "challenge_required", "POST", vote, {"option": "y"},
                                        bearer=token("erin"),
                                        what="a vote without a challenge is refused")
        r = fates(c, U_E, "erin", erin)
        t.check(all(b["status"] == "counted" for b in r.values()),
                f"every vote with a fresh challenge counts: {r}")

        # The recount agrees and accounts for every vote; the ledger is one row per counted vote.
        for e, log, counted in ((N_E, 8 + 2 + 5 + 8 + 2, 11), (U_E, 4, 4)):
            t.check(c.admin("POST", f"/v1/elections/{e}/close")[0] == 200, f"close {e}")
            job = c.recount(e)
            rep = job.get("report", {})
            votes = rep.get("votes", {})
            t.check(job["state"] == "done" and rep.get("agree") is True and rep.get("final"),
                    f"{e}: the recount agrees and makes it final: {job}")
            t.check(votes.get("log_entries") == log and votes.get("counted") == counted
                    and votes.get("duplicate") == log - counted
                    and rep.get("ledger", {}).get("rows") == counted,
                    f"{e}: {log} votes: {counted} counted (one ledger row each), "
                    f"{log - counted} duplicate: {rep.get('votes')} {rep.get('ledger')}")
            s, csv, _ = c.admin("GET", f"/v1/elections/{e}/audit/ledger.csv")
            rows = csv.decode().splitlines()[1:] if isinstance(csv, bytes) else []
            t.check(s == 200 and len(rows) == counted, f"{e}: ledger.csv has {counted} rows: {s}")
        t.check(srv.stop() == 0, "SIGTERM drains and exits 0")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_votes_per_voter")
    servers = []
    try:
        run(args, t, servers)
    finally:
        for srv in servers:  # after a failed assertion: leave nothing running
            if srv.proc and srv.proc.poll() is None:
                srv.proc.kill()
                srv.proc.wait()
    t.finish()


if __name__ == "__main__":
    main()
