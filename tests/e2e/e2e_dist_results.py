#!/usr/bin/env python3
"""Result servers end to end (issue 10): mock Kafka + dynalite + a real redis-server + 2
`urna ingest` + 2 `urna process --redis` + 2 `urna results` on ONE port (--reuse-port).
SSE and WebSocket viewers connect to that port; the kernel's own socket table (/proc) shows
that both result servers took some of them. 1,500 voters vote twice at once through the two
ingest nodes; every viewer, on either result server, converges to exactly the ledger's
per-option counts read straight from DynamoDB, and no viewer ever sees `seq` go back. The
snapshot on the shared port equals the ledger too, with its ETag (304); a vote or an
administration request sent to a result server is refused with a clear 404; every role stops
cleanly on SIGTERM."""
import threading
import time

from dist_cluster import attr, cluster_from_args, create_open_on_both
from dist_votes import Ballots, cast_pairs, check_clean_stop
from harness import ADMIN_TOKEN, Checks, Client, token, wait_for
from stream_viewers import Viewers

E = "dist-results"
OPTIONS = ["a", "b", "c"]
VOTERS = 1500
VIEWERS = 16  # per protocol


def ledger_counts(c, election):
    """{option: votes} of the ledger in DynamoDB (one item per counted voter)."""
    counts = {}
    for it in c.ledger_items(election):
        counts[attr(it, "option")] = counts.get(attr(it, "option"), 0) + 1
    return counts


def shown(snapshot):
    return {o["id"]: o["votes"] for o in snapshot["options"] if o.get("votes")}


def main():
    t = Checks("e2e_dist_results")
    with cluster_from_args(ingest=2, processors=2, results=2) as c:
        port = c.results_port
        for r in c.results:
            t.check(r.port == port, f"{r.name} listens on the shared port {port}: {r.port}")
        for p in c.processors:
            t.check("publishing results to redis://127.0.0.1:" in p.output(),
                    f"{p.name} says it publishes to Redis: {p.output()[-300:]}")
        create_open_on_both(c, E, OPTIONS)
        # Each result server sees the election within its catalog refresh: ask on fresh
        # connections (spread over both) until 20 in a row find it.
        streak = {"n": 0}

        def seen():
            s, _, _ = Client(port).request("GET", f"/v1/elections/{E}/results")
            streak["n"] = streak["n"] + 1 if s == 200 else 0
            return streak["n"] >= 20
        wait_for(seen, timeout=20, interval=0.02, what="the election on both result servers")

        viewers = Viewers(port, E, sse=VIEWERS, ws=VIEWERS).start()
        try:
            t.check(viewers.wait(lambda v: v.last is not None, timeout=30),
                    f"every viewer gets the snapshot at once: {viewers.summary()}")
            held = {r.name: r.connections() for r in c.results}
            t.check(all(n >= 1 for n in held.values()) and sum(held.values()) >= 2 * VIEWERS,
                    f"both result servers on the one port took viewers: {held}")

            ballots = Ballots(E)
            voters = [f"rv-{i:05d}" for i in range(VOTERS)]
            start = time.monotonic()
            cast_pairs(ballots, [n.port for n in c.ingest], voters, OPTIONS)
            print(f"{len(ballots.accepted)} votes accepted in {time.monotonic() - start:.1f} s",
                  flush=True)
            t.check(len(ballots.accepted) >= 2 * VOTERS * 0.99 and not ballots.unknown,
                    f"the votes are taken: {len(ballots.accepted)} accepted, refused "
                    f"{ballots.refused[:3]}")
            c.wait_caught_up()
            want = ledger_counts(c, E)
            t.check(sum(want.values()) == len(ballots.accepted_voters()),
                    f"the ledger holds one vote per voter: {want}")
            ok = viewers.wait(lambda v: v.last is not None and shown(v.last) == want, timeout=60)
            t.check(ok, f"every SSE and WebSocket viewer shows exactly the ledger {want}: "
                        f"{viewers.summary()}")
            t.check(viewers.errors() == [], f"no viewer lost its stream: {viewers.errors()}")
            backwards = [(v.kind, v.seqs) for v in viewers.all if v.seqs != sorted(v.seqs)]
            t.check(not backwards, f"no viewer saw seq go back: {backwards[:2]}")
        finally:
            viewers.stop()

        cl = Client(port)
        s, body, resp = cl.request("GET", f"/v1/elections/{E}/results")
        t.check(s == 200 and shown(body) == want, f"the snapshot equals the ledger: {s} {body}")
        etag = resp.getheader("ETag")
        s, _, _ = cl.request("GET", f"/v1/elections/{E}/results", headers={"If-None-Match": etag})
        t.check(s == 304, f"If-None-Match with the ETag gets 304: {s}")
        s, body, _ = cl.request("POST", f"/v1/elections/{E}/votes", {"option": "a"},
                                bearer=token("late"))
        t.check(s == 404 and "result server" in str(body),
                f"a vote sent to a result server gets a clear 404: {s} {body}")
        s, body, _ = cl.request("POST", f"/v1/elections/{E}/close", bearer=ADMIN_TOKEN)
        t.check(s == 404 and "result server" in str(body),
                f"a close sent to a result server gets a clear 404: {s} {body}")
        s, body, _ = cl.request("GET", "/healthz")
        t.check(s == 200 and body.get("status") == "ok" and body.get("role") == "results",
                f"/healthz of a result server: {s} {body}")
        s, body, _ = cl.request("GET", f"/e/{E}")
        t.check(s == 200 and b"<html" in bytes(body).lower(),
                f"the voting page (live results) is served: {s}")
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
