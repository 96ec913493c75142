#!/usr/bin/env python3
"""Where the time of the vote path goes under load, by thread group, from the kernel's own
counters (used by scripts/bench-mixed; Linux only).

  sample OUT --watch PID --group NAME=PID[,PID...] ...
      Every 0.2 s reads /proc/PID/task/*/schedstat (ns on a CPU, ns runnable but waiting for
      one, timeslices) of every process given, until --watch exits; then writes to OUT, per
      group, the deltas between the first and the last sample taken while --watch was alive.
      A group named "urna" is split by thread name: http (urna-http: network threads, they
      take the votes), log (urna-log: the vote log's appender), stream (urna-stream: the read
      side), hub (urna-hub), other (every other urna and RocksDB thread).
  trace PERF_DATA --tids OUT.tids
      Reads `perf script` of a system-wide record of irq:softirq_entry/exit,
      sched:sched_wakeup and sched:sched_switch (taken over the same window) and prints (1) per
      group, the softirq time that ran while one of its threads was current on the CPU (on
      loopback a receiver's packet processing runs in the sender's context, or in ksoftirqd
      when deferred); (2) per group, each wait for a CPU (from a wakeup, or from a preemption
      while runnable, until the thread runs again): p50/p99/max in ms and the count. OUT.tids
      (thread id -> group) is written by `sample`.
`sample` writes one line: group=run_cores/wait_cores/wait_us_per_slice.
"""
import collections
import os
import subprocess
import sys
import time

URNA_SPLIT = {"urna-http": "http", "urna-log": "log", "urna-stream": "stream", "urna-hub": "hub"}


def parse_groups(args):
    groups = {}
    for a in args:
        name, pids = a.split("=", 1)
        for p in pids.split(","):
            if p:
                groups[int(p)] = name
    return groups


def group_of(name, comm):
    if name == "urna":
        return URNA_SPLIT.get(comm, "other")
    return name


def read_tasks(pid):
    """{tid: (comm, run_ns, wait_ns, slices)} of a live process; {} once it is gone."""
    out = {}
    base = f"/proc/{pid}/task"
    try:
        tids = os.listdir(base)
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"{base}/{tid}/schedstat") as f:
                run, wait, slices = (int(x) for x in f.read().split())
            with open(f"{base}/{tid}/comm") as f:
                comm = f.read().strip()
        except (OSError, ValueError):
            continue
        out[int(tid)] = (comm, run, wait, slices)
    return out


def sample(out, watch, groups):
    first, last = {}, {}
    t_first = t_last = None
    while True:
        now = time.monotonic()
        alive = os.path.exists(f"/proc/{watch}")
        snap = {}
        for pid, name in groups.items():
            for tid, (comm, run, wait, slices) in read_tasks(pid).items():
                snap[tid] = (group_of(name, comm), run, wait, slices)
        if not alive or not os.path.exists(f"/proc/{watch}"):
            break
        if t_first is None:
            t_first = now
        for tid, v in snap.items():
            first.setdefault(tid, v if t_first == now else (v[0], 0, 0, 0))
        last.update(snap)
        t_last = now
        time.sleep(0.2)
    span = (t_last - t_first) if t_first is not None and t_last > t_first else 0
    acc = collections.defaultdict(lambda: [0, 0, 0])
    for tid, (g, run, wait, slices) in last.items():
        _, r0, w0, s0 = first.get(tid, (g, 0, 0, 0))
        a = acc[g]
        a[0] += run - r0
        a[1] += wait - w0
        a[2] += slices - s0
    fields = []
    for g in ("http", "log", "other", "stream", "hub", "wrk", "gen"):
        if g not in acc or span <= 0:
            continue
        run, wait, slices = acc[g]
        per = f"{wait / slices / 1000:.0f}" if slices > 0 else "-"
        fields.append(f"{g}={run / 1e9 / span:.2f}/{wait / 1e9 / span:.2f}/{per}")
    with open(out, "w") as f:
        f.write(" ".join(fields) + "\n")
    with open(out + ".tids", "w") as f:
        f.writelines(f"{tid} {v[0]}\n" for tid, v in last.items())


def pct(xs, f):
    return xs[min(len(xs) - 1, int(f * len(xs)))] if xs else 0.0


