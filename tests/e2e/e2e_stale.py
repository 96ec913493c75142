#!/usr/bin/env python3
"""`stale` in `urna serve` (docs/api.md, docs/operations.md "Stale results"): every snapshot
carries it, false while the processor keeps up, even with a 1 ms bound (the lag is 0 once every
durable vote is counted, not the time since the last vote); urna_processor_lag_seconds reports the
lag; --stale-after-ms / URNA_STALE_AFTER_MS out of range or not a number stop the start with an
error naming the option, before anything is created. The stale=true side (a processor that lags)
is src/app/stale_bound_test.cc, over the same embedded stack with the processor held."""
import argparse
import os
import subprocess

from harness import (ADMIN_TOKEN, AUDIT_KEY, VOTER_SECRET, Checks, Server, TempDataDir,
                     wait_for)
from storage_faults import metric


def serve(urna, data_dir, args=(), env_value=None):
    env = dict(os.environ, URNA_VOTER_SECRET=VOTER_SECRET, URNA_ADMIN_TOKEN=ADMIN_TOKEN,
               URNA_AUDIT_KEY=AUDIT_KEY)
    if env_value is not None:
        env["URNA_STALE_AFTER_MS"] = env_value
    return subprocess.run([urna, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0",
                           *args], env=env, capture_output=True, text=True, timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_stale")
    with TempDataDir() as d:
        bad = [(["--stale-after-ms", v], None, v) for v in ("0", "-5", "abc", "86400001")]
        bad += [([], v, v) for v in ("0", "soon")]
        for flags, env_value, shown in bad:
            data_dir = os.path.join(d, "never-created")
            what = " ".join(flags) or f"URNA_STALE_AFTER_MS={env_value}"
            try:
                r = serve(args.urna, data_dir, flags, env_value)
            except subprocess.TimeoutExpired:
                t.check(False, f"{what}: the server started instead of failing")
                continue
            out = r.stdout + r.stderr
            t.check(r.returncode != 0, f"{what}: exits non-zero ({r.returncode})")
            t.check("--stale-after-ms" in out and shown in out,
                    f"{what}: the error names the option and the value: {out.strip()[:200]!r}")
            t.check(not os.path.exists(data_dir), f"{what}: no data dir created")

        os.environ["URNA_STALE_AFTER_MS"] = "1"  # the harness passes its environment on
        try:
            srv = Server(args.urna, os.path.join(d, "tiny-bound")).start()
        finally:
            del os.environ["URNA_STALE_AFTER_MS"]
        try:
            c = srv.client()
            c.create_open("e1", ["a", "b"])
            snap = c.results("e1")
            t.check(snap.get("stale") is False, f"a fresh election: stale is false: {snap}")
            n = 30
            for i in range(n):
                s, b, _ = c.vote("e1", f"voter-{i}", "a" if i % 3 else "b")
                t.check(s == 202, f"vote {i} accepted: {s} {b}")
            done = wait_for(lambda: (lambda r: r if r["total"] == n else None)(c.results("e1")),
                            timeout=60, what="every vote to be counted")
            t.check(done.get("stale") is False,
                    f"every durable vote counted: not stale even with a 1 ms bound: {done}")
            t.check(metric(c, "urna_processor_lag_seconds") == 0,
                    "urna_processor_lag_seconds is 0 once everything is counted")
            s, _, _ = c.request("GET", "/v1/elections/e1/results",
                                headers={"If-None-Match": resp_etag(c)})
            t.check(s == 304, f"an unchanged, fresh snapshot keeps its ETag: {s}")
            c.conn.close()
        finally:
            t.check(srv.stop() == 0, "SIGTERM exits 0")
    t.finish()


def resp_etag(c):
    s, _, resp = c.request("GET", "/v1/elections/e1/results")
    assert s == 200, s
    etag = resp.getheader("ETag")
    assert etag and not etag.endswith('-stale"'), etag
    return etag


if __name__ == "__main__":
    main()
