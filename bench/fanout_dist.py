#!/usr/bin/env python3
"""Many subscribers on the distributed read side (issue 10): several `urna results` sharing one
port (--reuse-port) behind a small real cluster (mock Kafka, dynalite, redis-server, 1 ingest,
1 processor publishing to Redis: tests/e2e/dist_cluster.py), the subscribers held by several
bench/fanout_load processes over several 127.0.0.x source addresses (each process may hold at
most 20,000 open files here, and so may each server; each source address gives ~28,000 ports).
Then the same subscribers on Nchan (nginx + libnginx-mod-nchan, as many workers as result
servers) for as many as it holds.

Each phase: the subscribers connect (half SSE, half WebSocket), memory is read (the servers'
RSS growth summed over their processes, divided by the subscribers held 3 s after the loaders'
first count: their latest count, for urna at least the servers' established connections), then
`--votes` votes go in one every `--interval` s, so each is one broadcast to every subscriber
(Nchan: the same number of messages of the same size). Per broadcast: the time from its first
arrival at any subscriber until 95% / 100% of every subscriber that connected by the end had
it; for urna also from the snapshot's `updated_at` (the vote's
commit; it includes the processor -> Redis -> pub/sub -> 250 ms tick path) until 95% had it.
Also from the vote's 202 (the bench's own clock) until 95% had it, and, per broadcast, the CPU
time of the result servers and of the load generators and the time they waited for a CPU
(schedstat): their CPU / cores is the least time a broadcast can take on this machine. "From
first arrival" mixes servers (each pushes when it reads the change): read the 202 and
`updated_at` figures for end to end. Failed connects are printed by reason.
Printed with the load average and each process group's CPU.

    bench/fanout_dist.py --build build/release [--subscribers 100000] [--results 7]
                         [--loaders 6] [--sources 8] [--votes 12] [--interval 2]
                         [--connect-rate 1500] [--no-nchan] [--only-nchan]
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from dist_cluster import Cluster  # noqa: E402
from harness import Client  # noqa: E402
from redis_server import free_port  # noqa: E402

E = "big"
TCK = os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TCK


def sched_s(pid):
    """(seconds on a CPU, seconds runnable but waiting for one) summed over the threads."""
    run = wait = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                r, w, _ = f.read().split()
            run += int(r)
            wait += int(w)
        except (OSError, ValueError):
            pass
    return run / 1e9, wait / 1e9


def sched_sum(pids):
    pairs = [sched_s(p) for p in pids]
    return sum(r for r, _ in pairs), sum(w for _, w in pairs)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def start_loaders(a, port, sse_path, ws_path, work, tag):
    """fanout_load processes sharing the subscribers and the source addresses; returns them
    once each has said "connected" (or after a bounded wait)."""
    per = a.subscribers // a.loaders
    # Each loader says what it holds, what failed and what is still pending once its last
    # connect has had `timeout` s (a connect that neither succeeds nor fails is reported).
    timeout = max(10, int(a.connect_wait - per / max(1, a.connect_rate) - 5))
    procs = []
    for i in range(a.loaders):
        srcs = [f"127.0.0.{2 + (i * 2 + k) % a.sources}" for k in range(2)]
        log = open(os.path.join(work, f"{tag}.{i}.log"), "w")
        procs.append((subprocess.Popen(
            [os.path.join(a.build, "bench", "fanout_load"), "--port", str(port),
             "--sse-path", sse_path, "--ws-path", ws_path, "--sse", str(per // 2),
             "--ws", str(per - per // 2), "--sources", ",".join(srcs),
             "--connect-rate", str(a.connect_rate), "--connect-timeout", str(timeout),
             "--out", os.path.join(work, f"{tag}.{i}.arr")],
            stdout=log, stderr=subprocess.STDOUT), log))
    deadline = time.monotonic() + a.connect_wait + 30
    while time.monotonic() < deadline:
        if all(connected(work, tag, i) is not None for i in range(a.loaders)):
            break
        time.sleep(0.5)
    counts = [connected(work, tag, i) or (0, 0, per) for i in range(a.loaders)]
    held, failed, pending = (sum(c[k] for c in counts) for k in range(3))
    return procs, held, failed, pending


def connected(work, tag, i):
    """(held, failed, pending) from a loader's first "connected N failed F pending P" line."""
    with open(os.path.join(work, f"{tag}.{i}.log")) as f:
        for line in f:
            if line.startswith("connected"):
                w = line.split()
                return int(w[1]), int(w[3]), int(w[5]) if len(w) > 5 else 0
    return None


