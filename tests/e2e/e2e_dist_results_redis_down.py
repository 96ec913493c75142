#!/usr/bin/env python3
"""Redis down under load (issue 10, G6): the same cluster as e2e_dist_results (2 ingest, 2
`urna process --redis`, 2 `urna results` on one port, a real redis-server). Votes flow from 4
threads; in the middle, `kill -9` redis-server. While it is down: votes keep getting 202, the
ledger in DynamoDB keeps growing, no process exits, every SSE and WebSocket viewer keeps its
stream and its last snapshot, the snapshot is still served (200, not an error) and marked
stale (viewers are pushed `stale: true`), and each result server's /healthz says Redis is why
its results may be old. Then the load stops and the processors catch up (Redis still down), and
redis-server restarts EMPTY on the same port with no vote after: the processors refill it from
what they hold (their re-send on reconnect) and every viewer converges to exactly the ledger's
per-option counts with `stale: false`, `seq` never going back and no option's votes ever going
down."""
import threading
import time

from dist_cluster import attr, cluster_from_args, create_open_on_both, wait_on_result_servers
from dist_votes import Ballots, check_clean_stop
from harness import Checks, Client, wait_for
from stream_viewers import Viewers

E = "dist-redis-down"
OPTIONS = ["a", "b", "c"]
THREADS = 4
MAX_VOTES = 20000  # bound on the load, whatever happens
PACE = 0.01  # s between two votes of a thread: a load, not a flood (the scans stay quick)


def ledger_counts(c, election):
    counts = {}
    for it in c.ledger_items(election):
        counts[attr(it, "option")] = counts.get(attr(it, "option"), 0) + 1
    return counts


def shown(snapshot):
    return {o["id"]: o["votes"] for o in snapshot["options"] if o.get("votes")}


class Load:
    """THREADS threads, each voting for its own voters one after another through the two
    ingest nodes in turn, until stop() (or MAX_VOTES)."""

    def __init__(self, ballots, ports):
        self.ballots, self.ports = ballots, ports
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True)
                        for k in range(THREADS)]

    def _run(self, k):
        for i in range(k, MAX_VOTES, THREADS):
            if self.halt.is_set():
                return
            self.ballots.cast(self.ports[i % 2], f"rd-{i:05d}", OPTIONS[i % len(OPTIONS)])
            time.sleep(PACE)

    def start(self):
        for th in self.threads:
            th.start()
        return self

    def stop(self):
        self.halt.set()
        for th in self.threads:
            th.join(60)

    def accepted(self):
        return len(self.ballots.accepted)


def healthz_of_each(c, port, timeout=20):
    """{node: /healthz body} of every result server, asked on fresh connections to the shared
    port until each has answered (the kernel picks the server per connection)."""
    seen = {}

    def all_seen():
        s, b, _ = Client(port).request("GET", "/healthz")
        if s == 200 and isinstance(b, dict):
            seen[b.get("node")] = b
        return len(seen) == len(c.results)
    wait_for(all_seen, timeout=timeout, interval=0.02, what="/healthz of every result server")
    return seen


T0 = time.monotonic()


