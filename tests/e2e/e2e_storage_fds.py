#!/usr/bin/env python3
"""Storage fault: the server runs out of file descriptors. With the running server's fd limit
lowered (prlimit), RocksDB cannot open the next WAL or table file at a memtable switch and stops
taking writes. Votes must then answer 503 (never 202), /healthz must say degraded, and once the
limit is restored voting must recover by itself, without a restart, with every 202 counted.
Needs prlimit(1) and permission to change another process's limits (root, as in CI)."""
import argparse
import os
import shutil
import subprocess
import sys
import time

from harness import Checks, Server, TempDataDir, wait_for
from storage_faults import (VoteLoad, check_all_acked_counted, check_no_ack_while_failing, health,
                            metric)

E = "fds"
OPTIONS = ["a", "b", "c"]


def nofile(pid):
    out = subprocess.run(["prlimit", "--pid", str(pid), "--nofile", "--output=SOFT,HARD",
                          "--noheadings", "--raw"], check=True, capture_output=True, text=True)
    soft, hard = out.stdout.split()
    return soft, hard


def set_nofile(pid, soft, hard):
    subprocess.run(["prlimit", "--pid", str(pid), f"--nofile={soft}:{hard}"], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_storage_fds")
    if shutil.which("prlimit") is None or os.geteuid() != 0:
        print("SKIP: needs prlimit and root to change the server's fd limit", flush=True)
        return 77
    with TempDataDir() as d:
        # 1 MiB memtables: a memtable switch (a new WAL file) comes after a few thousand votes.
        srv = Server(args.urna, d, ["--write-buffer-mb", "1"]).start()
        restore = None
        try:
            mon = srv.client()
            mon.create_open(E, OPTIONS)
            load = VoteLoad(srv, E, OPTIONS)
            soft, hard = nofile(srv.proc.pid)
            restore = (soft, hard)
            load.start()
            wait_for(lambda: load.counts()[0] >= 200, timeout=60, what="votes before the fault")
            # No new descriptor at all: 0-2 are always open. Open connections keep working.
            set_nofile(srv.proc.pid, 3, hard)
            t_low = time.time()
            wait_for(lambda: load.counts()[1] > 0, timeout=90, interval=0.05,
                     what="votes to fail once RocksDB needs a new file")
            acked_at_fault = load.counts()[0]
            print(f"first 503 after {time.time() - t_low:.1f}s; {acked_at_fault} acknowledged",
                  flush=True)
            msg = load.failed[0][1]
            t.check("storage" in msg and "retry" in msg, f"the 503 says storage fails: {msg!r}")
            s, b = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(health(mon)),
                            timeout=30, what="/healthz to report degraded storage")
            t.check(s == 503 and b.get("status") == "degraded" and b.get("storage"),
                    f"/healthz is 503 degraded with a reason: {b}")
            print(f"/healthz while failing: {b}", flush=True)
            t.check(metric(mon, "urna_storage_healthy") == 0, "metric urna_storage_healthy is 0")
            # Stays failing while the cause lasts: no vote acknowledged without a new file.
            check_no_ack_while_failing(t, load, "no 202 while no file can be opened")
            set_nofile(srv.proc.pid, *restore)
            restore = None
            t_restored = time.time()
            first = wait_for(lambda: load.first_ack_after(t_restored), timeout=60, interval=0.02,
                             what="a vote to be acknowledged after the fd limit is restored")
            print(f"RECOVERY: first 202 {first - t_restored:.2f}s after the fd limit was restored",
                  flush=True)
            t.check(first - t_restored < 30, "voting recovers by itself within 30 s")
            s, b = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(health(mon)),
                            timeout=30, what="/healthz ok again")
            t.check(s == 200 and b.get("status") == "ok", f"/healthz 200 after recovery: {b}")
            load.wait_answers(n_acked=50)  # voting goes on after the recovery
            load.stop()
            t.check(not load.unexpected, f"every vote got 202 or 503: {load.unexpected[:3]}")
            t.check(metric(mon, "urna_storage_recoveries_total") >= 1,
                    "metric urna_storage_recoveries_total counts the recovery")
            n_acked, n_failed = load.counts()
            print(f"{n_acked} acknowledged, {n_failed} answered 503", flush=True)
            check_all_acked_counted(t, mon, E, load)
        finally:
            if restore:
                set_nofile(srv.proc.pid, *restore)
            code = srv.stop()
            t.check(code == 0, f"SIGTERM drains and exits 0 (got {code})")
    t.finish()


if __name__ == "__main__":
    sys.exit(main())
