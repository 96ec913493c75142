#!/usr/bin/env python3
"""`urna recount` and `urna audit` on a stopped server's data dir: refused while the server
runs; after a close and a kill -9 they finish processing, recount, finalize and write the audit
files; the digest in report.json is recomputed from ledger.csv here."""
import argparse
import hashlib
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

from harness import ADMIN_TOKEN, AUDIT_KEY, VOTER_SECRET, Checks, Server, TempDataDir, wait_for

E = "offline"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_offline")
    env = dict(os.environ, URNA_VOTER_SECRET=VOTER_SECRET, URNA_ADMIN_TOKEN=ADMIN_TOKEN,
               URNA_AUDIT_KEY=AUDIT_KEY)

    def urna(*a):
        return subprocess.run([args.urna, *a], capture_output=True, text=True, env=env, timeout=300)

    with TempDataDir() as d:
        srv = Server(args.urna, d).start()
        c = srv.client()
        c.create_open(E, ["x", "y", "z"])
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda i: srv.client().vote(E, f"v{i % 250}", "xyz"[i % 3])[0], range(300)))
        t.check(codes.count(202) == 300, "300 votes accepted (50 of them second votes)")
        r = urna("recount", "--data-dir", d, "--election", E)
        t.check(r.returncode == 1 and "urna serve" in r.stderr, f"refused while the server runs: {r.stderr}")
        s, _, _ = c.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200, "close")
        srv.kill9()  # the seals may not be processed yet: the offline recount must finish the job

        r = urna("recount", "--data-dir", d, "--election", "nope")
        t.check(r.returncode == 1 and "nope" in r.stderr, f"unknown election: {r.stderr}")
        out = os.path.join(d, "audit-out")
        r = urna("audit", "--data-dir", d, "--election", E, "--out", out)
        t.check(r.returncode == 0 and "final" in r.stdout, f"audit agrees and finalizes: {r.stdout} {r.stderr}")
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        with open(os.path.join(out, "ledger.csv"), "rb") as f:
            header, _, body = f.read().partition(b"\n")
        t.check(rep["final"] and rep["agree"], "report.json says final and agreeing")
        t.check(sum(rep["counts"]["ledger"].values()) == 250, "250 distinct voters counted")
        t.check(rep["votes"]["duplicate"] == 50, "50 duplicates accounted for")
        t.check(hashlib.sha256(body).hexdigest() == rep["ledger"]["digest"]["value"],
                "digest recomputed from ledger.csv")
        t.check(os.path.getsize(os.path.join(out, "report.html")) > 500, "report.html written")
        r = urna("recount", "--data-dir", d, "--election", E)
        t.check(r.returncode == 0, "a second recount of a final election agrees again")

        srv = Server(args.urna, d).start()
        res = srv.client().results(E)
        t.check(res["final"] is True and res["total"] == 250, f"the server shows the final result: {res}")
        t.check(srv.stop() == 0, "SIGTERM exits 0")
    t.finish()


if __name__ == "__main__":
    main()
