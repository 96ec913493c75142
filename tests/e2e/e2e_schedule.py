#!/usr/bin/env python3
"""Scheduled voting in `urna serve` (issue 12 item 6): an election with opens_at / closes_at is
opened and closed by the server on time, through the same close + seal as POST close (the
recount agrees and makes it final); manual open and close still work and win; bad times are a
400; and across a restart an election whose closes_at (or whole window) passed while the
server was down is closed before the server takes its first request. Times are a few seconds
ahead; the test waits on conditions, never on fixed sleeps."""
import argparse
import datetime
import time

from harness import Checks, Server, TempDataDir, wait_for


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def create(c, eid, opens_at=None, closes_at=None):
    body = {"id": eid, "title": f"Scheduled {eid}",
            "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}
    if opens_at is not None:
        body["opens_at"] = rfc3339(opens_at)
    if closes_at is not None:
        body["closes_at"] = rfc3339(closes_at)
    return c.admin("POST", "/v1/elections", body)


def status(c, eid):
    s, b, _ = c.request("GET", f"/v1/elections/{eid}")
    assert s == 200, (s, b)
    return b


def bad_input(c, t):
    now = time.time()
    for body_extra, want in [
        ({"opens_at": rfc3339(now - 60)}, "opens_at must be in the future"),
        ({"closes_at": rfc3339(now - 1)}, "closes_at must be in the future"),
        ({"opens_at": rfc3339(now + 60), "closes_at": rfc3339(now + 30)},
         "closes_at must be after opens_at"),
        ({"opens_at": "tomorrow"}, "opens_at must be an RFC 3339 time"),
        ({"closes_at": 1896120000000}, "closes_at must be an RFC 3339 time"),
        ({"opens_at": "2030-02-30T10:00:00Z"}, "opens_at must be an RFC 3339 time"),
    ]:
        body = {"id": "bad", "title": "Bad", "options": [{"id": "a", "label": "A"}], **body_extra}
        s, b, _ = c.admin("POST", "/v1/elections", body)
        t.check(s == 400 and want in b["error"]["message"], f"{body_extra}: 400 {want!r}: {s} {b}")
    s, _, _ = c.request("GET", "/v1/elections/bad")
    t.check(s == 404, f"a refused create stores nothing: {s}")
    # null = not scheduled; an offset is converted to UTC.
    s, b, _ = c.admin("POST", "/v1/elections", {
        "id": "offset", "title": "Offset", "options": [{"id": "a", "label": "A"}],
        "opens_at": None, "closes_at": "2099-01-31T17:00:00-03:00"})
    t.check(s == 201 and b["opens_at"] is None and b["closes_at"] == "2099-01-31T20:00:00.000Z",
            f"null and an offset are accepted, rendered in UTC: {s} {b}")


def scheduled_open_and_close(c, t):
    start = time.time()
    opens_at, closes_at = start + 3, start + 7
    s, b, _ = create(c, "sched", opens_at, closes_at)
    t.check(s == 201 and b["status"] == "draft" and b["opens_at"] == rfc3339(opens_at) and
            b["closes_at"] == rfc3339(closes_at), f"create with a schedule: {s} {b}")
    if time.time() < opens_at - 0.5:
        s, b, _ = c.vote("sched", "early", "a")
        t.check(s == 409 and b["error"]["code"] == "election_not_open",
                f"a vote before opens_at is 409: {s} {b}")
    e = wait_for(lambda: (lambda e: e if e["status"] == "open" else None)(status(c, "sched")),
                 timeout=30, interval=0.05, what="the scheduled open")
    t.check(e["opened_at"] >= rfc3339(opens_at) and time.time() >= opens_at - 0.05,
            f"opened at opens_at, not before: {e['opened_at']} vs {rfc3339(opens_at)}")
    t.check(time.time() < opens_at + 2, f"opened on time: {time.time() - opens_at:.2f} s late")
    acked = 0
    for i in range(5):
        s, b, _ = c.vote("sched", f"v{i}", "ab"[i % 2])
        acked += s == 202
    t.check(acked == 5, f"votes while open are 202: {acked}/5")
    e = wait_for(lambda: (lambda e: e if e["status"] == "closed" else None)(status(c, "sched")),
                 timeout=30, interval=0.05, what="the scheduled close")
    t.check(e["closed_at"] >= rfc3339(closes_at), f"closed at closes_at, not before: {e}")
    t.check(time.time() < closes_at + 2, f"closed on time: {time.time() - closes_at:.2f} s late")
    s, b, _ = c.vote("sched", "late", "a")
    t.check(s == 409 and b["error"]["code"] == "election_not_open",
            f"a vote after closes_at is 409: {s} {b}")
    job = c.recount("sched")
    rep = job.get("report", {})
    t.check(job["state"] == "done" and rep.get("agree") and rep.get("final") and
            rep["counts"]["live"] == rep["counts"]["replay"] and rep["votes"]["counted"] == 5,
            f"the scheduled close sealed the log: recount agrees on 5 and is final: {job}")


def manual_wins(c, t):
    now = time.time()
    s, _, _ = create(c, "manual", now + 120, now + 240)
    t.check(s == 201, f"create: {s}")
    s, b, _ = c.admin("POST", "/v1/elections/manual/open")
    t.check(s == 200 and b["status"] == "open" and b["opened_at"] < b["opens_at"],
            f"a manual open before opens_at works: {s} {b}")
    s, b, _ = c.admin("POST", "/v1/elections/manual/close")
    t.check(s == 200 and b["status"] == "closed" and b["closed_at"] < b["closes_at"],
            f"a manual close before closes_at works: {s} {b}")


def across_restart(urna, t):
    with TempDataDir() as d:
        srv = Server(urna, d).start()
        c = srv.client()
        start = time.time()
        # r1 opens while up and closes while down; r2's whole window passes while down.
        r1_open, r1_close = start + 2, start + 8
        r2_open, r2_close = start + 5, start + 6
        t.check(create(c, "r1", r1_open, r1_close)[0] == 201, "create r1")
        t.check(create(c, "r2", r2_open, r2_close)[0] == 201, "create r2")
        wait_for(lambda: status(c, "r1")["status"] == "open", timeout=30, interval=0.05,
                 what="r1 opened")
        for i in range(3):
            s, b, _ = c.vote("r1", f"v{i}", "a")
            t.check(s == 202, f"vote {i} in r1: {s} {b}")
        before = status(c, "r2")["status"]
        t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
        stopped = time.time()
        t.check(stopped < r2_open and before == "draft",
                f"stopped before r2 opens and r1 closes ({stopped - start:.1f} s after start)")
        # Down past both windows (a condition on the clock, not a fixed pause).
        wait_for(lambda: time.time() > r1_close + 0.2, timeout=30, what="r1's closes_at")
        srv = Server(urna, d).start()
        try:
            c = srv.client()
            # No waiting: the first pass runs before the server listens.
            r1, r2 = status(c, "r1"), status(c, "r2")
            t.check(r1["status"] == "closed" and r1["closed_at"] >= rfc3339(r1_close),
                    f"r1, whose closes_at passed while down, is closed at start: {r1}")
            t.check(r2["status"] == "closed" and r2["opened_at"] is not None,
                    f"r2, whose window passed while down, is opened and closed at start: {r2}")
            s, b, _ = c.vote("r1", "late", "a")
            t.check(s == 409, f"no vote in r1 after the restart: {s} {b}")
            job = c.recount("r1")
            rep = job.get("report", {})
            t.check(job["state"] == "done" and rep.get("agree") and rep.get("final") and
                    rep["votes"]["counted"] == 3, f"r1 recounts to its 3 votes: {job}")
            job = c.recount("r2")
            rep = job.get("report", {})
            t.check(job["state"] == "done" and rep.get("agree") and rep["votes"]["log_entries"] == 0,
                    f"r2 recounts to 0 votes: {job}")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0 after the restart")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_schedule")
    with TempDataDir() as d:
        srv = Server(args.urna, d).start()
        try:
            c = srv.client()
            bad_input(c, t)
            manual_wins(c, t)
            scheduled_open_and_close(c, t)
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
    across_restart(args.urna, t)
    t.finish()


if __name__ == "__main__":
    main()
