#!/usr/bin/env python3
"""Online backup and restore (issue 12.11), with the real binary:
- `urna backup --to NAME` against a running `urna serve --backup-dir ROOT` while votes keep
  coming (a load thread): the backup holds every vote acknowledged before the backup began, and
  none acknowledged after it ended;
- the safety rules: no admin token -> 401; backups off without --backup-dir; a name that exists,
  escapes the root ('..', another directory), starts with '.' or ends in '.tmp' is refused and
  nothing is made; NAME is refused while NAME.tmp exists (RocksDB's staging name), which stays;
- one backup at a time: two concurrent backups with the same name give exactly one 201 (the
  other a 409), and the backup that said 201 is whole: a server starts on a copy of it;
- restore as docs/operations.md says (copy the backup to a new data dir, start urna serve on it):
  the restored server counts every vote in the backup's log, and after close the recount agrees
  (final) with the same total; the original server is untouched and keeps counting."""
import argparse
import os
import shutil
import subprocess
import threading
import time

from harness import (ADMIN_TOKEN, AUDIT_KEY, VOTER_SECRET, Checks, Client, Server, TempDataDir,
                     token, wait_for)


class Load:
    """Votes from new voters, one after another on one connection, until stopped; `acked`
    counts the 202s, each recorded with the time it came back."""

    def __init__(self, port):
        self.client, self.stop_flag = Client(port), threading.Event()
        self.acked_at, self.errors = [], []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        i = 0
        while not self.stop_flag.is_set() and i < 200000:
            s, b, _ = self.client.request("POST", "/v1/elections/e1/votes",
                                          {"option": "ab"[i % 2]}, bearer=token(f"v{i}"))
            if s == 202:
                self.acked_at.append(time.monotonic())
            else:
                self.errors.append((s, b))
            i += 1

    def stop(self):
        self.stop_flag.set()
        self.thread.join(timeout=60)


