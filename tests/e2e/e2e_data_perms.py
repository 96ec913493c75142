#!/usr/bin/env python3
"""Ballot secrecy on disk: the data dir holds every (voter, option), so only urna's user may
read it. A data dir made by `urna serve` is 0700; an existing wider one (0755, as older versions
made them) is narrowed to 0700 with its files; the generated secrets file and every RocksDB
file are 0600 after a run with a vote and a restart; no secrets.tmp is left."""
import argparse
import os
import re
import stat
import subprocess
import sys
import tempfile
import time

from harness import Checks, Client, wait_for

E = "perms"


def serve(urna, data, extra=()):
    """`urna serve` with generated secrets (no URNA_* secrets in the environment)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("URNA_VOTER_SECRET", "URNA_ADMIN_TOKEN", "URNA_AUDIT_KEY")}
    proc = subprocess.Popen([urna, "serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, text=True)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if m:
            import threading
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, int(m.group(1)), "".join(lines)
        if len(lines) > 50:
            break
    proc.kill()
    raise RuntimeError("urna did not start: " + "".join(lines))


def modes(data):
    out = {}
    for name in os.listdir(data):
        st = os.lstat(os.path.join(data, name))
        if stat.S_ISREG(st.st_mode):
            out[name] = stat.S_IMODE(st.st_mode)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_data_perms")
    old = os.umask(0o022)  # a usual login umask: urna must not depend on the caller's
    parent = tempfile.mkdtemp(prefix="urna-e2e-perms-")
    try:
        # A new data dir.
        data = os.path.join(parent, "new")
        proc, port, _ = serve(args.urna, data)
        secrets = open(os.path.join(data, "secrets")).read().split("\n")
        admin = secrets[1]
        c = Client(port)
        s, b, _ = c.request("POST", "/v1/elections", {"id": E, "title": "P", "options": [
            {"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}, bearer=admin)
        t.check(s == 201, f"create election ({s} {b})")
        c.request("POST", f"/v1/elections/{E}/open", bearer=admin)
        tok = subprocess.run([args.urna, "token", "--voter", "v1", "--data-dir", data],
                             capture_output=True, text=True, check=True).stdout.strip()
        s, b, _ = c.request("POST", f"/v1/elections/{E}/votes", {"option": "a"}, bearer=tok)
        t.check(s == 202, f"a vote is accepted ({s} {b})")
        proc.terminate()
        proc.wait(timeout=30)
        proc, port, _ = serve(args.urna, data)  # a restart: new WAL, OPTIONS, LOG.old
        proc.terminate()
        proc.wait(timeout=30)
        t.check(stat.S_IMODE(os.stat(data).st_mode) == 0o700, "a new data dir is 0700")
        m = modes(data)
        t.check("secrets" in m and m["secrets"] == 0o600, f"secrets is 0600: {m.get('secrets')}")
        t.check("secrets.tmp" not in m, "no secrets.tmp is left behind")
        t.check(any(n.endswith(".log") for n in m) and "LOG" in m and "CURRENT" in m,
                f"RocksDB files are there: {sorted(m)}")
        wide = {n: oct(v) for n, v in m.items() if v & 0o077}
        t.check(not wide, f"every file in the data dir is private: {wide}")

        # An existing data dir made readable by everyone, with a readable file in it.
        os.chmod(data, 0o755)
        os.chmod(os.path.join(data, "CURRENT"), 0o644)
        os.chmod(os.path.join(data, "secrets"), 0o644)
        proc, port, out = serve(args.urna, data)
        proc.terminate()
        proc.wait(timeout=30)
        t.check(stat.S_IMODE(os.stat(data).st_mode) == 0o700, "a 0755 data dir is narrowed to 0700")
        m = modes(data)
        wide = {n: oct(v) for n, v in m.items() if v & 0o077}
        t.check(not wide, f"its readable files are narrowed to 0600: {wide}")
        t.check("narrowed to 0700" in out, "narrowing the data dir is logged")
    finally:
        os.umask(old)
        subprocess.run(["rm", "-rf", parent], check=False)
    t.finish()


if __name__ == "__main__":
    sys.exit(main())
