#!/usr/bin/env python3
"""/metrics as Prometheus expects it (issue 12.10), on `urna serve`:
- `promtool check metrics` (Debian `prometheus`) finds no problem: HELP and TYPE on every family,
  counters named *_total, histograms well formed;
- HTTP requests are counted by route PATTERN (never the path: no election id in a route label),
  method and status, with a latency histogram whose count matches;
- viewers are counted by protocol (an SSE and a WebSocket stream held open), and a vote while
  they watch is a broadcast the server measures: both viewers written
  (urna_broadcast_viewers_total), its duration and its time to reach 95% of them;
- processor lag is given in log entries per partition and falls to 0 once the votes are counted;
- per-election counts: the votes counted in each live election, except in one that hides its
  turnout until final (results_visibility hidden_until_closed): /metrics needs no token, so it
  must not publish what the results page withholds;
- docs/grafana-dashboard.json queries only metric families /metrics has."""
import argparse
import base64
import os
import re
import shutil
import socket
import subprocess

from harness import Checks, Server, TempDataDir, token, wait_for
from prom_text import parse, value


def open_stream(port, path, websocket=False):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if websocket:
        key = base64.b64encode(os.urandom(16)).decode()
        head += ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 f"Sec-WebSocket-Key: {key}\r\n")
    s.sendall((head + "\r\n").encode())
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return s, got.split(b"\r\n", 1)[0].decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_metrics")
    promtool = shutil.which("promtool")
    t.check(promtool is not None, "promtool is installed (scripts/bootstrap: prometheus)")
    with TempDataDir() as d:
        srv = Server(args.urna, d, ["--partitions", "4"]).start()
        try:
            c = srv.client()
            c.create_open("e1", ["a", "b"])
            c.create_open("e2", ["a", "b"])
            # Hidden results: the turnout is hidden too (the default), or shown ("public").
            for e, turnout in (("hid", "hidden"), ("hidpub", "public")):
                s, b, _ = c.admin("POST", "/v1/elections", {
                    "id": e, "title": e, "options": [{"id": "a", "label": "A"}],
                    "results_visibility": "hidden_until_closed", "turnout_visibility": turnout})
                t.check(s == 201, f"create {e} (hidden results, {turnout} turnout): {s} {b}")
                s, b, _ = c.admin("POST", f"/v1/elections/{e}/open")
                t.check(s == 200, f"open {e}: {s} {b}")
            votes, hidden_votes = 12, 3
            for i in range(votes):
                s, b, _ = c.request("POST", "/v1/elections/e1/votes", {"option": "a"},
                                    bearer=token(f"voter-{i}"))
                t.check(s == 202, f"vote {i} accepted: {s} {b}")
            for e in ("hid", "hidpub"):
                for i in range(hidden_votes):
                    s, b, _ = c.request("POST", f"/v1/elections/{e}/votes", {"option": "a"},
                                        bearer=token(f"voter-{i}"))
                    t.check(s == 202, f"vote {i} in {e} accepted: {s} {b}")
            posted = votes + 2 * hidden_votes
            s, _, _ = c.request("GET", "/no/such/thing")
            t.check(s == 404, "an unknown path is 404")
            sse, sse_status = open_stream(srv.port, "/v1/elections/e1/results/stream")
            ws, ws_status = open_stream(srv.port, "/v1/elections/e1/results/ws", websocket=True)
            t.check(" 200" in sse_status and " 101" in ws_status,
                    f"an SSE and a WebSocket viewer connect: {sse_status} {ws_status}")
            # A vote while both watch: the next tick broadcasts it to them, and the server's
            # figure of that broadcast counts both viewers written (the streams report it).
            s, b, _ = c.request("POST", "/v1/elections/e1/votes", {"option": "b"},
                                bearer=token("voter-live"))
            t.check(s == 202, f"a vote while two viewers watch: {s} {b}")
            votes += 1
            posted += 1

            def metrics():
                s, body, _ = c.request("GET", "/metrics")
                return body.decode() if isinstance(body, bytes) else body

            def counted():
                m = parse(metrics())
                lags = [value(m, "urna_processor_lag_entries", partition=str(p)) for p in range(4)]
                return m if (value(m, "urna_election_votes", election="e1") == votes and
                             value(m, "urna_election_votes", election="hidpub") == hidden_votes
                             and lags == [0, 0, 0, 0]) else None
            m = wait_for(counted, what="the votes to be counted in /metrics")

            def broadcast_seen():
                b = parse(metrics())
                return b if ((value(b, "urna_broadcast_viewers_total", outcome="written") or 0)
                             >= 2 and (value(b, "urna_broadcast_duration_seconds_count") or 0)
                             >= 1) else None
            b = wait_for(broadcast_seen, timeout=30,
                         what="the broadcast to both viewers in urna_broadcast_*")
            t.check(b is not None and (value(b, "urna_broadcast_reach95_seconds_count") or 0) >= 1
                    and value(b, "urna_broadcast_reach95_seconds_bucket", le="+Inf") ==
                    value(b, "urna_broadcast_reach95_seconds_count"),
                    "a broadcast written to both viewers reached 95% of them "
                    "(urna_broadcast_reach95_seconds)")
            text = metrics()
            if promtool:
                r = subprocess.run([promtool, "check", "metrics"], input=text,
                                   capture_output=True, text=True, timeout=60)
                t.check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
                        f"promtool check metrics passes: rc={r.returncode} {r.stdout} {r.stderr}")
            families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
            dashboard = os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                                     "grafana-dashboard.json")
            with open(dashboard) as f:
                used = set(re.findall(r"\b(urna_[a-z_]+)", f.read()))
            used = {re.sub(r"_(bucket|sum|count)$", "", n) if n.endswith(
                ("_bucket", "_sum", "_count")) and re.sub(r"_(bucket|sum|count)$", "", n) in
                families else n for n in used}
            t.check(used and used <= families,
                    f"the Grafana dashboard uses only metrics /metrics has: {sorted(used - families)}")
            m = parse(text)
            route = "/v1/elections/{id}/votes"
            t.check(value(m, "urna_http_requests_total", route=route, method="POST",
                          code="202") == posted,
                    "POST votes counted by route pattern and status")
            t.check(value(m, "urna_http_request_duration_seconds_count", route=route,
                          method="POST") == posted and
                    value(m, "urna_http_request_duration_seconds_bucket", route=route,
                          method="POST", le="+Inf") == posted,
                    "the vote route's latency histogram counts every vote")
            t.check(value(m, "urna_http_requests_total", route="unmatched", method="GET",
                          code="404") == 1, "a path no route matches is counted as unmatched")
            routes = {dict(k[1]).get("route") for k in m if k[0] == "urna_http_requests_total"}
            t.check(not any("e1" in r or "no/such" in r for r in routes),
                    f"route labels are patterns, never paths: {sorted(routes)}")
            t.check(value(m, "urna_viewers", protocol="sse") == 1 and
                    value(m, "urna_viewers", protocol="websocket") == 1,
                    "viewers counted by protocol")
            lags = [value(m, "urna_processor_lag_entries", partition=str(p)) for p in range(4)]
            ends = [value(m, "urna_log_end_offset", partition=str(p)) for p in range(4)]
            t.check(lags == [0, 0, 0, 0], f"lag in entries for each partition, 0 when counted: {lags}")
            t.check(None not in ends and sum(ends) == posted,
                    f"log ends per partition add up to the votes: {ends}")
            t.check(value(m, "urna_election_votes", election="e2") == 0 and
                    value(m, "urna_election_open", election="e1") == 1,
                    "per-election series for every live election")
            t.check(value(m, "urna_elections", status="open") == 4, "elections by status")
            t.check(value(m, "urna_election_votes", election="hidpub") == hidden_votes,
                    "hidden results with a public turnout: the vote series is there")
            hid = [k for k in m if dict(k[1]).get("election") == "hid"]
            t.check(value(m, "urna_election_votes", election="hid") is None and
                    value(m, "urna_election_open", election="hid") == 1,
                    f"an election hiding its turnout has no vote series (only open): {hid}")
            s, b, _ = c.admin("POST", "/v1/elections/hid/close")
            t.check(s == 200, f"close hid: {s} {b}")
            m = parse(metrics())
            t.check(value(m, "urna_election_votes", election="hid") is None and
                    value(m, "urna_election_open", election="hid") == 0,
                    "closed but not final: still no vote series for the hidden turnout")
            sse.close()
            ws.close()
            wait_for(lambda: value(parse(metrics()), "urna_viewers", protocol="sse") == 0 and
                     value(parse(metrics()), "urna_viewers", protocol="websocket") == 0,
                     what="the viewers gauge to fall when the streams close")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
        # The per-election series are bounded by --metrics-elections.
        srv = Server(args.urna, d, ["--metrics-elections", "1"]).start()
        try:
            m = parse(srv.client().request("GET", "/metrics")[1].decode())
            series = [k for k in m if k[0] == "urna_election_votes"]
            t.check(len(series) == 1 and value(m, "urna_election_series_dropped") == 3,
                    f"--metrics-elections 1 keeps one of the 4 live elections' series: {series}")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0 (second start)")
    t.finish()


if __name__ == "__main__":
    main()
