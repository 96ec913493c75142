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
  softirq PERF_DATA --group NAME=PID[,PID...] ...
      Reads `perf script` of a system-wide record of irq:softirq_entry/exit and sums, per
      group (urna split as above) and "others", the softirq time that ran while a thread of
      that group was current on the CPU (on loopback the receiver's packet processing runs in
      the sender's context, or in ksoftirqd when it is deferred).
Both print one line: group=run_cores/wait_cores/wait_us_per_slice (sample) or
group=softirq_cores (softirq).
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


def softirq(data, groups):
    tgid_of = {}  # tid -> group, from the live processes' task lists at report time is too late:
    # perf script prints pid (tgid) and tid, so groups are matched on the tgid.
    script = subprocess.run(["perf", "script", "-i", data, "-F", "pid,tid,comm,cpu,time,event"],
                            capture_output=True, text=True, check=True).stdout
    open_at = {}  # cpu -> (t, group)
    acc = collections.defaultdict(float)
    t_min = t_max = None
    for line in script.splitlines():
        # "  COMM  PID/TID [CPU] TIME: irq:softirq_entry:"
        parts = line.split()
        if len(parts) < 5:
            continue
        try:
            slash = next(i for i, p in enumerate(parts) if "/" in p and p.split("/")[0].isdigit())
            pid, tid = (int(x) for x in parts[slash].split("/"))
            cpu = parts[slash + 1].strip("[]")
            t = float(parts[slash + 2].rstrip(":"))
            event = parts[slash + 3]
        except (StopIteration, ValueError, IndexError):
            continue
        comm = " ".join(parts[:slash])
        t_min = t if t_min is None else t_min
        t_max = t
        if "softirq_entry" in event:
            g = group_of(groups[pid], comm) if pid in groups else (
                "ksoftirqd" if comm.startswith("ksoftirqd") else
                "idle" if pid == 0 else "others")
            open_at[cpu] = (t, g)
        elif "softirq_exit" in event and cpu in open_at:
            t0, g = open_at.pop(cpu)
            acc[g] += t - t0
    span = (t_max - t_min) if t_min is not None and t_max > t_min else 0
    order = ["http", "log", "other", "stream", "hub", "wrk", "gen", "ksoftirqd", "idle", "others"]
    print(" ".join(f"{g}={acc[g] / span:.3f}" for g in order if g in acc and span > 0))


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("sample", "softirq"):
        sys.exit(__doc__)
    mode, target = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    watch = None
    group_args = []
    i = 0
    while i < len(rest):
        if rest[i] == "--watch":
            watch = int(rest[i + 1]); i += 2
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
        softirq(target, groups)


if __name__ == "__main__":
    main()
