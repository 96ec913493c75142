#!/usr/bin/env python3
"""Connection flood benchmark (not a test): starts `urna serve --max-connections CAP`, measures a
legitimate voter's vote latency without a flood, then while FLOOD idle connections (from source
addresses 127.0.0.2..) hold the server at its cap, then after the flood leaves; prints the
connections held, refusals and the time to recover. Loopback only.

  python3 bench/conn_flood.py --urna build/release/src/urna --cap 15000 --flood 19000
"""
import argparse
import os
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from harness import Server, TempDataDir, token  # noqa: E402

E = "bench"


def vote_request(voter, close):
    body = b'{"option":"a"}'
    return (f"POST /v1/elections/{E}/votes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            f"{token(voter)}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            + ("Connection: close\r\n" if close else "") + "\r\n").encode() + body


def read_one(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return 0, data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    n = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(rest) < n:
        rest += sock.recv(65536)
    return int(head.split(b" ")[1]), rest


def fresh_connection_votes(port, tag, n):
    """n votes, each on a new connection (a new voter arriving), retrying 503/refused until it
    gets a 202: latency includes the retries."""
    lat, retries = [], 0
    for i in range(n):
        t0 = time.perf_counter()
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    s.sendall(vote_request(f"{tag}-{i}", True))
                    status, _ = read_one(s)
                if status == 202:
                    break
            except OSError:
                pass
            retries += 1
            time.sleep(0.05)
        lat.append((time.perf_counter() - t0) * 1000)
    return lat, retries


def connect_with_retry(port):
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.setblocking(False)
            try:
                if s.recv(1, socket.MSG_PEEK) is not None:  # refused: 503 or closed
                    s.close()
                    time.sleep(0.05)
                    continue
            except BlockingIOError:
                pass
            s.setblocking(True)
            return s
        except OSError:
            time.sleep(0.05)


def keepalive_votes(port, tag, n):
    """n votes back to back on one keep-alive connection (opened first, with retries)."""
    sock = connect_with_retry(port)
    time.sleep(0.01)
    lat = []
    for i in range(n):
        t0 = time.perf_counter()
        sock.sendall(vote_request(f"{tag}-{i}", False))
        status, _ = read_one(sock)
        assert status == 202, status
        lat.append((time.perf_counter() - t0) * 1000)
    sock.close()
    return lat


def pct(lat):
    lat = sorted(lat)
    return (f"p50 {statistics.median(lat):.2f} ms, p99 {lat[int(len(lat) * 0.99) - 1]:.2f} ms, "
            f"max {lat[-1]:.2f} ms")


def server_sockets(pid):
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


class Flood:
    """Holds up to `n` idle connections, reopening those the server closes, from several
    source addresses (so the ephemeral ports of one address are not the limit)."""

    def __init__(self, port, n):
        self.port, self.n, self.socks, self.stop = port, n, [], False
        self.opened = self.refused = 0

    def fill(self):
        i = len(self.socks)
        while len(self.socks) < self.n and not self.stop:
            s = socket.socket()
            s.setblocking(True)
            try:
                s.bind((f"127.0.0.{2 + i % 8}", 0))
                s.connect(("127.0.0.1", self.port))
                self.socks.append(s)
                self.opened += 1
            except OSError:
                s.close()
                break
            i += 1

    def prune(self):
        """Drops the sockets the server closed (refused or idle-closed)."""
        alive = []
        for s in self.socks:
            s.setblocking(False)
            try:
                if s.recv(1024, socket.MSG_PEEK) is not None:
                    self.refused += 1
                    s.close()
                    continue
            except BlockingIOError:
                alive.append(s)
                continue
            except OSError:
                self.refused += 1
                s.close()
                continue
        self.socks = alive

    def run(self):
        while not self.stop:
            self.fill()
            time.sleep(0.5)
            self.prune()

    def close(self):
        self.stop = True
        for s in self.socks:
            s.close()
        self.socks = []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    ap.add_argument("--cap", type=int, default=15000)
    ap.add_argument("--flood", type=int, default=19000)
    ap.add_argument("--votes", type=int, default=200)
    args = ap.parse_args()
    with TempDataDir() as d:
        srv = Server(args.urna, d, ["--max-connections", str(args.cap)]).start()
        pid, port = srv.proc.pid, srv.port
        c = srv.client()
        c.create_open(E, ["a", "b"])
        print(f"cap {args.cap}, flood {args.flood} idle connections, {args.votes} votes each")
        lat, r = fresh_connection_votes(port, "base", args.votes)
        print(f"no flood, new connection per vote: {pct(lat)} ({r} retries)")
        print(f"no flood, keep-alive connection:   {pct(keepalive_votes(port, 'baseka', args.votes))}")

        flood = Flood(port, args.flood)
        t0 = time.time()
        flood.fill()
        print(f"flood: {flood.opened} connects in {time.time() - t0:.1f} s; server holds "
              f"{server_sockets(pid)} sockets (cap {args.cap} + listener + voter)")
        th = threading.Thread(target=flood.run, daemon=True)
        th.start()
        time.sleep(1)
        held = []
        lat, r = fresh_connection_votes(port, "flood", args.votes)
        held.append(server_sockets(pid))
        print(f"flood, new connection per vote:    {pct(lat)} ({r} retries)")
        print(f"flood, keep-alive connection:      "
              f"{pct(keepalive_votes(port, 'floodka', args.votes))}")
        held.append(server_sockets(pid))
        print(f"server sockets during the flood: {held}; flood connects {flood.opened}, closed "
              f"by the server {flood.refused}")
        flood.stop = True
        th.join()
        t1 = time.time()
        flood.close()
        lat, r = fresh_connection_votes(port, "after", 1)
        print(f"after the flood: first vote {lat[0]:.2f} ms ({r} retries), "
              f"{(time.time() - t1) * 1000:.0f} ms after the flood closed its connections")
        lat, r = fresh_connection_votes(port, "after2", args.votes)
        print(f"after the flood, new connection per vote: {pct(lat)} ({r} retries)")
        srv.stop()


if __name__ == "__main__":
    main()
