#!/usr/bin/env python3
"""Lingering close: a client that sends a whole oversized body before reading (as most simple
clients do) still reads the 413 answer; the server reads and drops the rest of the body before
closing instead of resetting the connection under the answer. Also for a body sent slowly in
pieces, and a plain keep-alive request afterwards on a new connection still works."""
import socket
import time

from harness import Checks, run_with_server, token

E = "linger"


def send_then_read(port, body_len, pieces=1):
    head = (f"POST /v1/elections/{E}/votes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            f"{token('v')}\r\nContent-Type: application/json\r\nContent-Length: {body_len}"
            f"\r\n\r\n").encode()
    body = b"x" * body_len
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(head)
        step = (body_len + pieces - 1) // pieces
        try:
            for i in range(0, body_len, step):
                s.sendall(body[i:i + step])
                if pieces > 1:
                    time.sleep(0.05)
        except OSError as e:
            return f"send failed: {e!r}"
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError as e:
            return f"read failed after {len(data)} bytes: {e!r}"
        return data


def run(srv, t):
    srv.client().create_open(E, ["a"])
    for size, pieces in ((512 * 1024, 1), (900 * 1024, 1), (200 * 1024, 8)):
        for attempt in range(3):
            got = send_then_read(srv.port, size, pieces)
            ok = isinstance(got, bytes) and got.startswith(b"HTTP/1.1 413 ") and \
                b"payload_too_large" in got and b"Connection: close" in got
            t.check(ok, f"a {size // 1024} KiB body in {pieces} piece(s), sent whole before "
                        f"reading, gets its 413 (try {attempt}): {str(got)[:120]}")
    c = srv.client()
    s, _, _ = c.vote(E, "after", "a")
    t.check(s == 202, "a normal vote afterwards")


if __name__ == "__main__":
    run_with_server("e2e_linger", run)
