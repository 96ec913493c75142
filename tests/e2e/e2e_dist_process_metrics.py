#!/usr/bin/env python3
"""`urna process --metrics-listen` (issue 12 residual: the processor had no /metrics). Mock
Kafka + dynalite + redis-server + 1 `urna ingest` + 2 `urna process --redis --metrics-listen
127.0.0.1:0`:
- each processor's /metrics passes `promtool check metrics` (HELP and TYPE on every family);
- the two processors' urna_processor_partitions add up to the topic's partitions, and each
  partition's lag series (urna_processor_lag_entries{partition}) is on exactly one of them;
- the votes counted add up, across the two, to the votes cast (each voter once), and the lag in
  entries falls to 0 on every partition once they are counted;
- the Redis publisher's series say it is connected and applied updates;
- requests are counted by route (urna_http_requests_total{route="/metrics"});
- /healthz says role process, the node and the partitions it holds;
- one processor stopped (SIGTERM: it leaves the group), the other's /metrics shows every
  partition;
- a metrics port already taken exits 1 before joining the consumer group;
- a bad --metrics-listen exits 2 naming the flag."""
import re
import shutil
import subprocess

from dist_cluster import cluster_from_args
from dist_votes import check_clean_stop
from harness import Checks, Client, wait_for
from prom_text import parse, value

E = "proc-metrics"
VOTERS = 60
PARTITIONS = 12


def by_partition(samples, name):
    return {int(dict(k[1])["partition"]): v for k, v in samples.items() if k[0] == name}


def metrics_port(role):
    m = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", role.output())
    return int(m.group(1)) if m else None


def scrape(port):
    s, body, _ = Client(port).request("GET", "/metrics")
    assert s == 200, (s, body)
    return body.decode() if isinstance(body, (bytes, bytearray)) else str(body)


def main():
    c = cluster_from_args(ingest=1, processors=2, partitions=PARTITIONS, redis=True,
                          process_args=["--metrics-listen", "127.0.0.1:0"])
    t = Checks("e2e_dist_process_metrics")
    promtool = shutil.which("promtool")
    t.check(promtool is not None, "promtool is installed (scripts/bootstrap: prometheus)")
    with c:
        ports = [metrics_port(p) for p in c.processors]
        t.check(all(ports), f"each processor's start line names its /metrics URL: {ports}")
        cl = c.ingest[0].client()
        cl.create_open(E, ["a", "b"])
        for i in range(VOTERS):
            s, b, _ = cl.vote(E, f"voter-{i:03d}", "a" if i % 3 else "b")
            t.check(s == 202, f"vote {i} taken: {s} {b}")
        c.wait_caught_up()

        def settled():
            pages = [parse(scrape(p)) for p in ports]
            counted = sum(value(m, "urna_votes_counted_total") or 0 for m in pages)
            lags = [by_partition(m, "urna_processor_lag_entries") for m in pages]
            lagging = {p: v for lag in lags for p, v in lag.items() if v != 0}
            applied = all((value(m, "urna_redis_updates_applied_total") or 0) > 0 for m in pages
                          if (value(m, "urna_processor_partitions") or 0) > 0)
            return pages if counted == VOTERS and not lagging and applied else None
        pages = wait_for(settled, timeout=30, what="the processors' /metrics to show every vote")
        for i, port in enumerate(ports):
            text = scrape(port)
            if promtool:
                r = subprocess.run([promtool, "check", "metrics"], input=text,
                                   capture_output=True, text=True, timeout=60)
                t.check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
                        f"promtool check metrics passes on processor {i + 1}: "
                        f"{r.stdout} {r.stderr}")
        owned = [value(m, "urna_processor_partitions") for m in pages]
        t.check(sum(owned) == PARTITIONS and all(n > 0 for n in owned),
                f"the partitions are shared between the two processors: {owned}")
        lag_parts = [set(by_partition(m, "urna_processor_lag_entries")) for m in pages]
        t.check(lag_parts[0].isdisjoint(lag_parts[1]) and
                lag_parts[0] | lag_parts[1] == set(range(PARTITIONS)),
                f"each partition's lag is reported by exactly one processor: {lag_parts}")
        nexts = [by_partition(m, "urna_processor_next_offset") for m in pages]
        ends = c.end_offsets()
        t.check({p: n for d in nexts for p, n in d.items()} == {p: float(e) for p, e in
                                                                  ends.items()},
                f"next offsets per partition are Kafka's end offsets once counted: "
                f"{nexts} {ends}")
        t.check(all(value(m, "urna_redis_connected") == 1 for m in pages),
                "the Redis publisher is connected")
        t.check(all(value(m, "urna_processor_lag_seconds") is not None for m in pages),
                "the lag in seconds is there")
        m = parse(scrape(ports[0]))
        t.check((value(m, "urna_http_requests_total", route="/metrics", method="GET",
                       code="200") or 0) >= 1, "scrapes are counted by route")
        s, body, _ = Client(ports[0]).request("GET", "/healthz")
        t.check(s == 200 and body.get("status") == "ok" and body.get("role") == "process" and
                body.get("node") == "processor-1" and
                len(body.get("partitions", [])) == owned[0],
                f"/healthz of a processor: {s} {body}")
        s, _, _ = Client(ports[0]).request("GET", "/v1/elections")
        t.check(s == 404, f"the processor serves no API: {s}")
        # One processor leaves the group: the other takes every partition, and says so.
        t.check(c.processors[1].stop() == 0, "processor 2 stops on SIGTERM with exit 0")
        wait_for(lambda: value(parse(scrape(ports[0])), "urna_processor_partitions") ==
                 PARTITIONS, timeout=40, what="processor 1 to hold every partition")
        # A partition's end is known once the processor has fetched from it (its first fetch
        # after the assignment).
        try:
            wait_for(lambda: by_partition(parse(scrape(ports[0])), "urna_processor_lag_entries")
                     == {p: 0.0 for p in range(PARTITIONS)}, timeout=30,
                     what="processor 1 to report the lag of every partition")
            took_over = True
        except AssertionError:
            took_over = False
        t.check(took_over, "processor 1 reports every partition's lag (0) now: "
                f"{by_partition(parse(scrape(ports[0])), 'urna_processor_lag_entries')}")
        # A metrics port already taken: exit 1 naming it, before joining the consumer group
        # (no partition was assigned to it nor taken from processor 1).
        p = subprocess.run([c.urna, "process", "--node-id", "processor-taken", "--metrics-listen",
                            f"127.0.0.1:{ports[0]}"], env=c.env(), capture_output=True,
                           text=True, timeout=30)
        t.check(p.returncode == 1 and f"127.0.0.1:{ports[0]}" in p.stderr and
                "assigned" not in p.stderr and "revoked" not in p.stderr,
                f"a taken metrics port exits 1 without joining: {p.returncode} {p.stderr}")
        t.check(value(parse(scrape(ports[0])), "urna_processor_partitions") == PARTITIONS,
                "processor 1 still holds every partition")
        # A bad --metrics-listen is a configuration error: exit 2 naming the flag.
        p = subprocess.run([c.urna, "process", "--metrics-listen", "nowhere"], env=c.env(),
                           capture_output=True, text=True, timeout=30)
        t.check(p.returncode == 2 and "--metrics-listen" in p.stderr,
                f"a bad --metrics-listen exits 2 naming it: {p.returncode} {p.stderr}")
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
