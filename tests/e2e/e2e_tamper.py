#!/usr/bin/env python3
"""A live tally corrupted on purpose is caught: with the server stopped, the test adds 7 to one
stored per-partition tally with RocksDB's own `ldb` tool; after a restart and the close, the
recount refuses to finalize and its report names the option and the difference."""
import argparse
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

from harness import Checks, Server, TempDataDir, wait_for

E = "tamper"


def ldb(data_dir, *args):
    tool = shutil.which("ldb")
    assert tool, "ldb (Debian rocksdb-tools) is needed: scripts/bootstrap installs it"
    out = subprocess.run([tool, f"--db={data_dir}", "--column_family=tallies", *args],
                         capture_output=True, text=True, check=True)
    return out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_tamper")
    with TempDataDir() as d:
        srv = Server(args.urna, d).start()
        c = srv.client()
        c.create_open(E, ["a", "b"])
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda i: srv.client().vote(E, f"v{i}", "ab"[i % 2])[0], range(200)))
        t.check(codes.count(202) == 200, "200 votes accepted")
        wait_for(lambda: c.results(E)["total"] == 200, what="200 votes counted")
        t.check(srv.stop() == 0, "clean stop before tampering")

        # Tallies key: [u32 partition] election \0 option -> u64 count, big-endian (db.h).
        suffix = (E.encode() + b"\0a").hex().upper()
        lines = [l for l in ldb(d, "scan", "--key_hex", "--value_hex").splitlines() if " : " in l]
        key, value = next((k, v) for k, v in (l.split(" : ") for l in lines) if k.upper().endswith(suffix))
        ldb(d, "put", "--key_hex", "--value_hex", key, "0x%016X" % (int(value, 16) + 7))

        srv = Server(args.urna, d).start()
        c = srv.client()
        live = c.results(E)
        t.check(live["total"] == 207, f"the corrupted live tally shows 207: {live['total']}")
        s, _, _ = c.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200, "close")
        job = c.recount(E)
        rep = job.get("report", {})
        t.check(job["state"] == "done" and rep.get("agree") is False and rep.get("final") is False,
                f"recount refuses to finalize: {job.get('state')} agree={rep.get('agree')}")
        diffs = rep.get("differences", [])
        t.check(len(diffs) == 1 and diffs[0]["option"] == "a" and diffs[0]["live_minus_ledger"] == 7
                and diffs[0]["ledger"] == diffs[0]["replay"] == 100,
                f"the report names option a, live 7 over ledger and replay: {diffs}")
        res = c.results(E)
        t.check(res["status"] == "closed" and res["final"] is False, f"results stay not final: {res['status']}")
        s, audit, _ = c.admin("GET", f"/v1/elections/{E}/audit")
        t.check(s == 200 and audit["agree"] is False, "the audit report shows the disagreement")
        t.check(srv.stop() == 0, "SIGTERM exits 0")
    t.finish()


if __name__ == "__main__":
    main()
