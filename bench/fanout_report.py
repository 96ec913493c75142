#!/usr/bin/env python3
"""Aggregates fanout_load arrival files: for every broadcast (seq) received by at least 95% of
the subscribers, the time from its first arrival until 95% and 100% of subscribers had it.
Prints medians and worst cases over broadcasts on one line, twice: with the arrival times the
generator stamped when its thread parsed each message ("user", includes the generator's own
backlog), and with the times the kernel queued the bytes on its sockets ("kernel",
SO_TIMESTAMPNS; an upper bound, see bench/fanout_load.cc). The snapshot sent on connect (the
lowest seq any subscriber got) is left out of both.
Usage: fanout_report.py SUBSCRIBERS FILE..."""
import statistics
import sys
from collections import defaultdict


def summary(n, per_seq, first_seq):
    t95, t100, complete = [], [], 0
    for seq, times in sorted(per_seq.items()):
        if seq == first_seq or len(times) < 0.95 * n:
            continue  # the snapshot sent on connect, or a broadcast most never got
        times.sort()
        t0 = times[0]
        t95.append((times[int(0.95 * n) - 1] - t0) / 1000)
        if len(times) >= n:
            complete += 1
            t100.append((times[n - 1] - t0) / 1000)
    if not t95:
        return "broadcasts=0"
    return (f"broadcasts={len(t95)} complete={complete} "
            f"t95_median_ms={statistics.median(t95):.1f} t95_max_ms={max(t95):.1f} "
            f"t100_median_ms={statistics.median(t100) if t100 else float('nan'):.1f} "
            f"t100_max_ms={max(t100) if t100 else float('nan'):.1f}")


def main():
    n = int(sys.argv[1])
    user, kernel = defaultdict(list), defaultdict(list)
    for path in sys.argv[2:]:
        with open(path) as f:
            for line in f:
                w = line.split()
                user[int(w[0])].append(int(w[1]))
                if len(w) > 4 and w[4] != "0":
                    kernel[int(w[0])].append(int(w[4]))
    # The connect snapshot by the user-space arrivals: a seq with no kernel time at all would
    # otherwise make the next one look like it.
    first_seq = min(user) if user else 0
    print("user: " + summary(n, user, first_seq) + " | kernel: " + summary(n, kernel, first_seq))


if __name__ == "__main__":
    main()
