#!/usr/bin/env python3
"""Crash test: while votes flow, `kill -9` the server, restart it on the same data dir, three
times over; then once more with SIGTERM under load (drain: exit 0); at the end the recount
agrees with the live tally. Afterwards every vote that
got a 202 has a known fate, each voter who got a 202 is counted exactly once, nobody is counted
twice, and the totals match the receipts."""
import argparse
import random
import threading

from harness import Checks, Server, TempDataDir, Workers, wait_for

OPTIONS = ["a", "b", "c", "d"]
E = "crash"
KILLS = 3


class Load:
    """Threads voting as fast as they can until the server dies. Voter ids are never reused
    across rounds; every 4th voter also sends a second vote straight after the first. Answers
    other than 202 (and 503 once a graceful stop began), and connection errors before the
    server was told to stop, are recorded as unexpected for the main thread to check."""

    def __init__(self, srv, first_voter):
        self.srv, self.next, self.lock = srv, first_voter, threading.Lock()
        self.acked = []        # (voter, option, vote_id) answered 202
        self.attempted = set()  # voters with a request sent (fate unknown if unanswered)
        self.unexpected = []   # (voter, status or exception)
        self.stop = False
        self.stopping = False  # set before the server is killed or stopped
        self.workers = None

    def take(self):
        with self.lock:
            self.next += 1
            return self.next

    def worker(self):
        c = self.srv.client()
        while not self.stop:
            n = self.take()
            voter = f"v{n}"
            votes = [OPTIONS[n % 4]] + ([OPTIONS[(n + 1) % 4]] if n % 4 == 0 else [])
            for option in votes:
                with self.lock:
                    self.attempted.add(voter)
                try:
                    s, b, _ = c.vote(E, voter, option)
                except Exception as e:  # noqa: BLE001 - the server is gone, or a finding
                    if not self.stopping:
                        with self.lock:
                            self.unexpected.append((voter, repr(e)))
                    return
                with self.lock:
                    if s == 202:
                        self.acked.append((voter, option, b["vote_id"]))
                    elif not (s == 503 and self.stopping):
                        self.unexpected.append((voter, s, b))

    def run(self, threads=8):
        self.workers = Workers(self.worker, [()] * threads, name="voter").start()

    def wait_acked(self, n):
        wait_for(lambda: len(self.acked) >= n or self.workers.errors or self.unexpected,
                 timeout=60, what=f"{n} acknowledged votes")

    def finish(self, t, what):
        self.stop = True
        errors = self.workers.join()
        t.check(not errors, f"{what}: no voting thread failed: {errors[:2]}")
        t.check(not self.unexpected, f"{what}: every answer was 202 (or 503 while stopping): "
                                     f"{self.unexpected[:3]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_crash")
    rng = random.Random(7)
    acked, attempted = [], set()
    with TempDataDir() as d:
        srv = Server(args.urna, d).start()
        srv.client().create_open(E, OPTIONS)
        next_voter = 0
        for round_ in range(KILLS):
            load = Load(srv, next_voter)
            load.run()
            # Killed after a random number of acknowledged votes (not after a fixed time: a
            # slow machine reaches the same point of the load, only later).
            load.wait_acked(rng.randint(200, 1500))
            load.stopping = True
            srv.kill9()
            load.finish(t, f"round {round_}")
            print(f"round {round_}: {len(load.acked)} votes acknowledged before kill -9", flush=True)
            acked += load.acked
            attempted |= load.attempted
            next_voter = load.next + 1
            srv = Server(args.urna, d).start()

        # A graceful stop under load: every vote already handed to the log is answered, exit 0.
        load = Load(srv, next_voter)
        load.run()
        load.wait_acked(500)
        load.stopping = True
        code = srv.stop()
        load.finish(t, "SIGTERM")
        t.check(code == 0, f"SIGTERM under load drains and exits 0 (got {code})")
        acked += load.acked
        attempted |= load.attempted
        srv = Server(args.urna, d).start()

        c = srv.client()

        def settled():
            for voter, option, vid in acked:
                s, b, _ = c.receipt(E, voter, vid)
                if s != 200 or b["status"] == "pending":
                    return None
                rec[vid] = b
            return True

        rec = {}
        wait_for(settled, timeout=120, what="every acknowledged vote to be processed")
        check_outcome(t, acked, attempted, rec, c.results(E))

        # One more crash and restart: replay must not change anything.
        before = c.results(E)
        srv.kill9()
        srv = Server(args.urna, d).start()
        after = wait_for(lambda: (lambda r: r if r["total"] == before["total"] else None)(
            srv.client().results(E)), what="live tally restored after restart")
        t.check([o["votes"] for o in after["options"]] == [o["votes"] for o in before["options"]],
                "restart without new votes changes no count")
        t.check(after["seq"] >= before["seq"], "seq does not go backwards across restart")

        # The recount after all these crashes agrees with the live tally.
        c = srv.client()
        s, _, _ = c.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200, "close after the crashes")
        job = c.recount(E)
        rep = job.get("report", {})
        t.check(job["state"] == "done" and rep.get("agree") and rep.get("final"),
                f"recount after crash-restarts agrees: {rep.get('differences')}")
        t.check(sum(rep["counts"]["ledger"].values()) == after["total"],
                "the final count equals the live tally")
        t.check(srv.stop() == 0, "SIGTERM exits 0")
    t.finish()


def check_outcome(t, acked, attempted, rec, results):
    by_voter = {}
    for voter, option, vid in acked:
        by_voter.setdefault(voter, []).append((option, vid))
    counted_acked = {}
    for voter, votes in by_voter.items():
        fates = [rec[vid] for _, vid in votes]
        for f in fates:
            t.check(f["status"] in ("counted", "duplicate"), f"acked vote has a fate: {f}")
        counted = [f for f in fates if f["status"] == "counted"]
        t.check(len(counted) <= 1, f"{voter} counted at most once")
        if counted:
            counted_acked[voter] = counted[0]["option"]
        else:
            # All acked votes are duplicates of one vote whose 202 was lost in the crash.
            refs = {f.get("counted_vote_id") for f in fates}
            t.check(len(refs) == 1 and None not in refs, f"{voter}'s counted vote is one vote")
    total = results["total"]
    print(f"acked voters {len(by_voter)}, attempted voters {len(attempted)}, counted {total}",
          flush=True)
    t.check(len(by_voter) <= total <= len(attempted),
            f"every acked voter counted once, nobody else invented: {len(by_voter)} <= {total} "
            f"<= {len(attempted)}")
    per_option = {o["id"]: o["votes"] for o in results["options"]}
    for o in OPTIONS:
        n = sum(1 for v in counted_acked.values() if v == o)
        t.check(per_option[o] >= n, f"option {o}: {per_option[o]} >= {n} counted acked votes")
    t.check(sum(per_option.values()) == total, "options sum to the total")


if __name__ == "__main__":
    main()