def latest(work, tag, loaders):
    """{connected, failed, pending, dropped} summed over the loaders, each from its last count
    line: the first "connected ..." line, "now: connected ..." when its counts changed later
    (connects pending at the first line may finish after it), "at the end: connected ..." once
    stopped. connected counts every subscriber that ever connected, dropped ones included."""
    out = dict(connected=0, failed=0, pending=0, dropped=0)
    for i in range(loaders):
        last = {}
        with open(os.path.join(work, f"{tag}.{i}.log")) as f:
            for line in f:
                if line.startswith(("connected ", "now: connected ", "at the end: connected ")):
                    w = line.split(":")[-1].split()
                    last = {w[k]: int(w[k + 1]) for k in range(0, len(w) - 1, 2)}
        for k in out:
            out[k] += last.get(k, 0)
    return out


def fail_reasons(work, tag, loaders, kind="failed"):
    """The load processes' "<kind> N: <stage>: <error>" lines (kind: failed, pending, or
    dropped, the last printed when they stop), summed over processes."""
    out = defaultdict(int)
    for i in range(loaders):
        with open(os.path.join(work, f"{tag}.{i}.log")) as f:
            for line in f:
                if line.startswith(kind + " ") and ":" in line:
                    n, why = line[len(kind) + 1:].split(":", 1)
                    out[why.strip()] += int(n)
    return dict(out)


def held_at_end(work, tag, loaders, held):
    """The subscribers a broadcast should reach, for its 95% / 100%: every subscriber that
    connected by the end (the loaders' "at the end" lines; one that connected late or was
    dropped and missed a broadcast counts against it), at least `held`."""
    end = latest(work, tag, loaders)
    if end["connected"] > held:
        print(f"{tag}: {end['connected'] - held} more subscribers connected after the memory "
              f"reading (at the end: {end}); the delivery figures count all "
              f"{end['connected']}", flush=True)
    return max(held, end["connected"])


