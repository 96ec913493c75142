#!/usr/bin/env python3
"""Viewers who misbehave or must not see: (1) a viewer that stops reading does not delay the
others, and the server's memory does not grow with its backlog; (2) hidden results never leak
per-option counts over GET, SSE or WebSocket before the result is final, and show them after;
unless the turnout is public, not even the total (nor a seq or a frame that moves with votes)."""
import asyncio
import threading
import time

from harness import run_with_server, wait_for
from stream_clients import Viewer, sse, until, ws


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def run(srv, t):
    asyncio.run(slow_viewer(srv, t))
    asyncio.run(hidden(srv, t))


async def slow_viewer(srv, t):
    c = srv.client()
    big = "big"
    options = [f"o{i:03d}" for i in range(100)]
    s, b, _ = c.admin("POST", "/v1/elections", {"id": big, "title": "Big",
                      "options": [{"id": o, "label": o + " " + "x" * 115} for o in options]})
    assert s == 201, (s, b)
    c.admin("POST", f"/v1/elections/{big}/open")
    frame_bytes = len(str(c.results(big)))

    # One vote per ~5 ms: the tally changes at (almost) every tick. At least `seconds`, and on
    # until `enough()` (the frames offered make a large backlog) or 40 s: a loaded machine
    # offers fewer frames per second.
    def vote_for(seconds, tag, enough=lambda: True):
        cl, i, start = srv.client(), 0, time.time()
        while time.time() < start + seconds or (not enough() and time.time() < start + 40):
            cl.vote(big, f"{tag}-{i}", options[i % 100])
            i += 1
            time.sleep(0.005)
        return i

    async def phase(with_stuck_viewer, tag):
        stop = asyncio.Event()
        normal, stuck = Viewer(), Viewer()
        tasks = [asyncio.create_task(sse(srv.port, big, normal, stop))]
        if with_stuck_viewer:
            tasks.append(asyncio.create_task(sse(srv.port, big, stuck, stop, rcvbuf=4096, read=False)))
        await until(lambda: normal.snapshots, 30)
        rss0 = rss_kib(srv.proc.pid)
        total0 = c.results(big)["total"]
        enough = lambda: len(normal.snapshots) * frame_bytes > 5 * 1024 * 1024  # noqa: E731
        n = await asyncio.get_running_loop().run_in_executor(None, vote_for, 6, tag, enough)
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: wait_for(lambda: c.results(big)["total"] == total0 + n, what="votes counted"))
        final = c.results(big)
        await until(lambda: normal.last == final, 30)
        rss1 = rss_kib(srv.proc.pid)
        stop.set()
        failed = [r for r in await asyncio.gather(*tasks, return_exceptions=True)
                  if isinstance(r, BaseException)]
        t.check(not failed, f"no viewer task failed: {failed[:3]}")
        return normal, final, rss1 - rss0

    # The same load twice: without, then with a viewer that never reads. The difference in the
    # server's memory growth is what the stuck viewer costs.
    _, _, grow_plain = await phase(False, "plain")
    normal, final, grow_stuck = await phase(True, "stuck")
    offered = len(normal.snapshots) * frame_bytes
    print(f"slow viewer: {len(normal.snapshots)} frames of ~{frame_bytes} B offered "
          f"(~{offered // 1024} KiB); RSS growth without it {grow_plain} KiB, with it {grow_stuck} KiB",
          flush=True)
    t.check(normal.last == final, "the reading viewer is not held back by the stuck one")
    t.check(offered > 4 * 1024 * 1024, f"the stuck viewer's backlog would be large ({offered // 1024} KiB)")
    # Unbounded buffering would add the whole backlog; latest-wins keeps two frames at most.
    t.check(grow_stuck - grow_plain < offered / 1024 / 2,
            f"server memory does not grow with that backlog: {grow_stuck - grow_plain} KiB more")