def trace(data, tids_file):
    """Softirq time by the group current on the CPU, and each group's waits for a CPU (from its
    wakeup, or from being preempted while runnable, until it runs), from a perf record of
    irq:softirq_entry/exit, sched:sched_wakeup and sched:sched_switch."""
    group = {}
    with open(tids_file) as f:
        for line in f:
            tid, g = line.split()
            group[int(tid)] = g
    script = subprocess.run(["perf", "script", "-i", data, "-F", "tid,cpu,time,event,trace"],
                            capture_output=True, text=True, check=True).stdout
    def gof(tid, comm=""):
        if tid in group:
            return group[tid]
        if tid == 0:
            return "idle"
        if comm.startswith("perf"):
            return "perf"  # the tracer itself: its cost is not the machine's other jobs'
        return "ksoftirqd" if comm.startswith("ksoftirqd") else "others"
    soft_open = {}  # cpu -> (t, group)
    soft = collections.defaultdict(float)
    runnable_since = {}  # tid -> t it became runnable (woken or preempted)
    waits = collections.defaultdict(list)
    spans = []  # (group, start, end) of each wait, to see what ran meanwhile
    seg = collections.defaultdict(list)  # cpu -> [(t, group now current)]
    t_min = t_max = None
    for line in script.splitlines():
        # " TID [CPU] TIME: EVENT: FIELDS"
        head, _, rest = line.partition(": ")
        parts = head.split()
        if len(parts) < 3:
            continue
        try:
            tid = int(parts[0])
            cpu = parts[1].strip("[]")
            t = float(parts[2].rstrip(":"))
        except ValueError:
            continue
        event, _, fields = rest.partition(": ")
        event = event.strip()
        t_min = t if t_min is None else t_min
        t_max = t
        if event.endswith("softirq_entry"):
            soft_open[cpu] = (t, gof(tid))
        elif event.endswith("softirq_exit"):
            if cpu in soft_open:
                t0, g = soft_open.pop(cpu)
                soft[g] += t - t0
        elif event.endswith("sched_wakeup"):
            kv = dict(x.split("=", 1) for x in fields.split() if "=" in x)
            p = int(kv.get("pid", -1))
            if p in group:
                runnable_since.setdefault(p, t)
        elif event.endswith("sched_switch"):
            left, _, right = fields.partition("==>")
            lkv = dict(x.split("=", 1) for x in left.split() if "=" in x)
            rkv = dict(x.split("=", 1) for x in right.split() if "=" in x)
            prev, nxt = int(lkv.get("prev_pid", -1)), int(rkv.get("next_pid", -1))
            if prev in group:
                if lkv.get("prev_state", "").startswith("R"):
                    runnable_since[prev] = t  # preempted: waits from now
                else:
                    runnable_since.pop(prev, None)
            if nxt in group and nxt in runnable_since:
                t0 = runnable_since.pop(nxt)
                waits[group[nxt]].append((t - t0) * 1e3)
                spans.append((group[nxt], t0, t))
            seg[cpu].append((t, gof(nxt, rkv.get("next_comm", ""))))
    span = (t_max - t_min) if t_min is not None and t_max > t_min else 0
    stats = subprocess.run(["perf", "report", "-i", data, "--stats"], capture_output=True,
                           text=True).stdout
    lost = [l.strip() for l in stats.splitlines() if "LOST" in l and not l.strip().endswith(" 0")]
    if lost:  # perf could not keep up: the waits below miss some events
        print("perf lost events: " + "; ".join(lost))
    order = ["http", "log", "other", "stream", "hub", "wrk", "gen", "ksoftirqd", "idle", "perf",
             "others"]
    print("softirq (cores, by the thread it ran on): " +
          " ".join(f"{g}={soft[g] / span:.3f}" for g in order if g in soft and span > 0))
    out = []
    for g in order:
        w = sorted(waits.get(g, []))
        if w:
            out.append(f"{g}={pct(w, 0.5):.2f}/{pct(w, 0.99):.2f}/{w[-1]:.1f}({len(w)})")
    print("waits for a CPU, ms p50/p99/max(count): " + " ".join(out))
    # What ran on the CPUs while the vote path (http + log) and wrk waited 1 ms or more: each
    # wait's time on every CPU, split by the group current there (cpu-ms; a CPU may also have
    # been in softirq, counted under whoever was current).
    import bisect
    times = {c: [x[0] for x in v] for c, v in seg.items()}
    for who, members in (("vote path", ("http", "log")), ("wrk", ("wrk",))):
        behind = collections.defaultdict(float)
        for g, a, b in spans:
            if g not in members or b - a < 1e-3:
                continue
            for c, v in seg.items():
                i = max(0, bisect.bisect_right(times[c], a) - 1)
                while i < len(v) and v[i][0] < b:
                    start = max(a, v[i][0])
                    end = min(b, v[i + 1][0] if i + 1 < len(v) else b)
                    if end > start:
                        behind[v[i][1]] += end - start
                    i += 1
        total = sum(behind.values())
        if total > 0:
            print(f"while {who} waited >= 1 ms, the CPUs ran (% of {total * 1e3:.0f} cpu-ms): " +
                  " ".join(f"{g}={100 * x / total:.0f}%" for g, x in
                           sorted(behind.items(), key=lambda kv: -kv[1])))


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("sample", "trace"):
        sys.exit(__doc__)
    mode, target = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    watch = None
    tids = None
    group_args = []
    i = 0
    while i < len(rest):
        if rest[i] == "--watch":
            watch = int(rest[i + 1]); i += 2
        elif rest[i] == "--tids":
            tids = rest[i + 1]; i += 2
        elif rest[i] == "--group":
            group_args.append(rest[i + 1]); i += 2
        else:
            sys.exit(f"unknown argument {rest[i]}")
    groups = parse_groups(group_args)
    if mode == "sample":
        if watch is None:
            sys.exit("sample needs --watch PID")
        sample(target, watch, groups)
    else:
        if tids is None:
            sys.exit("trace needs --tids FILE (written by sample)")
        trace(target, tids)


if __name__ == "__main__":
    main()