def stop_loaders(procs):
    for p, _ in procs:
        p.send_signal(signal.SIGTERM)
    for p, log in procs:
        try:
            p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def report(held, files, with_updated_at, sent=(), kernel=False):
    """Per broadcast (seq): from its first arrival at any subscriber to 95% / 100% of them.
    Several result servers each push on their own (each reads Redis and pushes when it sees the
    change), so "first arrival" is the earliest server's push and the spread after it includes
    the other servers' lag behind it: read it as "the slowest server's delay + its fan-out".
    The honest end-to-end figures are from the vote's 202 (`sent`: the bench's own wall-clock
    times, same machine) and from the snapshot's `updated_at` (the processor's commit) to 95%.
    kernel: arrival = when the kernel queued the bytes on the generator's socket
    (SO_TIMESTAMPNS), not when the generator's single thread got to them."""
    per = defaultdict(list)
    first = None  # the snapshot sent on connect: the lowest seq, by every arrival (user space)
    for path in files:
        with open(path) as f:
            for line in f:
                w = line.split()
                seq, us, upd = int(w[0]), int(w[1]), int(w[2])
                first = seq if first is None else min(first, seq)
                if kernel:
                    if len(w) < 5 or w[4] == "0":
                        continue  # no kernel timestamp: counted as not arrived
                    us = int(w[4])
                per[seq].append((us, upd))
    n95 = int(0.95 * held)
    t95, t100, age95, ok, total = [], [], [], 0, 0
    from202, first202 = [], []
    for seq, arr in sorted(per.items()):
        if seq == first:
            continue  # the snapshot sent on connect
        total += 1
        arr.sort()
        if len(arr) < n95 or n95 == 0:
            continue
        t0 = arr[0][0]
        t95.append((arr[n95 - 1][0] - t0) / 1000)
        if len(arr) >= held:
            t100.append((arr[held - 1][0] - t0) / 1000)
        if with_updated_at and arr[n95 - 1][1]:
            age = arr[n95 - 1][0] / 1000 - arr[n95 - 1][1]
            age95.append(age)
        ok += t95[-1] <= 500
        # The vote behind this broadcast: the last one sent before its first arrival.
        before = [t for t in sent if t * 1e6 <= t0]
        if before:
            from202.append((arr[n95 - 1][0] - before[-1] * 1e6) / 1000)
            first202.append((t0 - before[-1] * 1e6) / 1000)
    out = {"broadcasts": total, "reached95": len(t95), "within500_first": ok}
    if t95:
        out["t95_first_ms"] = (statistics.median(t95), max(t95))
    if t100:
        out["t100_first_ms"] = (statistics.median(t100), max(t100), len(t100))
    if age95:
        out["t95_updated_ms"] = (statistics.median(age95), max(age95),
                                 sum(1 for x in age95 if x <= 500))
    if from202:
        out["t95_from_202_ms"] = (statistics.median(from202), max(from202),
                                  sum(1 for x in from202 if x <= 500))
        out["first_arrival_from_202_ms"] = (statistics.median(first202), max(first202))
    return out


