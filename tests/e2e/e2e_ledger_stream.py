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

from harness import (ADMIN_TOKEN, AUDIT_KEY, VOTER_SECRET, Checks, Server, TempDataDir, token,
                     wait_for)

E = "big"
OPTIONS = ["a", "b", "c", "d"]
N = 40000
THREADS = 8
BATCH = 200


def vote_pipelined(port, first, count, acked):
    """Votes of voters first..first+count-1, BATCH requests at a time on one connection."""
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
                    acked[0] += 1


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

        t0, acked = time.time(), [0]
        per = N // THREADS
        ths = [threading.Thread(target=vote_pipelined, args=(srv.port, i * per, per, acked))
               for i in range(THREADS)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        print(f"{acked[0]} votes in {time.time() - t0:.1f} s", flush=True)
        t.check(acked[0] == N, f"all {N} votes acknowledged ({acked[0]})")
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
        t.check(srv.stop() == 0, "SIGTERM exits 0")

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
