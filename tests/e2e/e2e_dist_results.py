#!/usr/bin/env python3
"""Result servers end to end (issue 10): mock Kafka + dynalite + a real redis-server + 2
`urna ingest` + 2 `urna process --redis` + 2 `urna results` on ONE port (--reuse-port), the
result servers started without any secret or Kafka setting in their environment.
SSE and WebSocket viewers connect to that port; the kernel's own socket table (/proc) shows
that both result servers took some of them. 1,500 voters vote twice at once through the two
ingest nodes; every viewer, on either result server, converges to exactly the ledger's
per-option counts read straight from DynamoDB, and no viewer ever sees `seq` go back. The
snapshot on the shared port equals the ledger too, with its ETag (304); a vote or an
administration request sent to a result server is refused with a clear 404. Both processors
frozen (SIGSTOP) while votes come in: every viewer is pushed `stale: true` and /healthz names
the processors; thawed, every viewer shows exactly the ledger with `stale: false`. Exit codes: 2 for
a missing or bad --redis, 1 for a third result server on the port without --reuse-port. Every
role stops cleanly on SIGTERM."""
import shutil
import subprocess
import time

from dist_cluster import attr, cluster_from_args, create_open_on_both, wait_on_result_servers
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


def check_exit_codes(t, c):
    """Bad configuration exits 2 with a message naming the setting; a port already taken (no
    --reuse-port) exits 1 and says how to share it."""
    def run(args, **env):
        e = c.env(**env)
        try:
            p = subprocess.run([c.urna, "results", *args], env=e, capture_output=True,
                               text=True, timeout=30)
        except subprocess.TimeoutExpired as x:  # it started: the setting was not checked
            return None, str(x.stdout)
        return p.returncode, p.stdout + p.stderr
    code, out = run(["--listen", "127.0.0.1:0"], URNA_REDIS_URL="")
    t.check(code == 2 and "--redis" in out, f"no Redis: exit 2 naming --redis: {code} {out}")
    code, out = run(["--listen", "127.0.0.1:0", "--redis", "redis://:secret@h:99999"])
    t.check(code == 2 and "--redis" in out and "secret" not in out,
            f"a bad Redis URL: exit 2, password not echoed: {code} {out}")
    code, out = run(["--listen", "127.0.0.1:0", "--stale-after-ms", "0"])
    t.check(code not in (0, None) and "--stale-after-ms" in out and "not in range" in out,
            f"--stale-after-ms 0: refused by its range check: {code} {out[-300:]}")
    code, out = run(["--listen", f"127.0.0.1:{c.results_port}"])
    t.check(code == 1 and "--reuse-port" in out,
            f"the shared port without --reuse-port: exit 1 naming the flag: {code} {out[-300:]}")


def check_processors_paused(t, c, viewers, before):
    """Both processors frozen (SIGSTOP) while votes keep coming: their heartbeats end, and
    every viewer is pushed `stale: true` with the counts it had (and /healthz names the
    processors, not Redis). Thawed (SIGCONT): every viewer shows exactly the ledger again, with
    `stale: false`. Returns the ledger's counts."""
    for p in c.processors:
        p.pause()
    try:
        cl = c.ingest[0].client()
        for i in range(30):
            s, body, _ = cl.vote(E, f"paused-{i:03d}", OPTIONS[i % len(OPTIONS)])
            t.check(s == 202, f"a vote with the processors paused is taken: {s} {body}")
        ok = viewers.wait(lambda v: v.last.get("stale") is True, timeout=30)
        t.check(ok, f"processors paused: every viewer is told the results are stale: "
                    f"{viewers.summary()}")
        t.check(all(shown(v.last) == before for v in viewers.all),
                f"... and keeps the counts it had: {viewers.summary()}")
        s, body, _ = Client(c.results_port).request("GET", "/healthz")
        t.check(s == 200 and body.get("status") == "degraded"
                and "processor" in body.get("problem", "") and "redis:" not in body["problem"],
                f"/healthz names the processors as the problem, not Redis: {s} {body}")
    finally:
        for p in c.processors:
            p.resume()
    c.wait_caught_up()
    want = ledger_counts(c, E)
    t.check(sum(want.values()) == sum(before.values()) + 30,
            f"the ledger counted the 30 votes cast while paused: {want} vs {before}")
    ok = viewers.wait(lambda v: shown(v.last) == want and v.last.get("stale") is False,
                      timeout=60)
    t.check(ok, f"processors thawed: every viewer shows exactly the ledger {want}, not stale: "
                f"{viewers.summary()}")
    return want