def run_urna(a, work):
    urna = os.path.join(a.build, "src", "urna")
    mock = os.path.join(a.build, "tests", "servers", "kafka_mock")
    limits = ["--max-connections", "19800", "--max-viewers", "19700"] + a.results_arg
    with Cluster(urna, mock, ingest=1, processors=1, partitions=2, results=a.results,
                 results_args=limits, log_dir=work) as c:
        ingest = c.ingest[0].client()
        ingest.create_open(E, ["a", "b", "c"])
        # Each result server learns of the new election at its own catalog refresh (every
        # 250 ms, later under load) and answers 404 until then. SO_REUSEPORT picks the server
        # by the connection's source port, so only a run of answers on new connections shows
        # that all of them know it: 40 in a row miss one of 7 servers with probability ~0.2%.
        deadline, in_a_row = time.monotonic() + 60, 0
        while time.monotonic() < deadline and in_a_row < 40:
            try:
                ok = Client(c.results_port).request("GET", f"/v1/elections/{E}/results")[0] == 200
            except OSError:
                ok = False
            in_a_row = in_a_row + 1 if ok else 0
            if not ok:
                time.sleep(0.2)
        pids = [r.proc.pid for r in c.results]
        rss0 = {p: rss_kib(p) for p in pids}
        t_conn = time.monotonic()
        procs, held, failed, pending = start_loaders(
            a, c.results_port, f"/v1/elections/{E}/results/stream",
            f"/v1/elections/{E}/results/ws", work, "urna")
        t_conn = time.monotonic() - t_conn
        time.sleep(3)
        rss1 = {p: rss_kib(p) for p in pids}
        per_server = [r.connections() for r in c.results]
        grow = sum(rss1[p] - rss0[p] for p in pids)
        # Connects still pending at the loaders' first line may have finished since: count what
        # the loaders hold now, or what the servers hold if more (their accepted connections).
        now = latest(work, "urna", a.loaders)
        first_held = held
        held = max(held, now["connected"] - now["dropped"], sum(per_server))
        kib = grow / max(1, held)
        print(f"urna: {a.results} result servers on one port; held {first_held} failed {failed} "
              f"pending {pending} in {t_conn:.0f} s {fail_reasons(work, 'urna', a.loaders)} "
              f"pending {fail_reasons(work, 'urna', a.loaders, 'pending')}; 3 s later: loaders "
              f"{now}, counted as held {held}; "
              f"servers' open connections {sum(per_server)}: {per_server}; "
              f"RSS growth {grow / 1024:.0f} MiB = "
              f"{kib:.2f} KiB/subscriber; load {loadavg()}", flush=True)
        cpu0 = {p: cpu_s(p) for p in pids}
        gen0 = sum(cpu_s(p.pid) for p, _ in procs)
        sch0 = sched_sum(pids), sched_sum([p.pid for p, _ in procs])
        t0 = time.monotonic()
        sent = []  # wall-clock time of each vote's 202
        for i in range(a.votes):
            s = Client(c.ingest[0].port).vote(E, f"big-{i}", "abc"[i % 3])[0]
            if s != 202:
                print(f"vote {i}: {s}", flush=True)
            else:
                sent.append(time.time())
            time.sleep(a.interval)
        time.sleep(2)
        dt = time.monotonic() - t0
        srv = sum(cpu_s(p) - cpu0[p] for p in pids) / dt
        gen = (sum(cpu_s(p.pid) for p, _ in procs) - gen0) / dt
        sch1 = sched_sum(pids), sched_sum([p.pid for p, _ in procs])
        la = loadavg()
        stop_loaders(procs)
        # What a broadcast costs, whole: CPU seconds per broadcast of the result servers and of
        # the load generators (same machine), and the time they spent runnable but waiting for
        # a CPU. (server + generator CPU) / cores is the least time a broadcast can take here,
        # whatever the code's latency: the averages over the run hide that it comes in bursts.
        nb = max(1, len(sent))
        srv_run, srv_wait = ((sch1[0][k] - sch0[0][k]) / nb for k in (0, 1))
        gen_run, gen_wait = ((sch1[1][k] - sch0[1][k]) / nb for k in (0, 1))
        print(f"urna: per broadcast: result servers {srv_run * 1000:.0f} ms CPU "
              f"({srv_run / max(1, held) * 1e6:.1f} us per subscriber) + {srv_wait * 1000:.0f} ms "
              f"waiting for a CPU; load generators {gen_run * 1000:.0f} ms CPU + "
              f"{gen_wait * 1000:.0f} ms waiting; CPU-bound floor on {os.cpu_count()} cores: "
              f"{(srv_run + gen_run) / os.cpu_count() * 1000:.0f} ms", flush=True)
        files = [os.path.join(work, f"urna.{i}.arr") for i in range(a.loaders)]
        held = held_at_end(work, "urna", a.loaders, held)
        r = report(held, files, True, sent)
        print(f"urna: {r}; result servers {srv:.2f} cores, load generators {gen:.2f} cores; "
              f"load {la}", flush=True)
        print(f"urna, kernel arrival times: {report(held, files, True, sent, kernel=True)}",
              flush=True)
        print(f"urna: subscribers lost after connecting: "
              f"{fail_reasons(work, 'urna', a.loaders, 'dropped')}", flush=True)
        return held, kib


