#!/usr/bin/env python3
"""Votes/s through one `urna ingest` node into librdkafka's mock Kafka cluster, next to `urna
serve` (embedded, fsync'd log) and nginx `return 204`, measured in the same run on the same
machine: rounds alternate nginx / serve / ingest, and the summary prints medians, ratios and
the CPU each server process spent per request (from /proc: user + system time).

The mock cluster and dynalite are test servers, not Kafka and DynamoDB: the ingest figure
measures urna's own cost per vote (HTTP, token, admission under the node lease, produce with
acks=all and the delivery report), with the broker on the same 2 cores. No processors run (the
write path to the 202 does not wait for them).

Usage (scripts/bench-dist builds first): bench/dist_vote_bench.py --urna build/release/src/urna
    --kafka-mock build/release/tests/servers/kafka_mock [--rounds 3] [--seconds 8]
    [--connections 64]
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))

from dist_cluster import Cluster  # noqa: E402
from harness import VOTER_SECRET, Client, Server  # noqa: E402

NO_LIMITS = ["--no-rate-limits"]


def _stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid):
    """User + system CPU time so far, in seconds, of a process and its children (nginx's
    workers are children of its master)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _stat(entry)
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wrk(port, conns, seconds, tokens, election):
    """(requests/s, p50 ms, p99 ms, non-2xx) of one wrk run of bench/vote_load.lua."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-s", os.path.join(HERE, "vote_load.lua"),
         f"http://127.0.0.1:{port}", "--", tokens, election, "a"],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50, p99 = (int(x) / 1000 for x in re.search(r"p50_us=(\d+) p99_us=(\d+)", out).groups())
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, p50, p99, int(bad.group(1)) if bad else 0, total


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(work):
    port = free_port()
    os.makedirs(f"{work}/nginx/logs", exist_ok=True)
    with open(f"{work}/nginx/nginx.conf", "w") as f:
        f.write(f"""worker_processes auto; error_log {work}/nginx/logs/error.log;
pid {work}/nginx/nginx.pid; events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000; client_body_temp_path {work}/nginx/body;
  server {{ listen 127.0.0.1:{port}; location / {{ return 204; }} }} }}
""")
    proc = subprocess.Popen(["nginx", "-p", f"{work}/nginx", "-c", f"{work}/nginx/nginx.conf",
                             "-g", "daemon off;"])
    for _ in range(100):
        try:
            Client(port).request("GET", "/")
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    ap.add_argument("--kafka-mock", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="urna-dist-bench-")
    tokens = f"{work}/tokens"
    subprocess.run([sys.executable, os.path.join(HERE, "make_tokens.py"), "--secret",
                    VOTER_SECRET, "--count", "200000", "--out", tokens], check=True)
    nginx, nport = start_nginx(work)
    serve = Server(args.urna, f"{work}/data", rate_limits=NO_LIMITS).start()
    cluster = Cluster(args.urna, args.kafka_mock, ingest=1, processors=0,
                      rate_limits=NO_LIMITS).start()
    try:
        ingest = cluster.ingest[0]
        targets = {"nginx": (nport, nginx.pid), "serve": (serve.port, serve.proc.pid),
                   "ingest": (ingest.port, ingest.proc.pid)}
        mock_pid = cluster.kafka._p.proc.pid
        rows = {name: [] for name in targets}
        print(f"machine: {os.cpu_count()} cores; wrk -t1 -c{args.connections} "
              f"-d{args.seconds}s; {args.rounds} rounds; a fresh election per urna run")
        print(f"{'round':<6}{'server':<8}{'req/s':>10}{'p50_ms':>9}{'p99_ms':>9}{'non2xx':>8}"
              f"{'cpu_us/req':>12}{'mock_us/req':>12}")
        for r in range(1, args.rounds + 1):
            for name, (port, pid) in targets.items():
                election = f"b{r}"
                if name != "nginx":
                    Client(port).create_open(election, ["a", "b"])
                c0, m0 = cpu_seconds(pid), cpu_seconds(mock_pid)
                rps, p50, p99, bad, total = wrk(port, args.connections, args.seconds, tokens,
                                                election)
                cpu = (cpu_seconds(pid) - c0) * 1e6 / max(total, 1)
                mock = (cpu_seconds(mock_pid) - m0) * 1e6 / max(total, 1)
                rows[name].append((rps, p50, p99, cpu))
                print(f"{r:<6}{name:<8}{rps:>10.0f}{p50:>9.2f}{p99:>9.2f}{bad:>8}{cpu:>12.1f}"
                      + (f"{mock:>12.1f}" if name == "ingest" else f"{'-':>12}"))
        print("\nmedians (nginx: return 204 for the same requests; serve: durable = fsync'd; "
              "ingest: durable = acks=all on the mock cluster)")
        base = statistics.median(x[0] for x in rows["nginx"])
        for name, xs in rows.items():
            med = [statistics.median(x[i] for x in xs) for i in range(4)]
            print(f"  {name:<7}{med[0]:>9.0f} req/s  p50 {med[1]:.2f} ms  p99 {med[2]:.2f} ms  "
                  f"{med[3]:.1f} us CPU/req  ratio to nginx {med[0] / base:.2f}")
    finally:
        cluster.stop()
        serve.stop()
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
