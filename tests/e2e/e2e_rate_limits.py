#!/usr/bin/env python3
"""Rate limits over real HTTP: a voter past its burst gets 429 `rate_limited` with Retry-After
and its vote is not appended, while another voter from the same address goes on; the client
address comes from X-Forwarded-For only when the peer is a --trusted-proxy; the admin token has
its own limit; --no-rate-limits lets a burst through; /metrics counts what was limited."""
import argparse
import socket

from harness import Checks, Server, TempDataDir, token, wait_for

E = "limits"


def metric(c, name):
    s, text, _ = c.request("GET", "/metrics")
    for line in (text.decode() if isinstance(text, bytes) else text).splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    return None


def vote(c, voter, xff=None):
    headers = {"X-Forwarded-For": xff} if xff else None
    return c.request("POST", f"/v1/elections/{E}/votes", {"option": "a"}, bearer=token(voter),
                     headers=headers)


def is_429(t, s, b, r, what):
    ra = r.getheader("Retry-After") if r else None
    ok = s == 429 and isinstance(b, dict) and b.get("error", {}).get("code") == "rate_limited" \
        and b["error"].get("message") and ra is not None and ra.isdigit() and int(ra) >= 1
    t.check(ok, f"{what}: want 429 rate_limited with Retry-After, got {s} {b} {ra}")
    return int(ra) if ok else None


def defaults_and_untrusted_forwarding(urna, t):
    """Default voter limit (burst 5, then 1/10 s); an address limit of 20 for the whole run."""
    with TempDataDir() as d:
        srv = Server(urna, d, rate_limits=["--address-burst", "20", "--address-rate", "1/1h"])
        srv.start()
        try:
            c = srv.client()
            c.create_open(E, ["a", "b"])  # admin calls: not counted against the address
            accepted = 0
            for i in range(5):
                s, b, _ = vote(c, "eager")
                t.check(s == 202, f"vote {i + 1} of a burst of 5 is accepted: {s} {b}")
                accepted += s == 202
            s, b, r = vote(c, "eager")
            ra = is_429(t, s, b, r, "the 6th vote of one voter")
            t.check(ra is not None and ra <= 10, f"Retry-After within one interval (10 s): {ra}")
            t.check("vote_id" not in (b or {}), "a limited vote gets no receipt")
            s, b, _ = vote(c, "neighbour")
            t.check(s == 202, f"another voter from the same address is not affected: {s} {b}")
            accepted += s == 202
            # 7 requests of the 20 used. X-Forwarded-For from an untrusted peer is ignored: every
            # request still counts against 127.0.0.1, whatever address it claims.
            for i in range(13):
                s, b, _ = vote(c, f"v{i}", xff=f"198.51.100.{i + 1}")
                t.check(s == 202, f"address budget: vote {8 + i} of 20 accepted: {s} {b}")
                accepted += s == 202
            s, b, r = vote(c, "v-last", xff="198.51.100.200")
            ra = is_429(t, s, b, r, "the 21st write from one address, forged X-Forwarded-For")
            t.check(ra is not None and ra > 3000, f"Retry-After ~1 h for 1/1h: {ra}")
            # Reads, pages and health checks never count; admin calls have their own budget.
            t.check(c.request("GET", f"/v1/elections/{E}/results")[0] == 200, "results still read")
            t.check(c.request("GET", "/healthz")[0] == 200, "healthz still 200")
            t.check(c.request("GET", "/")[0] == 200, "pages still served")
            # The limited votes were not appended: durable votes = accepted ones (all
            # processed), one counted per voter.
            t.check(metric(c, "urna_votes_durable_total") == accepted == 19,
                    f"durable votes = the 19 accepted ones: {accepted}")
            res = wait_for(lambda: (lambda r: r if r["total"] >= 15 else None)(c.results(E)),
                           what="15 votes counted")
            t.check(res["total"] == 15, f"15 voters counted (eager once): {res}")
            t.check(metric(c, 'urna_rate_limited_total{kind="voter"}') == 1, "1 voter limit hit")
            t.check(metric(c, 'urna_rate_limited_total{kind="address"}') == 1,
                    "1 address limit hit")
            s, b, _ = c.admin("POST", f"/v1/elections/{E}/close")
            t.check(s == 200, f"the admin is not blocked by the voters' address: {s} {b}")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")