def check_first_viewers(t, c, port):
    """The first viewers of an election a result server has not read from Redis yet get its
    snapshot at once, like any other (the server waits for the read, then answers)."""
    e2 = E + "-2"
    create_open_on_both(c, e2, OPTIONS)
    c.ingest[0].client().vote(e2, "first", "b")
    wait_on_result_servers(c, e2)  # the election, not its tallies: those are read on demand
    viewers = Viewers(port, e2, sse=4, ws=4).start()
    try:
        ok = viewers.wait(lambda v: v.last is not None, timeout=20)
        t.check(ok and not viewers.errors(), f"the first viewers of an election get its snapshot "
                f"at once on every result server: {viewers.summary()} {viewers.errors()}")
    finally:
        viewers.stop()


def check_just_created(t, c, port):
    """An election created through an ingest node is served by every result server at once,
    before their catalog refresh has read it: a request for an id a result server does not know
    waits for its next refresh instead of 404. An id nobody created is 404 after that refresh."""
    e3 = E + "-3"
    c.ingest[0].client().create_open(e3, OPTIONS)
    answers = [Client(port).request("GET", f"/v1/elections/{e3}/results")[0] for _ in range(20)]
    t.check(all(s == 200 for s in answers),
            f"20 requests right after the election's creation, on fresh connections spread over "
            f"the result servers, all get its results: {answers}")
    start = time.monotonic()
    s, body, _ = Client(port).request("GET", "/v1/elections/nobody-made-this/results")
    waited = time.monotonic() - start
    t.check(s == 404 and waited < 2.5,
            f"an unknown id is 404 after one catalog refresh: {s} after {waited:.2f} s {body}")


def main():
    t = Checks("e2e_dist_results")
    with cluster_from_args(ingest=2, processors=2, results=2) as c:
        port = c.results_port
        for r in c.results:
            t.check(r.port == port, f"{r.name} listens on the shared port {port}: {r.port}")
        for p in c.processors:
            t.check("publishing results to redis://127.0.0.1:" in p.output(),
                    f"{p.name} says it publishes to Redis: {p.output()[-300:]}")
        check_exit_codes(t, c)
        create_open_on_both(c, E, OPTIONS)
        wait_on_result_servers(c, E)

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
            want = check_processors_paused(t, c, viewers, want)
        finally:
            viewers.stop()

        check_first_viewers(t, c, port)
        check_just_created(t, c, port)
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
        # ok once the cache has read the processors' heartbeats again (each result server in
        # turn: the kernel picks one per connection).
        ok = wait_for(lambda: all(Client(port).request("GET", "/healthz")[1].get("status") == "ok"
                                  for _ in range(8)), timeout=30, interval=0.1,
                      what="/healthz ok")
        s, body, _ = cl.request("GET", "/healthz")
        t.check(ok and s == 200 and body.get("status") == "ok" and body.get("role") == "results",
                f"/healthz of a result server: {s} {body}")
        s, body, _ = cl.request("GET", "/metrics")
        t.check(s == 200 and b"urna_results_stale 0" in body and b"urna_results_viewers" in body,
                f"/metrics of a result server: {s} {body[:300]!r}")
        # ops (issue 12.10): every role's /metrics passes promtool (HELP and TYPE everywhere).
        promtool = shutil.which("promtool")
        t.check(promtool is not None, "promtool is installed (scripts/bootstrap: prometheus)")
        for role, client in (("results", cl), ("ingest", c.ingest[0].client())):
            s, text, _ = client.request("GET", "/metrics")
            if promtool and s == 200:
                r = subprocess.run([promtool, "check", "metrics"], input=bytes(text),
                                   capture_output=True, timeout=60)
                t.check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
                        f"promtool check metrics passes on {role}: {r.stdout!r} {r.stderr!r}")
            t.check(s == 200 and b'urna_http_requests_total{route="' in bytes(text),
                    f"{role} counts requests by route: {s}")
            # Both serve live result streams: both measure their broadcasts.
            t.check(b"# TYPE urna_broadcast_reach95_seconds histogram" in bytes(text) and
                    b"urna_broadcast_viewers_total{" in bytes(text),
                    f"{role} has the live-results broadcast figures (urna_broadcast_*)")
        s, body, _ = cl.request("GET", f"/e/{E}")
        t.check(s == 200 and b"<html" in bytes(body).lower(),
                f"the voting page (live results) is served: {s}")
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