def run_nchan(a, work, size):
    port = free_port()
    nd = os.path.join(work, "nginx")
    os.makedirs(os.path.join(nd, "logs"), exist_ok=True)
    workers = a.results
    with open(os.path.join(nd, "nginx.conf"), "w") as f:
        f.write(f"""load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
worker_processes {workers};
worker_rlimit_nofile 20000;
error_log {nd}/logs/error.log;
pid {nd}/nginx.pid;
events {{ worker_connections 20000; }}
http {{
  access_log off;
  client_body_temp_path {nd}/body;
  nchan_shared_memory_size 256M;
  server {{
    listen 127.0.0.1:{port} backlog=4096 reuseport;
    location = /pub {{ nchan_publisher; nchan_channel_id fan; nchan_message_buffer_length 1; }}
    location = /sub {{ nchan_subscriber; nchan_channel_id fan; }}
  }}
}}
""")
    ng = subprocess.Popen(["nginx", "-p", nd, "-c", os.path.join(nd, "nginx.conf"), "-g",
                           "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        time.sleep(1)
        out = subprocess.run(["pgrep", "-P", str(ng.pid)], capture_output=True, text=True).stdout
        pids = [int(x) for x in out.split()]
        rss0 = {p: rss_kib(p) for p in pids}
        procs, held, failed, pending = start_loaders(a, port, "/sub", "/sub", work, "nchan")
        time.sleep(3)
        grow = sum(rss_kib(p) - rss0[p] for p in pids)
        now = latest(work, "nchan", a.loaders)
        first_held = held
        held = max(held, now["connected"] - now["dropped"])
        print(f"nchan: {workers} workers; held {first_held} failed {failed} pending {pending} "
              f"{fail_reasons(work, 'nchan', a.loaders)} "
              f"pending {fail_reasons(work, 'nchan', a.loaders, 'pending')}; 3 s later: loaders "
              f"{now}, counted as held {held}; RSS growth "
              f"{grow / 1024:.0f} MiB = {grow / max(1, held):.2f} KiB/subscriber (workers' RSS; "
              f"the shared memory zone is counted in each worker that touched it); load "
              f"{loadavg()}", flush=True)
        import http.client
        import json
        c = http.client.HTTPConnection("127.0.0.1", port)
        cpu0 = {p: cpu_s(p) for p in pids}
        t0 = time.monotonic()
        for seq in range(2, 2 + a.votes):
            body = json.dumps({"seq": seq, "pad": ""})
            body = json.dumps({"seq": seq, "pad": "x" * max(0, size - len(body))})
            c.request("POST", "/pub", body=body, headers={"Content-Type": "application/json"})
            c.getresponse().read()
            time.sleep(a.interval)
        time.sleep(2)
        srv = sum(cpu_s(p) - cpu0[p] for p in pids) / (time.monotonic() - t0)
        la = loadavg()
        stop_loaders(procs)
        files = [os.path.join(work, f"nchan.{i}.arr") for i in range(a.loaders)]
        held = held_at_end(work, "nchan", a.loaders, held)
        r = report(held, files, False)
        print(f"nchan: {r}; workers {srv:.2f} cores; load {la}", flush=True)
        print(f"nchan, kernel arrival times: {report(held, files, False, kernel=True)}",
              flush=True)
    finally:
        ng.terminate()
        ng.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--subscribers", type=int, default=100000)
    ap.add_argument("--results", type=int, default=7, help="urna results processes on one port")
    ap.add_argument("--loaders", type=int, default=6, help="fanout_load processes")
    ap.add_argument("--sources", type=int, default=8, help="127.0.0.2 .. source addresses")
    ap.add_argument("--votes", type=int, default=12, help="broadcasts")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between broadcasts")
    ap.add_argument("--connect-rate", type=int, default=1500,
                    help="new connections a second per load process")
    ap.add_argument("--connect-wait", type=float, default=300,
                    help="seconds to wait for the subscribers to connect")
    ap.add_argument("--results-arg", action="append", default=[],
                    help="one more argument for each `urna results` (repeat: --results-arg=--x)")
    ap.add_argument("--no-nchan", action="store_true")
    ap.add_argument("--only-nchan", action="store_true")
    ap.add_argument("--message-bytes", type=int, default=230, help="Nchan's message size")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="urna-fanout-dist-")
    print(f"{a.subscribers} subscribers (half SSE, half WebSocket), {a.loaders} load processes "
          f"over {a.sources} source addresses, {a.votes} broadcasts every {a.interval} s; "
          f"{os.cpu_count()} cores; load {loadavg()}; work dir {work}", flush=True)
    if not a.only_nchan:
        run_urna(a, work)
    if not a.no_nchan:
        run_nchan(a, work, a.message_bytes)


if __name__ == "__main__":
    main()