def trusted_proxy_and_admin(urna, t):
    with TempDataDir() as d:
        srv = Server(urna, d, rate_limits=["--trusted-proxy", "127.0.0.1/32", "--address-burst",
                                           "3", "--address-rate", "1/1h", "--admin-burst", "4",
                                           "--admin-rate", "1/1h"])
        srv.start()
        try:
            c = srv.client()
            c.create_open(E, ["a", "b"])  # admin requests 1 and 2
            for i in range(3):
                s, b, _ = vote(c, f"p{i}", xff="203.0.113.7, 198.51.100.1")
                t.check(s == 202, f"client 198.51.100.1 via a trusted proxy, vote {i + 1}: {s} {b}")
            s, b, r = vote(c, "p3", xff="203.0.113.8, 198.51.100.1")
            is_429(t, s, b, r, "the 4th write of client 198.51.100.1 (right-most untrusted)")
            # Several X-Forwarded-For headers are one list, in order: the right-most entry of
            # the last header names the client (198.51.100.1 again, so 429), not the first one.
            raw = (f"POST /v1/elections/{E}/votes HTTP/1.1\r\nHost: x\r\n"
                   f"Authorization: Bearer {token('p4')}\r\nContent-Type: application/json\r\n"
                   "X-Forwarded-For: 198.51.100.9\r\nX-Forwarded-For: 198.51.100.1\r\n"
                   "Content-Length: 14\r\nConnection: close\r\n\r\n{\"option\":\"a\"}")
            with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as sock:
                sock.sendall(raw.encode())
                head = sock.recv(4096)
            t.check(head.startswith(b"HTTP/1.1 429"),
                    f"two X-Forwarded-For headers read as one list: {head[:40]!r}")
            s, b, _ = vote(c, "q0", xff="198.51.100.2")
            t.check(s == 202, f"another client behind the same proxy goes on: {s} {b}")
            s, b, _ = vote(c, "q1")
            t.check(s == 202, f"the proxy's own requests count as its own address: {s} {b}")
            # The admin token: 4 at once, then 1 per hour.
            t.check(c.admin("GET", "/v1/elections")[0] == 200, "admin request 3")
            t.check(c.admin("GET", "/v1/elections")[0] == 200, "admin request 4")
            s, b, r = c.admin("GET", "/v1/elections")
            is_429(t, s, b, r, "admin request 5")
            t.check(metric(c, 'urna_rate_limited_total{kind="admin"}') == 1, "1 admin limit hit")
            t.check(metric(c, "urna_votes_durable_total") == 5, "5 votes durable")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")


def no_rate_limits(urna, t):
    with TempDataDir() as d:
        srv = Server(urna, d, rate_limits=["--voter-burst", "1", "--address-burst", "1",
                                           "--admin-burst", "1", "--no-rate-limits"])
        srv.start()
        try:
            c = srv.client()
            c.create_open(E, ["a", "b"])
            codes = [vote(c, "burst")[0] for _ in range(30)]
            t.check(codes == [202] * 30, f"--no-rate-limits lets a burst through: {set(codes)}")
            s, text, _ = c.request("GET", "/metrics")
            t.check(s == 200 and b"urna_rate_limited_total" not in text,
                    "no rate-limit counters when the limits are off")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    checks = Checks("e2e_rate_limits")
    defaults_and_untrusted_forwarding(args.urna, checks)
    trusted_proxy_and_admin(args.urna, checks)
    no_rate_limits(args.urna, checks)
    checks.finish()