async def hidden(srv, t):
    """Two hidden elections: `secret` also hides its turnout (the default), `open-count` makes
    it public. Viewers of `secret` must see nothing move with the votes: no per-option count,
    no total, no seq, and no frame pushed, until the result is final."""
    c = srv.client()
    opts = [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]
    e, p = "secret", "open-count"
    s, b, _ = c.admin("POST", "/v1/elections", {"id": e, "title": "Secret", "options": opts,
                                                "results_visibility": "hidden_until_closed"})
    t.check(s == 201 and b["results_visibility"] == "hidden_until_closed"
            and b.get("turnout_visibility") == "hidden", f"hidden election created, turnout hidden: {b}")
    s, b, _ = c.admin("POST", "/v1/elections", {"id": p, "title": "Public turnout", "options": opts,
                                                "results_visibility": "hidden_until_closed",
                                                "turnout_visibility": "public"})
    t.check(s == 201 and b.get("turnout_visibility") == "public", f"public turnout created: {b}")
    t.check(c.request("GET", f"/v1/elections/{p}")[1].get("turnout_visibility") == "public",
            "GET election shows the turnout setting")
    for bad, what in [({"results_visibility": "sometimes"}, "unknown results_visibility"),
                      ({"results_visibility": "hidden_until_closed", "turnout_visibility": "x"},
                       "unknown turnout_visibility"),
                      ({"turnout_visibility": "hidden"}, "hidden turnout with live results")]:
        s, _, _ = c.admin("POST", "/v1/elections", {"id": "bad-vis", "title": "X", "options": opts, **bad})
        t.check(s == 400, f"{what} is 400")
    for x in (e, p):
        c.admin("POST", f"/v1/elections/{x}/open")
    _, before, resp = c.request("GET", f"/v1/elections/{e}/results")
    etag0 = resp.getheader("ETag")
    stop = asyncio.Event()
    viewers = {x: [Viewer(), Viewer()] for x in (e, p)}
    tasks = [asyncio.create_task(f(srv.port, x, v, stop))
             for x in (e, p) for f, v in zip((sse, ws), viewers[x])]
    await until(lambda: all(v.snapshots for vs in viewers.values() for v in vs), 30)
    ids = {}
    for i in range(30):
        for x in (e, p):
            s, b, _ = c.vote(x, f"h{i}", "ab"[i % 3 == 0])
            ids[(x, f"h{i}")] = b["vote_id"]
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, lambda: wait_for(
        lambda: all(c.receipt(x, v, vid)[1]["status"] == "counted" for (x, v), vid in ids.items()),
        what="hidden votes counted"))
    await until(lambda: all(v.last["total"] == 30 for v in viewers[p]), 30)
    got, pub = c.results(e), c.results(p)
    t.check(pub["total"] == 30 and all("votes" not in o for o in pub["options"]),
            f"public turnout: GET shows the total but no per-option count: {pub}")
    t.check("total" not in got and all("votes" not in o for o in got["options"])
            and got["seq"] == 0 and got["updated_at"] is None and got["turnout_visibility"] == "hidden",
            f"hidden turnout: GET shows no total, seq 0, updated_at null: {got}")
    t.check(got == before, "nothing in the hidden snapshot moved with 30 votes")
    s, _, resp = c.request("GET", f"/v1/elections/{e}/results", headers={"If-None-Match": etag0})
    t.check(s == 304, f"its ETag did not change with the votes either ({s})")
    for x in (e, p):
        c.admin("POST", f"/v1/elections/{x}/close")
    got = c.results(e)
    t.check(got["status"] == "closed" and "total" not in got and all("votes" not in o for o in got["options"]),
            "still hidden after the close, before the recount")
    await until(lambda: all(v.last["status"] == "closed" for vs in viewers.values() for v in vs), 30)
    for x in (e, p):
        await loop.run_in_executor(None, lambda: c.recount(x))
    await until(lambda: all(v.last["final"] for vs in viewers.values() for v in vs), 30)
    stop.set()
    failed = [r for r in await asyncio.gather(*tasks, return_exceptions=True)
              if isinstance(r, BaseException)]
    t.check(not failed, f"no viewer task failed: {failed[:3]}")
    t.check(all(v.error is None for vs in viewers.values() for v in vs), "no stream failed")
    for x in (e, p):
        before_final = [s for v in viewers[x] for s in v.snapshots if not s["final"]]
        t.check(all("votes" not in o for s in before_final for o in s["options"]),
                f"{x}: no per-option count over SSE or WebSocket before final")
    secret_frames = [s for v in viewers[e] for s in v.snapshots if not s["final"]]
    t.check(all("total" not in s and s["seq"] == 0 for s in secret_frames),
            f"{e}: no total and no seq over SSE or WebSocket before final")
    t.check(all([s["status"] for s in v.snapshots if not s["final"]] == ["open", "closed"] for v in viewers[e]),
            f"{e}: one frame while open and one at the close, none for the votes: "
            f"{[[s['status'] for s in v.snapshots] for v in viewers[e]]}")
    public_frames = [s for v in viewers[p] for s in v.snapshots if not s["final"]]
    t.check(len(public_frames) > 2 and all(s["total"] <= 30 for s in public_frames)
            and any(s["total"] == 30 for s in public_frames), f"{p}: viewers saw the total move")
    for x in (e, p):
        finals = [v.last for v in viewers[x]]
        t.check(all(f["final"] and f["total"] == 30 and sum(o["votes"] for o in f["options"]) == 30
                    for f in finals), f"{x}: after the recount the streams show the counts: {finals}")
        res = c.results(x)
        t.check(res["final"] and res["total"] == 30 and res["seq"] > 0
                and {o["id"]: o["votes"] for o in res["options"]} == {"a": 20, "b": 10},
                f"{x}: GET shows the final counts: {res}")


if __name__ == "__main__":
    run_with_server("e2e_viewers", run, extra_args=["--tick-ms", "10"])
