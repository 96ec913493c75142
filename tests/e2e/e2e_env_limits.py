#!/usr/bin/env python3
"""URNA_MAX_CONNECTIONS, the environment form of --max-connections: a value that is not a count
in range (text, negative, beyond 2^30) stops `urna serve` at once with an error naming the
option and the value, before anything is created; a good value is logged, reported in /metrics
and enforced (the connection over the cap gets 503); the flag wins over the variable."""
import argparse
import os
import re
import socket
import subprocess

from harness import (ADMIN_TOKEN, AUDIT_KEY, VOTER_SECRET, Checks, Server, TempDataDir,
                     wait_for)
from storage_faults import metric


def serve_with_env(urna, data_dir, value, extra=()):
    env = dict(os.environ, URNA_VOTER_SECRET=VOTER_SECRET, URNA_ADMIN_TOKEN=ADMIN_TOKEN,
               URNA_AUDIT_KEY=AUDIT_KEY, URNA_MAX_CONNECTIONS=value)
    return subprocess.run([urna, "serve", "--data-dir", data_dir, "--listen", "127.0.0.1:0",
                           *extra], env=env, capture_output=True, text=True, timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_env_limits")
    with TempDataDir() as d:
        for bad in ("abc", "-5", "12x", "99999999999999999999999", str(2**30 + 1)):
            data_dir = os.path.join(d, "never-created")
            try:
                r = serve_with_env(args.urna, data_dir, bad)
            except subprocess.TimeoutExpired:
                t.check(False, f"URNA_MAX_CONNECTIONS={bad!r}: the server started instead of failing")
                continue
            out = r.stdout + r.stderr
            t.check(r.returncode not in (0, None), f"URNA_MAX_CONNECTIONS={bad!r} exits non-zero: "
                                                   f"{r.returncode}")
            t.check("--max-connections" in out and bad in out,
                    f"URNA_MAX_CONNECTIONS={bad!r}: the error names the option and the value: "
                    f"{out.strip()[:200]!r}")
            t.check("listening" not in out and not os.path.exists(data_dir),
                    f"URNA_MAX_CONNECTIONS={bad!r}: nothing started, no data dir created")

        os.environ["URNA_MAX_CONNECTIONS"] = "12"  # the harness passes its environment on
        try:
            srv = Server(args.urna, os.path.join(d, "good")).start()
        finally:
            del os.environ["URNA_MAX_CONNECTIONS"]
        try:
            logged = wait_for(lambda: next((l for l in srv.last_lines
                                            if "connections: at most" in l), None),
                              timeout=30, what="the connection cap to be logged")
            t.check(re.search(r"at most 12 open", logged) is not None,
                    f"the cap from URNA_MAX_CONNECTIONS is logged: {logged.strip()}")
            c = srv.client()
            t.check(metric(c, "urna_http_connections_max") == 12, "/metrics reports the cap")
            # Enforced: with `c`, 12 connections answered; the 13th refused with 503.
            held = []
            for _ in range(11):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                t.check(s.recv(4096).startswith(b"HTTP/1.1 200 "), "a connection under the cap")
                held.append(s)
            over = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
            got = over.recv(4096)
            t.check(got.startswith(b"HTTP/1.1 503 "), f"the connection over the cap gets 503: "
                                                      f"{got[:40]!r}")
            for s in held + [over]:
                s.close()
            c.conn.close()
        finally:
            t.check(srv.stop() == 0, "SIGTERM exits 0")

        # The flag wins over the environment variable.
        os.environ["URNA_MAX_CONNECTIONS"] = "12"
        try:
            srv = Server(args.urna, os.path.join(d, "flag"), ["--max-connections", "40"]).start()
        finally:
            del os.environ["URNA_MAX_CONNECTIONS"]
        try:
            t.check(metric(srv.client(), "urna_http_connections_max") == 40,
                    "--max-connections overrides URNA_MAX_CONNECTIONS")
        finally:
            t.check(srv.stop() == 0, "SIGTERM exits 0")
    t.finish()


if __name__ == "__main__":
    main()
