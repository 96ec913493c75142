#!/usr/bin/env python3
"""GET /v1/elections/{id}/audit/ledger.csv over HTTP: refused (409) while the election is draft
or open; once closed, streamed with bounded memory: the server's peak RSS while exporting N rows
grows by far less than the CSV's size (the rows are never all in memory; the server runs with a
small --export-buffer-rows so the test stays small). The body is byte-identical to the file the
CLI `urna audit` writes from the same data dir, its digest matches X-Ledger-Digest and the
recount report; clients that hang up mid-export leave the server working."""
import argparse
import hashlib
import json
import os
import socket
import subprocess
import threading
import time

from harness import (ADMIN_TOKEN, AUDIT_KEY, VOTER_SECRET, Checks, Server, TempDataDir, Workers,
                     token, wait_for)

E = "big"
OPTIONS = ["a", "b", "c", "d"]
N = 40000
THREADS = 8
BATCH = 200


def vote_pipelined(port, first, count, acked, slot):
    """Votes of voters first..first+count-1, BATCH requests at a time on one connection;
    acked[slot] counts the 202s (one slot per thread: no shared counter to race on)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        buf = b""
        for start in range(first, first + count, BATCH):
            reqs = []
            for n in range(start, min(start + BATCH, first + count)):
                body = json.dumps({"option": OPTIONS[n % 4]}).encode()
                reqs.append((f"POST /v1/elections/{E}/votes HTTP/1.1\r\nHost: x\r\n"
                             f"Authorization: Bearer {token(f'voter-{n}')}\r\nContent-Type: "
                             f"application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                            + body)
            s.sendall(b"".join(reqs))
            for _ in reqs:
                while b"\r\n\r\n" not in buf:
                    buf += s.recv(1 << 16)
                head, buf = buf.split(b"\r\n\r\n", 1)
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                while len(buf) < length:
                    buf += s.recv(1 << 16)
                buf = buf[length:]
                if head.startswith(b"HTTP/1.1 202"):
                    acked[slot] += 1


def status_of(proc_pid, field):
    with open(f"/proc/{proc_pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
    raise AssertionError(field)


def get_raw(port, path, read_limit=None):
    """GET with a raw socket: (head, body bytes). With read_limit, hangs up after that many."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
                  f"Connection: close\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(1 << 16)
        head, body = data.split(b"\r\n\r\n", 1)
        while read_limit is None or len(body) < read_limit:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            body += chunk
        return head.decode(), body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_ledger_stream")
    with TempDataDir() as d:
        srv = Server(args.urna, d, ["--export-buffer-rows", "2000"]).start()
        c = srv.client()
        s, b, _ = c.admin("POST", "/v1/elections", {
            "id": "draft", "title": "Draft", "options": [{"id": "x", "label": "X"}]})
        s, b, _ = c.admin("GET", "/v1/elections/draft/audit/ledger.csv")
        t.check(s == 409 and b["error"]["code"] == "conflict", f"409 while draft: {s} {b}")
        c.create_open(E, OPTIONS)
        s, b, _ = c.admin("GET", f"/v1/elections/{E}/audit/ledger.csv")
        t.check(s == 409 and "closed" in b["error"]["message"], f"409 while open: {s} {b}")

        t0, acked = time.time(), [0] * THREADS
        per = N // THREADS
        errors = Workers(vote_pipelined, [(srv.port, i * per, per, acked, i)
                                          for i in range(THREADS)], name="voter").start().join()
        t.check(not errors, f"no voting thread failed: {errors[:2]}")
        print(f"{sum(acked)} votes in {time.time() - t0:.1f} s", flush=True)
        t.check(sum(acked) == N, f"all {N} votes acknowledged ({sum(acked)})")
        wait_for(lambda: c.results(E)["total"] == N, timeout=60, what="votes counted")
        s, _, _ = c.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200, "close")
        # A first export warms the server's caches (RocksDB blocks) with a full ledger scan;
        # the second is measured: the peak RSS while it runs, against the RSS before it.
        url = f"/v1/elections/{E}/audit/ledger.csv"
        _, first = get_raw(srv.port, url)
        pid = srv.proc.pid
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets the peak RSS (VmHWM) to the current RSS
        rss0 = status_of(pid, "VmRSS")
        head, body = get_raw(srv.port, url)
        growth = status_of(pid, "VmHWM") - rss0
        csv_kib = len(body) // 1024
        rows = body.count(b"\n") - 1
        print(f"ledger.csv {csv_kib} KiB, {rows} rows; server peak RSS growth "
              f"during the export {growth} KiB", flush=True)
        t.check(" 200 " in head.split("\r\n")[0], f"200 once closed: {head[:40]}")
        t.check(body == first, "two exports give the same bytes")
        headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip()
                   for l in head.split("\r\n")[1:]}
        t.check(int(headers.get("content-length", -1)) == len(body), "Content-Length is exact")
        t.check(body.count(b"\n") == N + 1, "one row per counted vote, plus the header")
        digest = hashlib.sha256(body.split(b"\n", 1)[1]).hexdigest()
        t.check(headers.get("x-ledger-digest") == "sha256=" + digest, "X-Ledger-Digest")
        job = c.recount(E)
        t.check(digest == job["report"]["ledger"]["digest"]["value"],
                "the digest equals the recount report's")
        t.check(growth < csv_kib / 3,
                f"memory stays bounded: peak RSS +{growth} KiB for a {csv_kib} KiB CSV")
        # Clients hanging up mid-export do not wedge the exporter (at most 2 run at once).
        for _ in range(3):
            get_raw(srv.port, url, read_limit=64 * 1024)
        again = wait_for(lambda: (lambda r: r if " 200 " in r[0].split("\r\n")[0] else None)(
            get_raw(srv.port, url)), timeout=30, what="an export after aborted ones")
        t.check(again[1] == body, "an export after aborted ones is whole")
        t.check(c.results(E)["total"] == N, "the server still answers after the exports")
        # SIGTERM while an export is blocked on a client that stopped reading, and another has
        # just started (it may still be scanning): the drain ends both, and the server exits 0
        # in bounded time (an export must never hold up the shutdown).
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a window the CSV overflows
        stuck.settimeout(60)
        stuck.connect(("127.0.0.1", srv.port))
        stuck.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}"
                      f"\r\n\r\n".encode())
        t.check(stuck.recv(4096).startswith(b"HTTP/1.1 200 "), "the stuck export has begun")
        late = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
        late.sendall(f"GET {url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}"
                     f"\r\nConnection: close\r\n\r\n".encode())
        t0 = time.time()
        code = srv.stop()
        took = time.time() - t0
        print(f"stopped in {took:.1f} s with exports in flight", flush=True)
        t.check(code == 0 and took < 20,
                f"SIGTERM with exports in flight exits 0 in bounded time: {code} in {took:.1f} s")
        received = 0
        try:
            while chunk := stuck.recv(1 << 16):
                received += len(chunk)
        except OSError:
            pass
        t.check(received + 4096 < len(body) + len(head),
                f"the stuck client's export was cut short, not completed: {received} bytes")
        stuck.close()
        late.close()

        # The CLI's export of the same data dir, byte for byte.
        out = os.path.join(d, "audit-out")
        env = dict(os.environ, URNA_VOTER_SECRET=VOTER_SECRET, URNA_ADMIN_TOKEN=ADMIN_TOKEN,
                   URNA_AUDIT_KEY=AUDIT_KEY)
        subprocess.run([args.urna, "audit", "--data-dir", d, "--election", E, "--out", out],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "ledger.csv"), "rb") as f:
            t.check(f.read() == body, "the HTTP export is byte-identical to `urna audit`'s file")
    t.finish()


if __name__ == "__main__":
    main()