def main():
    t = Checks("e2e_dist_results_redis_down")
    with cluster_from_args(ingest=2, processors=2, results=2) as c:
        print(f"{time.monotonic() - T0:.1f} s: cluster up", flush=True)
        port = c.results_port
        create_open_on_both(c, E, OPTIONS)
        wait_on_result_servers(c, E)
        viewers = Viewers(port, E, sse=8, ws=8).start()
        ballots = Ballots(E)
        load = Load(ballots, [n.port for n in c.ingest])
        try:
            t.check(viewers.wait(lambda v: v.last is not None, timeout=30),
                    f"every viewer gets a snapshot: {viewers.summary()}")
            load.start()
            wait_for(lambda: load.accepted() >= 400, timeout=60, interval=0.05,
                     what="400 votes before the kill")
            t.check(viewers.wait(lambda v: v.last is not None and v.last["total"] > 0,
                                 timeout=30),
                    f"the viewers follow the votes before the kill: {viewers.summary()}")

            c.redis.kill9()
            killed_at = load.accepted()
            print(f"{time.monotonic() - T0:.1f} s: redis-server killed after {killed_at} votes",
                  flush=True)
            ledger_at_kill = sum(ledger_counts(c, E).values())
            wait_for(lambda: load.accepted() >= killed_at + 600, timeout=60, interval=0.1,
                     what="600 more votes answered 202 with Redis down")
            wait_for(lambda: sum(ledger_counts(c, E).values()) >= ledger_at_kill + 300,
                     timeout=60, interval=1, what="the ledger growing with Redis down")
            alive = [r.name for r in c.ingest + c.processors + c.results if not r.alive()]
            t.check(not alive, f"no process exits while Redis is down: {alive} exited")
            t.check(viewers.errors() == [] and all(v.last is not None for v in viewers.all),
                    f"every viewer keeps its stream and last snapshot: {viewers.errors()}")
            s, body, _ = Client(port).request("GET", f"/v1/elections/{E}/results")
            t.check(s == 200 and body.get("total", 0) > 0 and body.get("stale") is True,
                    f"the last snapshot is still served with Redis down, marked stale: {s} {body}")
            t.check(viewers.wait(lambda v: v.last.get("stale") is True, timeout=20),
                    f"every viewer is told the results are stale: {viewers.summary()}")
            health = healthz_of_each(c, port)
            t.check(all(h.get("status") == "degraded" and "redis" in h.get("problem", "")
                        for h in health.values()),
                    f"each result server's /healthz says Redis is the problem: {health}")
        finally:
            load.stop()
        print(f"{time.monotonic() - T0:.1f} s: load stopped at {load.accepted()} votes", flush=True)
        t.check(not ballots.unknown and all(s == 503 for _, _, s, _, _ in ballots.refused)
                and len(ballots.refused) <= 0.01 * max(1, load.accepted()),
                f"every vote answered 202 (a rare 503 at most): {len(ballots.refused)} "
                f"refused {ballots.refused[:3]}, {len(ballots.unknown)} unknown")
        try:
            # Every vote counted BEFORE Redis comes back, and no vote after: only the
            # processors' re-send on reconnect can then refill Redis (a new vote would refresh
            # every partition it touches and hide a missing re-send).
            c.wait_caught_up()
            want = ledger_counts(c, E)
            t.check(sum(want.values()) == len(ballots.accepted_voters()),
                    f"the ledger holds every accepted voter once: {sum(want.values())} vs "
                    f"{len(ballots.accepted_voters())}")
            t.check(all(v.last.get("stale") is True for v in viewers.all),
                    f"still stale while Redis is down: {viewers.summary()}")
            c.redis.start()  # empty: no persistence
            print(f"{time.monotonic() - T0:.1f} s: redis-server restarted empty, no more votes",
                  flush=True)
            ok = viewers.wait(lambda v: v.last is not None and shown(v.last) == want
                              and v.last.get("stale") is False, timeout=60)
            t.check(ok, f"after Redis came back empty every viewer shows exactly the ledger "
                        f"{want}, not stale, with no new vote: {viewers.summary()}")
            t.check(viewers.errors() == [], f"no viewer lost its stream: {viewers.errors()}")
            backwards = [(v.kind, v.seqs) for v in viewers.all if v.seqs != sorted(v.seqs)]
            t.check(not backwards, f"no viewer saw seq go back: {backwards[:1]}")
            fell = [(v.kind, shown(a), shown(b)) for v in viewers.all
                    for a, b in zip(v.snapshots, v.snapshots[1:])
                    if any(shown(b).get(o, 0) < shown(a).get(o, 0) for o in OPTIONS)]
            t.check(not fell, f"no viewer ever saw an option's votes decrease: {fell[:1]}")
            s, body, _ = Client(port).request("GET", f"/v1/elections/{E}/results")
            t.check(s == 200 and shown(body) == want and body.get("stale") is False,
                    f"the snapshot equals the ledger, not stale: {s} {body}")
            t.check(int(c.redis.command("EXISTS", f"urna:{{{E}}}:off")) == 1,
                    "the refilled Redis holds the election's offsets")
            health = wait_for(lambda: all(h.get("status") == "ok"
                                          for h in healthz_of_each(c, port).values()),
                              timeout=30, interval=0.2, what="/healthz ok on every result server")
            t.check(health, "/healthz ok again on every result server")
        finally:
            viewers.stop()
        print(f"{time.monotonic() - T0:.1f} s: converged", flush=True)
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
