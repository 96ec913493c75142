#!/usr/bin/env python3
"""Storage fault: the disk fills up. The data dir lives on a small tmpfs; while votes flow, a
filler file takes every free byte. Votes must answer 503 (never 202 for a vote that is not
durable), /healthz must say degraded, and once the filler is deleted voting must recover by
itself, without a restart, with every 202 counted. Then urna started on a full disk must refuse
with a clear error and a non-zero exit code instead of aborting inside RocksDB.
Needs root to mount a tmpfs (as in CI); otherwise it is skipped (exit 77)."""
import argparse
import errno
import os
import subprocess
import sys
import tempfile
import time

from harness import ADMIN_TOKEN, AUDIT_KEY, VOTER_SECRET, Checks, Server, wait_for
from storage_faults import (VoteLoad, check_all_acked_counted, check_no_ack_while_failing, health,
                            metric)

E = "full"
OPTIONS = ["a", "b", "c"]
SKIP = 77
MIN_FREE_MB = 8


def fill(path):
    """Writes zeros to `path` until the file system is full; returns the bytes written."""
    chunk = b"\0" * (1 << 20)
    written = 0
    with open(path, "wb", buffering=0) as f:
        for size in (1 << 20, 4096):
            chunk = b"\0" * size
            while True:
                try:
                    written += f.write(chunk)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    return written


def free_mb(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / (1 << 20)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_disk_full")
    mnt = tempfile.mkdtemp(prefix="urna-tmpfs-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mnt)
        print(f"SKIP: cannot mount a tmpfs (needs root): {r.stderr.strip()}", flush=True)
        return SKIP
    srv = None
    try:
        data = os.path.join(mnt, "data")
        filler = os.path.join(mnt, "filler")
        srv = Server(args.urna, data, ["--write-buffer-mb", "1", "--min-free-disk-mb",
                                       str(MIN_FREE_MB)]).start()
        mon = srv.client()
        mon.create_open(E, OPTIONS)
        load = VoteLoad(srv, E, OPTIONS)
        load.start()
        wait_for(lambda: load.counts()[0] >= 200, timeout=60, what="votes before the fault")
        filled = fill(filler)
        t_full = time.time()
        print(f"filler took {filled >> 20} MiB; {free_mb(mnt):.1f} MiB left", flush=True)
        wait_for(lambda: load.counts()[1] > 0, timeout=90, interval=0.05,
                 what="votes to fail on the full disk")
        print(f"first 503 {time.time() - t_full:.1f}s after the disk filled; "
              f"{load.counts()[0]} acknowledged", flush=True)
        msg = load.failed[0][1]
        t.check("storage" in msg and "retry" in msg, f"the 503 says storage fails: {msg!r}")
        s, b = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(health(mon)),
                        timeout=30, what="/healthz to report degraded storage")
        t.check(s == 503 and b.get("status") == "degraded", f"/healthz 503 degraded: {b}")
        s, b = wait_for(lambda: (lambda r: r if "disk full" in r[1].get("storage", "") else None)(
            health(mon)), timeout=30, what="/healthz to name the full disk")
        print(f"/healthz while full: {b}", flush=True)
        t.check(metric(mon, "urna_storage_healthy") == 0, "metric urna_storage_healthy is 0")
        # While the disk stays full nothing is acknowledged.
        check_no_ack_while_failing(t, load, "no 202 while the disk is full")
        os.unlink(filler)
        t_freed = time.time()
        first = wait_for(lambda: load.first_ack_after(t_freed), timeout=60, interval=0.02,
                         what="a vote to be acknowledged after the disk is freed")
        print(f"RECOVERY: first 202 {first - t_freed:.2f}s after the filler was deleted",
              flush=True)
        s, b = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(health(mon)),
                        timeout=30, what="/healthz ok again")
        t.check(b.get("status") == "ok", f"/healthz 200 after recovery: {b}")
        load.wait_answers(n_acked=50)  # voting goes on after the recovery
        load.stop()
        t.check(not load.unexpected, f"every vote got 202 or 503: {load.unexpected[:3]}")
        t.check(metric(mon, "urna_storage_recoveries_total") >= 1, "the recovery is counted")
        n_acked, n_failed = load.counts()
        print(f"{n_acked} acknowledged, {n_failed} answered 503", flush=True)
        check_all_acked_counted(t, mon, E, load)
        code = srv.stop()
        srv = None
        t.check(code == 0, f"SIGTERM drains and exits 0 (got {code})")

        # Start on a full disk: a clear refusal, not an abort.
        fill(filler)
        env = dict(os.environ, URNA_VOTER_SECRET=VOTER_SECRET, URNA_ADMIN_TOKEN=ADMIN_TOKEN,
                   URNA_AUDIT_KEY=AUDIT_KEY)
        r = subprocess.run([args.urna, "serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                            "--min-free-disk-mb", str(MIN_FREE_MB)],
                           capture_output=True, text=True, timeout=60, env=env)
        out = r.stdout + r.stderr
        print(f"start on a full disk: exit {r.returncode}: {out.strip()[-300:]}", flush=True)
        t.check(r.returncode > 0, f"refuses with a non-zero exit code, not a signal ({r.returncode})")
        t.check("disk full" in out and "MiB" in out, "the error names the full disk")
        t.check("listening" not in out, "it does not start listening")
        os.unlink(filler)
    finally:
        if srv is not None:
            srv.stop()
        subprocess.run(["umount", mnt], check=False)
        os.rmdir(mnt)
    t.finish()


if __name__ == "__main__":
    sys.exit(main())
