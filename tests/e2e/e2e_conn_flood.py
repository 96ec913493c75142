#!/usr/bin/env python3
"""Connection flood: a server started with a small --max-connections never holds more client
sockets than the cap while 1,000 idle connections arrive; those over the cap are refused
(503 too_many_connections, or closed); idle ones are closed sooner near the cap, so a legitimate
voter gets through during the flood and at once after it; the refusals are counted in /metrics
and logged in a few lines, not one per refusal. Then the original fault at small scale: the
server's descriptor limit is lowered under its cap (prlimit), the flood exhausts it, and the
accept loop backs off instead of spinning and flooding the log; once the flood leaves, the
server answers again."""
import argparse
import os
import socket
import subprocess
import time

from harness import Checks, Server, TempDataDir, token, wait_for

E = "flood"
CAP = 300
FLOOD = 1000


def server_sockets(pid):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metric(c, name):
    s, text, _ = c.request("GET", "/metrics")
    assert s == 200
    text = text.decode() if isinstance(text, bytes) else str(text)
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError(f"no metric {name}")


def open_flood(port, n, into):
    for _ in range(n):
        try:
            into.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            pass


def refused_answers(socks):
    """How many flood sockets the server answered 503 too_many_connections or closed."""
    n = 0
    for s in socks:
        s.setblocking(False)
        try:
            data = s.recv(4096)
            if data == b"" or b"too_many_connections" in data:
                n += 1
        except BlockingIOError:
            pass
        except OSError:
            n += 1  # reset: also a refusal (nothing was read)
    return n


def vote_with_retry(port, voter, deadline_s=30):
    """A legitimate voter: a fresh connection per attempt, retrying on 503 or a refused
    connection, as a browser would. Returns (status, attempts)."""
    body = b'{"option":"a"}'
    req = (f"POST /v1/elections/{E}/votes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
           f"{token(voter)}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
           f"Connection: close\r\n\r\n").encode() + body
    end, attempts = time.time() + deadline_s, 0
    while time.time() < end:
        attempts += 1
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(req)
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
            if status == 202:
                return 202, attempts
        except OSError:
            pass
        time.sleep(0.2)
    return 0, attempts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_conn_flood")
    with TempDataDir() as d:
        srv = Server(args.urna, d, ["--max-connections", str(CAP), "--max-viewers", "50",
                                    "--busy-idle-timeout", "2"]).start()
        pid, port = srv.proc.pid, srv.port
        c = srv.client()
        c.create_open(E, ["a", "b"])
        s, _, _ = c.vote(E, "before", "a")
        t.check(s == 202, "a vote before the flood")
        # Viewers have a sub-cap (--max-viewers 50): the 51st live stream is refused, and a
        # voter still gets in with 60 streams open.
        streams, refused_viewers = [], 0
        for _ in range(60):
            s_ = socket.create_connection(("127.0.0.1", port), timeout=10)
            s_.sendall(f"GET /v1/elections/{E}/results/stream HTTP/1.1\r\nHost: x\r\n\r\n"
                       .encode())
            head = s_.recv(4096)
            if head.startswith(b"HTTP/1.1 503") and b"too_many_viewers" in head:
                refused_viewers += 1
            streams.append(s_)
        t.check(refused_viewers == 10, f"viewers over --max-viewers refused: {refused_viewers}")
        t.check(metric(c, "urna_http_push_streams_open") == 50, "50 live streams open")
        s, _, _ = c.vote(E, "with-viewers", "a")
        t.check(s == 202, "a vote with the viewers' sub-cap full")
        for s_ in streams:
            s_.close()
        wait_for(lambda: metric(c, "urna_http_push_streams_open") == 0, timeout=20,
                 what="the streams to close")
        c.conn.close()
        lines_before = srv.output_lines

        # The flood: 1,000 idle connections, held open.
        flood = []
        open_flood(port, FLOOD, flood)
        held = server_sockets(pid)
        t.check(held <= CAP + 2, f"the server holds at most the cap (+ listener, + one being "
                                 f"refused): {held}")
        refused = wait_for(lambda: (lambda n: n if n >= FLOOD - CAP - 5 else None)(
            refused_answers(flood)), timeout=20, what="refusals over the cap")
        t.check(refused >= FLOOD - CAP - 5, f"connections over the cap refused: {refused}")

        # A legitimate voter gets through during the flood (idle connections near the cap are
        # closed after --busy-idle-timeout), three times, the flood topped up each time.
        peak_sockets = held
        for i in range(3):
            open_flood(port, CAP, flood)
            peak_sockets = max(peak_sockets, server_sockets(pid))
            status, attempts = vote_with_retry(port, f"during-{i}")
            t.check(status == 202, f"a legitimate vote during the flood (round {i}, "
                                   f"{attempts} attempts)")
            peak_sockets = max(peak_sockets, server_sockets(pid))
        # + the listener, + one socket being refused (accepted, answered, closed at once).
        t.check(peak_sockets <= CAP + 2, f"never more sockets than the cap: {peak_sockets}")
        flood_lines = srv.output_lines - lines_before
        t.check(flood_lines < 20, f"the refusals are logged in a few lines, not one each: "
                                  f"{flood_lines}")

        # The flood leaves: voting works at the first attempt.
        for s_ in flood:
            s_.close()
        flood.clear()
        c = srv.client()
        wait_for(lambda: metric(c, "urna_http_connections_open") <= 2, timeout=20,
                 what="the flood's connections to be gone")
        status, attempts = vote_with_retry(port, "after")
        t.check(status == 202 and attempts == 1, f"a vote at once after the flood ({attempts})")
        t.check(metric(c, "urna_http_connections_peak") <= CAP, "peak open connections <= cap")
        t.check(metric(c, "urna_http_connections_max") == CAP, "the cap is in /metrics")
        t.check(metric(c, "urna_http_connections_refused_total") >= FLOOD - CAP,
                "refusals are counted in /metrics")
        t.check(metric(c, "urna_http_connections_idle_closed_total") > 0,
                "idle connections near the cap were closed early")

        # The original fault at small scale: fewer descriptors than the cap. The accept loop
        # must back off (little CPU) and log a few lines, not one per failed accept.
        c.conn.close()
        subprocess.run(["prlimit", "--pid", str(pid), "--nofile=150:20000"], check=True)
        lines_before, cpu_before = srv.output_lines, cpu_seconds(pid)
        open_flood(port, 250, flood)
        t0 = time.time()
        time.sleep(3)
        cpu = cpu_seconds(pid) - cpu_before
        lines = srv.output_lines - lines_before
        t.check(cpu < 0.5 * (time.time() - t0),
                f"out of descriptors, the accept loop does not spin: {cpu:.2f} s CPU in 3 s")
        t.check(lines < 10, f"out of descriptors, a few log lines: {lines}")
        t.check(any("pausing accept" in l for l in srv.last_lines), "the back-off is logged")
        for s_ in flood:
            s_.close()
        flood.clear()
        subprocess.run(["prlimit", "--pid", str(pid), "--nofile=20000:20000"], check=True)
        c = srv.client()
        got = wait_for(lambda: c.request("GET", f"/v1/elections/{E}/results")[0] == 200,
                       timeout=20, what="the server to answer after the descriptor flood")
        t.check(got, "answers again once the flood leaves")
        t.check(metric(c, "urna_http_accept_errors_total") > 0, "accept errors are counted")
        c.conn.close()
        t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
    t.finish()


if __name__ == "__main__":
    main()
