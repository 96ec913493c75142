#!/usr/bin/env python3
"""Viewers who misbehave or must not see: (1) a viewer that stops reading does not delay the
others, and the server's memory does not grow with its backlog; (2) hidden results never leak
per-option counts over GET, SSE or WebSocket before the result is final, and show them after."""
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

    def vote_for(seconds, tag):  # one vote per ~5 ms: the tally changes at (almost) every tick
        cl, i, end = srv.client(), 0, time.time() + seconds
        while time.time() < end:
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
        await until(lambda: normal.snapshots, 10)
        rss0 = rss_kib(srv.proc.pid)
        total0 = c.results(big)["total"]
        n = await asyncio.get_running_loop().run_in_executor(None, vote_for, 6, tag)
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: wait_for(lambda: c.results(big)["total"] == total0 + n, what="votes counted"))
        final = c.results(big)
        await until(lambda: normal.last == final, 10)
        rss1 = rss_kib(srv.proc.pid)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
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
    c = srv.client()
    e = "secret"
    s, b, _ = c.admin("POST", "/v1/elections", {"id": e, "title": "Secret", "results_visibility": "hidden_until_closed",
                                                "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]})
    t.check(s == 201 and b["results_visibility"] == "hidden_until_closed", "hidden election created")
    s, b, _ = c.admin("POST", "/v1/elections", {"id": "bad-vis", "title": "X", "results_visibility": "sometimes",
                                                "options": [{"id": "a", "label": "A"}]})
    t.check(s == 400, "unknown results_visibility is 400")
    c.admin("POST", f"/v1/elections/{e}/open")
    stop = asyncio.Event()
    viewers = [Viewer(), Viewer()]
    tasks = [asyncio.create_task(sse(srv.port, e, viewers[0], stop)),
             asyncio.create_task(ws(srv.port, e, viewers[1], stop))]
    await until(lambda: all(v.snapshots for v in viewers), 10)
    for i in range(30):
        c.vote(e, f"h{i}", "ab"[i % 3 == 0])
    await asyncio.get_running_loop().run_in_executor(
        None, lambda: wait_for(lambda: c.results(e)["total"] == 30, what="hidden votes counted"))
    got = c.results(e)
    t.check(got["total"] == 30 and all("votes" not in o for o in got["options"]),
            f"GET results shows the total but no per-option count while hidden: {got}")
    s, _, _ = c.admin("POST", f"/v1/elections/{e}/close")
    got = c.results(e)
    t.check(got["status"] == "closed" and all("votes" not in o for o in got["options"]),
            "still hidden after the close, before the recount")
    await asyncio.get_running_loop().run_in_executor(None, lambda: c.recount(e))
    await until(lambda: all(v.last and v.last["final"] for v in viewers), 10)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    before_final = [s for v in viewers for s in v.snapshots if not s["final"]]
    t.check(len(before_final) >= 2 and all(s["total"] <= 30 for s in before_final), "viewers saw the total move")
    t.check(all("votes" not in o for s in before_final for o in s["options"]),
            "no per-option count over SSE or WebSocket before final")
    t.check(any(s["total"] == 30 for s in before_final), "the total is shown while hidden")
    finals = [v.last for v in viewers]
    t.check(all(f["final"] and sum(o["votes"] for o in f["options"]) == 30 for f in finals),
            f"after the recount the streams show the counts: {finals}")
    res = c.results(e)
    t.check(res["final"] and {o["id"]: o["votes"] for o in res["options"]} == {"a": 20, "b": 10},
            f"GET shows the final counts: {res}")


if __name__ == "__main__":
    run_with_server("e2e_viewers", run, extra_args=["--tick-ms", "10"])
