#!/usr/bin/env python3
"""Live results fan-out: 1,000 concurrent viewers (500 SSE, 500 WebSocket) all end on a snapshot
equal to GET .../results after a burst of votes, seq never goes backwards on any of them, viewers
of another election receive nothing about this one, a reconnect starts from the current full
snapshot whatever its Last-Event-ID says (the header is not read) and then gets the changes, and
WebSockets close cleanly."""
import asyncio
import json
import resource
from concurrent.futures import ProcessPoolExecutor

from harness import Client, run_with_server, wait_for
from stream_clients import Viewer, sse, unread, until, ws

E, OTHER = "live", "other"


def run(srv, t):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    c = srv.client()
    c.create_open(E, ["a", "b", "c"])
    c.create_open(OTHER, ["x", "y"])
    asyncio.run(scenario(srv, t, c))


def vote_once(port, i):
    return Client(port).vote(E, f"fan-{i}", "abc"[i % 3])[0]


async def scenario(srv, t, c):
    stop = asyncio.Event()
    viewers = [Viewer() for _ in range(1000)]
    others = [Viewer() for _ in range(20)]
    tasks = [asyncio.create_task((sse if i % 2 else ws)(srv.port, E, v, stop)) for i, v in enumerate(viewers)]
    tasks += [asyncio.create_task(sse(srv.port, OTHER, v, stop)) for v in others]
    await until(lambda: all(v.snapshots or v.error for v in viewers + others), 30)
    t.check(all(v.snapshots for v in viewers), "every viewer got the current snapshot at once: "
            f"{sum(1 for v in viewers if v.snapshots)} of 1000; {next((v.error for v in viewers if v.error), None)}")

    def burst():
        # Voters in other processes: threads here would hold the GIL away from the viewers'
        # event loop, and an SSE viewer that reads nothing for 10 s is dropped by design.
        with ProcessPoolExecutor(4) as pool:
            return list(pool.map(vote_once, [srv.port] * 2000, range(2000), chunksize=50))
    codes = await asyncio.get_running_loop().run_in_executor(None, burst)
    t.check(codes.count(202) == 2000, "2,000 votes accepted")
    await asyncio.get_running_loop().run_in_executor(
        None, lambda: wait_for(lambda: c.results(E)["total"] == 2000, what="the burst to be counted"))
    final = c.results(E)
    await until(lambda: all(v.last == final for v in viewers), 30)
    n_equal = sum(1 for v in viewers if v.last == final)
    behind = [unread(v) for v in viewers if v.last != final]
    # A viewer behind with bytes it has not parsed is a slow test client, not a lost push
    # (the SSE client once fell ~50 KB behind per viewer while both sockets' queues were empty).
    t.check(n_equal == 1000, f"all 1,000 viewers end on GET results: {n_equal}; "
            f"{next((v.error for v in viewers if v.error), None)}; of those behind, "
            f"{sum(1 for b in behind if b)} hold unread bytes ({sum(behind)} in all)")
    await until(lambda: all(unread(v) == 0 for v in viewers + others), 10)  # a keep-alive may be arriving
    t.check(all(unread(v) == 0 for v in viewers + others),
            "the test's viewers kept up: none holds received bytes it has not parsed")
    t.check(all(v.seqs == sorted(v.seqs) for v in viewers), "seq never goes backwards on any viewer")
    t.check(all(len(v.snapshots) >= 2 for v in viewers), "every viewer saw the tally move")
    t.check(all(s["election"] == OTHER for v in others for s in v.snapshots),
            "viewers of another election receive nothing about this one")

    # Last-Event-ID is not read (docs/api.md): every connection, a reconnect included, starts
    # with the current full snapshot whatever the header says (an old seq, one the server never
    # reached, e.g. from before a restart, not a number, empty), then gets each change.
    ids = [viewers[1].seqs[0], final["seq"] + 1000, "not-a-number", ""]
    again = [Viewer() for _ in ids]
    stop2 = asyncio.Event()
    tasks2 = [asyncio.create_task(sse(srv.port, E, v, stop2, last_event_id=i))
              for v, i in zip(again, ids)]
    await until(lambda: all(v.snapshots or v.error for v in again), 30)
    for v, i in zip(again, ids):
        t.check(v.snapshots[:1] == [final], f"Last-Event-ID {i!r}: the first event is the current "
                f"snapshot: {v.snapshots[:1]} {v.error}")
    s, _, _ = await asyncio.get_running_loop().run_in_executor(None, lambda: c.vote(E, "late", "a"))
    t.check(s == 202, "a vote after the reconnects")
    await until(lambda: all(v.last and v.last["total"] == 2001 or v.error for v in again), 30)
    t.check(all(v.last and v.last["total"] == 2001 and v.seqs == sorted(v.seqs) for v in again),
            f"then the reconnected viewers get the change: {[v.seqs for v in again]}")
    stop2.set()
    stop.set()
    results = await asyncio.gather(*tasks2, *tasks, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    t.check(not failed, f"no viewer task failed: {failed[:3]}")
    t.check(sum(1 for i, v in enumerate(viewers) if i % 2 == 0 and getattr(v, "clean_close", False)) >= 450,
            "WebSocket viewers close cleanly (close frame answered)")


if __name__ == "__main__":
    run_with_server("e2e_fanout", run, extra_args=["--tick-ms", "50"])
