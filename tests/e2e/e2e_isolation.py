#!/usr/bin/env python3
"""Reads never slow writes, shown by structure rather than by timing (docs/architecture.md,
"Threads of urna serve"):
(1) a broadcast to 2,000 live viewers (SSE and WebSocket) is written on the read-side threads
    only, never on a network thread that serves votes (the server counts push writes by the kind
    of thread that runs them, /metrics);
(2) with every read-side thread held inside a blocking task (test hook, URNA_TEST_HOOKS=1), votes,
    receipts, admin calls and result reads are still answered, and a new viewer's request is
    taken (its stream starts on the read side, so once released); once released, every viewer,
    the new one included, gets the latest snapshot (latest wins);
(3) the same count on the old design (--stream-threads 0: streams on the network threads) shows
    the writes there, so check (1) can fail; SIGTERM still ends every stream cleanly."""
import asyncio
import os
import resource

from harness import Checks, Server, TempDataDir, wait_for
from stream_clients import Viewer, sse, until, ws

E = "iso"
N = 2000  # viewers: half SSE, half WebSocket


def metrics(c):
    s, body, _ = c.request("GET", "/metrics")
    assert s == 200, s
    text = body.decode() if isinstance(body, bytes) else str(body)
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)  # label values may hold spaces; values may be floats
            out[k] = float(v)
    return out


async def run_in_thread(f, *args):
    return await asyncio.get_running_loop().run_in_executor(None, f, *args)


async def isolated(srv, t):
    c = srv.client()
    c.create_open(E, ["a", "b"])
    stop = asyncio.Event()
    viewers = [Viewer() for _ in range(N)]
    tasks = [asyncio.create_task((sse if i % 2 else ws)(srv.port, E, v, stop))
             for i, v in enumerate(viewers)]
    await until(lambda: all(v.snapshots or v.error for v in viewers), 60)
    t.check(all(v.snapshots for v in viewers), "every viewer got the current snapshot: "
            f"{sum(1 for v in viewers if v.snapshots)} of {N}; "
            f"{next((v.error for v in viewers if v.error), None)}")

    # (1) Broadcasts to every viewer, and where their writes ran.
    for i in range(3):
        s, b, _ = await run_in_thread(c.vote, E, f"v{i}", "ab"[i % 2])
        t.check(s == 202, f"vote {i}: {s} {b}")
        final = await run_in_thread(lambda: wait_for(
            lambda: c.results(E)["total"] == i + 1 and c.results(E), what="vote counted"))
        await until(lambda: all(v.last == final for v in viewers), 60)
    t.check(all(v.last == final for v in viewers), "every viewer got each broadcast: "
            f"{sum(1 for v in viewers if v.last == final)} of {N}")
    m = await run_in_thread(metrics, c)
    t.check(m.get("urna_stream_writes_read_side_total", 0) >= 3 * N,
            f"the broadcasts were written on the read-side threads: {m.get('urna_stream_writes_read_side_total')}")
    t.check(m.get("urna_stream_writes_network_total") == 0,
            f"no push write ran on a network thread: {m.get('urna_stream_writes_network_total')}")

    # (2) The read side held: the write side still answers everything.
    s, b, _ = await run_in_thread(c.request, "POST", "/_test/streams/stall")
    t.check(s == 200, f"the read-side threads are held: {s} {b}")
    late = Viewer()
    tasks.append(asyncio.create_task(sse(srv.port, E, late, stop)))  # starts once released
    for i in range(3, 6):
        s, b, _ = await run_in_thread(c.vote, E, f"v{i}", "a")
        t.check(s == 202, f"a vote while the read side is held: {s} {b}")
        if s == 202:
            s, r, _ = await run_in_thread(c.receipt, E, f"v{i}", b["vote_id"])
            t.check(s == 200, f"a receipt while the read side is held: {s} {r}")
    s, b, _ = await run_in_thread(c.admin, "POST", "/v1/elections",
                                  {"id": "iso2", "title": "Second", "options": [{"id": "x", "label": "X"}]})
    t.check(s == 201, f"an admin call while the read side is held: {s} {b}")
    s, b, _ = await run_in_thread(c.admin, "GET", f"/v1/elections/{E}")
    t.check(s == 200, f"an admin read while the read side is held: {s} {b}")
    final = await run_in_thread(lambda: wait_for(
        lambda: c.results(E)["total"] == 6 and c.results(E), what="votes counted while held"))
    t.check(final["total"] == 6, "the held read side does not hold the processor back")
    s, b, _ = await run_in_thread(c.request, "POST", "/_test/streams/release")
    t.check(s == 200, f"released: {s} {b}")
    await until(lambda: all(v.last == final for v in viewers + [late]), 60)
    t.check(all(v.last == final for v in viewers + [late]),
            "after the release every viewer (and the one that came while held) has the latest "
            f"snapshot: {sum(1 for v in viewers + [late] if v.last == final)} of {N + 1}")
    m = await run_in_thread(metrics, c)
    t.check(m.get("urna_stream_writes_network_total") == 0, "still no push write on a network thread")

    # SIGTERM with every viewer connected: the server drains, each SSE viewer sees the end.
    t.check(await run_in_thread(srv.stop) == 0, "SIGTERM drains with 2,000 viewers and exits 0")
    sse_viewers = [v for i, v in enumerate(viewers) if i % 2]
    await until(lambda: all(v.error for v in sse_viewers), 30)
    t.check(all(v.error == "the server closed the stream" for v in sse_viewers),
            f"every SSE viewer saw its stream end: {next((v.error for v in sse_viewers if v.error != 'the server closed the stream'), None)}")
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)


async def shared_threads(srv, t):
    """--stream-threads 0: the old design. The same count now shows writes on network threads."""
    c = srv.client()
    c.create_open(E, ["a", "b"])
    stop = asyncio.Event()
    viewers = [Viewer() for _ in range(100)]
    tasks = [asyncio.create_task((sse if i % 2 else ws)(srv.port, E, v, stop))
             for i, v in enumerate(viewers)]
    await until(lambda: all(v.snapshots or v.error for v in viewers), 30)
    s, b, _ = await run_in_thread(c.vote, E, "w", "a")
    final = await run_in_thread(lambda: wait_for(
        lambda: c.results(E)["total"] == 1 and c.results(E), what="vote counted"))
    await until(lambda: all(v.last == final for v in viewers), 30)
    m = await run_in_thread(metrics, c)
    t.check(m.get("urna_stream_writes_network_total", 0) >= 100 and
            m.get("urna_stream_writes_read_side_total") == 0,
            f"with --stream-threads 0 the writes run on the network threads: {m}")
    s, _, _ = await run_in_thread(c.request, "POST", "/_test/streams/stall")
    t.check(s == 409, f"no read side to hold with --stream-threads 0: {s}")
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    os.environ["URNA_TEST_HOOKS"] = "1"
    t = Checks("e2e_isolation")
    with TempDataDir() as d:
        srv = Server(args.urna, d, ["--stream-threads", "1"]).start()
        try:
            asyncio.run(isolated(srv, t))
        finally:
            srv.stop()
    with TempDataDir() as d:
        srv = Server(args.urna, d, ["--stream-threads", "0"]).start()
        try:
            asyncio.run(shared_threads(srv, t))
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0 (--stream-threads 0)")
    t.finish()


if __name__ == "__main__":
    main()
