#!/usr/bin/env python3
"""The server's wall clock steps backwards (NTP, an operator) while an election is open, and
across a restart: every vote answered 202 is counted, the recount's three counts agree and the
election becomes final, and no time urna reports goes backwards (cast_at <= closed_at).

The real binary runs under Debian's libfaketime (LD_PRELOAD), which offsets the process's
CLOCK_REALTIME by the offset written in a file, re-read on every call (FAKETIME_NO_CACHE), so
the test steps the server's clock at run time without touching the machine's clock or urna's
code. CLOCK_MONOTONIC is left alone (timeouts and waits stay real)."""
import argparse
import glob
import os

from harness import Checks, Server, TempDataDir, token

OPTIONS = ["a", "b"]


def faketime_env(offset_file):
    libs = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))
    if not libs:
        raise SystemExit("libfaketime is missing: run scripts/bootstrap (Debian package libfaketime)")
    # An ASan build wants its runtime first among the libraries; a preloaded one is harmless here.
    asan = (os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0").lstrip(":")
    return {"LD_PRELOAD": libs[0], "FAKETIME_TIMESTAMP_FILE": offset_file,
            "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "ASAN_OPTIONS": asan}


def step_clock(offset_file, seconds):
    """Sets the server's clock to real time + `seconds` (negative: behind)."""
    with open(offset_file + ".tmp", "w") as f:
        f.write(f"{seconds:+d}\n")
    os.replace(offset_file + ".tmp", offset_file)


def vote_all(t, c, election, voters):
    acked = {}
    for v in voters:
        s, b, _ = c.vote(election, v, OPTIONS[len(acked) % 2])
        t.check(s == 202, f"{election}: vote of {v} is accepted after the clock step: {s} {b}")
        if s == 202:
            acked[v] = b["vote_id"]
    return acked


def close_and_recount(t, c, election, acked):
    s, closed, _ = c.admin("POST", f"/v1/elections/{election}/close")
    t.check(s == 200 and closed["status"] == "closed", f"{election}: close is 200: {s} {closed}")
    t.check(closed["closed_at"] >= closed["opened_at"],
            f"{election}: closed_at {closed['closed_at']} >= opened_at {closed['opened_at']}")
    job = c.recount(election)
    rep = job.get("report") or {}
    counts = rep.get("counts", {})
    t.check(job["state"] == "done" and rep.get("agree") and rep.get("final"),
            f"{election}: live, ledger and replay agree and the election is final: "
            f"{job.get('state')} {counts} {rep.get('votes')}")
    total = len(acked)
    for kind in ("live", "ledger", "replay"):
        t.check(sum(counts.get(kind, {}).values()) == total,
                f"{election}: {kind} counts every accepted vote: {counts.get(kind)} vs {total}")
    for v, vid in acked.items():
        s, b, _ = c.receipt(election, v, vid)
        t.check(s == 200 and b["status"] == "counted", f"{election}: {v}'s 202 vote is counted: {b}")
        t.check(s == 200 and b["cast_at"] <= closed["closed_at"],
                f"{election}: cast_at {b.get('cast_at')} <= closed_at {closed['closed_at']}")
    return closed


def run(urna, t):
    with TempDataDir() as d:
        offset_file = os.path.join(d, "faketime-offset")
        step_clock(offset_file, 0)
        os.environ.update(faketime_env(offset_file))
        data = os.path.join(d, "data")
        srv = Server(urna, data).start()
        try:
            c = srv.client()
            c.create_open("step", OPTIONS)
            c.create_open("after", OPTIONS)
            # Votes, then the clock steps back an hour, then the close: the close's wall-clock
            # reading is before the votes' (the original bug: live 8, ledger 8, replay fewer).
            acked = vote_all(t, c, "step", [f"s{i}" for i in range(8)])
            step_clock(offset_file, -3600)
            # Votes after the step, in an election opened before it: the clock reads earlier
            # than opened_at, but the election is open.
            acked_after = vote_all(t, c, "after", [f"a{i}" for i in range(5)])
            closed = close_and_recount(t, c, "step", acked)
            closed_after = close_and_recount(t, c, "after", acked_after)
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")

        # A restart with the clock two hours behind: times stay ordered after the restart too.
        step_clock(offset_file, -7200)
        srv = Server(urna, data).start()
        try:
            c = srv.client()
            c.create_open("restart", OPTIONS)
            s, e, _ = c.request("GET", "/v1/elections/restart")
            latest = max(closed["closed_at"], closed_after["closed_at"])
            t.check(s == 200 and e["opened_at"] >= latest,
                    f"after a restart opened_at {e.get('opened_at')} >= earlier closes {latest}")
            acked = vote_all(t, c, "restart", [f"r{i}" for i in range(4)])
            close_and_recount(t, c, "restart", acked)

            # A step forward, a vote stamped there, then the clock set right again: urna's
            # stamped times stand still, but voter tokens are judged by the wall clock as it is
            # now, so a token valid for another hour is taken (it was refused 401 while the
            # never-backwards clock judged tokens).
            c.create_open("forward", OPTIONS)
            step_clock(offset_file, 7200)
            s, b, _ = c.request("POST", "/v1/elections/forward/votes", {"option": "a"},
                                bearer=token("f-ahead", exp_in=4 * 3600))
            t.check(s == 202, f"a vote while the clock is two hours ahead: {s} {b}")
            step_clock(offset_file, 0)
            s, b, _ = c.vote("forward", "f-after", "b")
            t.check(s == 202, f"after the clock is set right, a token valid for an hour is taken: "
                              f"{s} {b}")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0 after the restart")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    checks = Checks("e2e_clock_step")
    run(args.urna, checks)
    checks.finish()