def backup(urna, port, to, admin=ADMIN_TOKEN):
    env = {k: v for k, v in os.environ.items() if not k.startswith("URNA_")}
    if admin:
        env["URNA_ADMIN_TOKEN"] = admin
    return subprocess.run([urna, "backup", "--url", f"http://127.0.0.1:{port}", "--to", to],
                          capture_output=True, text=True, env=env, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_backup")
    with TempDataDir() as d:
        data, root = os.path.join(d, "data"), os.path.join(d, "backups")
        os.mkdir(root)
        # Backups are off unless --backup-dir names where they go.
        srv = Server(args.urna, data).start()
        try:
            r = backup(args.urna, srv.port, "b0")
            t.check(r.returncode == 1 and "--backup-dir" in r.stderr,
                    f"backups are off without --backup-dir: {r.returncode} {r.stderr!r}")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")

        srv = Server(args.urna, data, ["--backup-dir", root]).start()
        try:
            c = srv.client()
            c.create_open("e1", ["a", "b"])
            r = backup(args.urna, srv.port, "b1", admin="wrong")
            t.check(r.returncode == 1 and "403" in r.stderr,
                    f"a wrong admin token is refused: {r.returncode} {r.stderr!r}")
            s, _, resp = c.request("POST", "/v1/admin/backup", {"to": "b1"})
            t.check(s == 401, f"no admin token: 401 ({s})")
            for bad in ("../escape", "/tmp/elsewhere", ".hidden", "a/b", "", "b2.tmp"):
                s, b, _ = c.admin("POST", "/v1/admin/backup", {"to": bad})
                t.check(s == 400, f"backup name {bad!r} refused with 400: {s} {b}")
            s, b, _ = c.admin("POST", "/v1/admin/backup", {"to": "x", "extra": 1})
            t.check(s == 400 and "extra" in str(b), f"an unknown field is refused: {s} {b}")
            t.check(os.listdir(root) == [] and not os.path.exists(os.path.join(d, "escape")),
                    f"refused backups made nothing: {os.listdir(root)}")

            load = Load(srv.port)
            load.thread.start()
            wait_for(lambda: len(load.acked_at) >= 300, what="votes under load")
            began = time.monotonic()
            r = backup(args.urna, srv.port, "b1")
            ended = time.monotonic()
            wait_for(lambda: len(load.acked_at) >= len([a for a in load.acked_at
                                                        if a <= ended]) + 100,
                     what="more votes after the backup")
            load.stop()
            t.check(not load.errors, f"every vote under load was accepted: {load.errors[:3]}")
            t.check(r.returncode == 0 and os.path.join(root, "b1") in r.stdout,
                    f"urna backup under load: {r.returncode} {r.stdout!r} {r.stderr!r}")
            acked_before = len([a for a in load.acked_at if a < began])
            acked_by_end = len([a for a in load.acked_at if a <= ended])
            r = backup(args.urna, srv.port, "b1")
            t.check(r.returncode == 1 and "exists" in r.stderr,
                    f"a backup never overwrites: {r.returncode} {r.stderr!r}")
            b1 = os.path.join(root, "b1")
            t.check(oct(os.stat(b1).st_mode & 0o777) == "0o700",
                    "the backup dir is private (0700)")
            total = len(load.acked_at)
            wait_for(lambda: c.results("e1")["total"] == total, what="the original to count all")

            # NAME.tmp is where RocksDB stages a backup NAME: an existing one is never touched.
            os.mkdir(os.path.join(root, "b3.tmp"))
            keep = os.path.join(root, "b3.tmp", "keep")
            with open(keep, "w") as f:
                f.write("an operator's file")
            s, b, _ = c.admin("POST", "/v1/admin/backup", {"to": "b3"})
            t.check(s == 409 and "b3.tmp" in str(b), f"b3 refused while b3.tmp exists: {s} {b}")
            t.check(os.path.exists(keep) and not os.path.exists(os.path.join(root, "b3")),
                    "b3.tmp and its file are left as they were, and no b3 is made")

            # Concurrent backups with the same name: one is made, whole; the other refused.
            for k in range(3):
                name, answers = f"c{k}", []
                clients = [Client(srv.port) for _ in range(2)]
                gate = threading.Barrier(2)

                def post(cl):
                    gate.wait(timeout=30)
                    answers.append(cl.admin("POST", "/v1/admin/backup", {"to": name})[:2])
                threads = [threading.Thread(target=post, args=(cl,)) for cl in clients]
                for th in threads:
                    th.start()
                for th in threads:
                    th.join(timeout=120)
                made = [b for s, b in answers if s == 201]
                refused = [b for s, b in answers if s == 409]
                t.check(len(made) == 1 and len(refused) == 1 and
                        refused[0]["error"]["code"] in ("backup_in_progress", "conflict"),
                        f"two concurrent backups named {name}: one 201, one 409: {answers}")
                path = os.path.join(root, name)
                t.check(made and made[0]["path"] == path and
                        os.path.exists(os.path.join(path, "CURRENT")),
                        f"the backup that said 201 is there: {made}")
                if os.path.exists(os.path.join(path, "CURRENT")):
                    copy = os.path.join(d, f"copy-{name}")
                    shutil.copytree(path, copy)
                    other = Server(args.urna, copy).start()
                    try:
                        oc = other.client()
                        wait_for(lambda: oc.results("e1")["total"] == total,
                                 what=f"a server on a copy of {name} to count the {total} votes")
                    finally:
                        t.check(other.stop() == 0, f"the server on a copy of {name} stops")
            t.check(not [n for n in os.listdir(root) if n.startswith(".")],
                    f"no staging directory is left in the backup dir: {os.listdir(root)}")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0 (under --backup-dir)")

        # Restore: copy the backup to a new data dir and start on it.
        restored = os.path.join(d, "restored")
        shutil.copytree(b1, restored)
        srv = Server(args.urna, restored).start()
        try:
            c = srv.client()
            # The processor resumes from the backup's offsets and counts what its log holds.
            def settled():
                s, b, _ = c.admin("GET", "/metrics")
                text = b.decode() if isinstance(b, bytes) else str(b)
                lags = [l for l in text.splitlines() if l.startswith("urna_processor_lag_entries{")]
                return lags and all(l.endswith(" 0") for l in lags)
            wait_for(settled, what="the restored server to count its log")
            restored_total = c.results("e1")["total"]
            t.check(acked_before <= restored_total <= acked_by_end,
                    f"the backup holds every vote acknowledged before it began and none after it "
                    f"ended: {acked_before} <= {restored_total} <= {acked_by_end}")
            s, b, _ = c.admin("POST", "/v1/elections/e1/close")
            t.check(s == 200, f"close on the restored server: {s} {b}")
            job = c.recount("e1")
            res = c.results("e1")
            rep = job.get("report") or {}
            t.check(job.get("state") == "done" and rep.get("agree") and rep.get("final"),
                    f"recount on the restored server: live, ledger and replay agree: {job}")
            t.check(res["final"] and res["total"] == restored_total,
                    f"the final result is the backup's total: {res} vs {restored_total}")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0 (restored)")
    t.finish()


if __name__ == "__main__":
    main()
