#!/usr/bin/env python3
"""SIGTERM under vote load on many keep-alive connections (some pipelining two requests at a
time): every request the server read gets a whole HTTP answer (202 if durable, 503 if not),
never a reset or a close after part of it; a connection the server closes before reading a
request shows a clean end of stream (or, in the last instant of the listener or of the process,
a reset before any byte of an answer), and that request had no effect. Checked against the
ledger after a restart: every 202 is counted, and no vote that got a 503, a reset or no answer
is."""
import argparse
import hashlib
import hmac
import json
import socket
import threading
import time

from harness import AUDIT_KEY, Checks, Server, TempDataDir, Workers, token, wait_for

E = "drain"
CONNS = 40
ROUNDS = 3


class Outcome:
    def __init__(self):
        self.lock = threading.Lock()
        self.answered = {}      # voter -> status
        self.unread = set()     # voters whose request met a clean close before any answer
        self.broken = []        # (voter, what): a partial answer, or a reset after part of one
        self.reset_unanswered = []  # voters whose request met a reset before any answer byte
        self.sent = 0


def request(voter):
    body = json.dumps({"option": "a" if hash(voter) % 2 else "b"}).encode()
    return (f"POST /v1/elections/{E}/votes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            f"{token(voter)}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
            f"\r\n\r\n").encode() + body


def read_response(sock, buf):
    """One whole response from sock: (status, close?, rest of buf), or raises EOFError if the
    stream ends before any byte of it, or ValueError if it ends part-way."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            if buf:
                raise ValueError(f"stream ended inside a response head: {buf[:80]!r}")
            raise EOFError
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
    n = int(headers.get("content-length", "0"))
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise ValueError("stream ended inside a response body")
        buf += chunk
    return status, headers.get("connection", "").lower() == "close", buf[n:]


def worker(port, name, idx, out, stop_at):
    pipelined = idx % 2 == 0
    k = 0
    while time.time() < stop_at:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        except OSError:
            return  # refused: the server no longer accepts; nothing was sent
        buf, closing = b"", False
        with sock:
            while not closing and time.time() < stop_at:
                voters = [f"{name}-{k + j}" for j in range(2 if pipelined else 1)]
                k += len(voters)
                # Has the server closed this idle connection? Then the request is not sent.
                sock.setblocking(False)
                try:
                    peek = sock.recv(1, socket.MSG_PEEK)
                except BlockingIOError:
                    peek = None
                except OSError:
                    peek = b""
                sock.setblocking(True)
                if peek == b"":
                    break
                try:
                    # Pipelined requests go a moment apart, so the second often arrives while
                    # the first is being answered (the case a plain close turns into a reset).
                    for j, v in enumerate(voters):
                        if j:
                            time.sleep(0.002)
                        sock.sendall(request(v))
                except OSError as e:  # the server closed after our peek: nothing was read
                    with out.lock:
                        out.unread.update(voters)
                    break
                with out.lock:
                    out.sent += len(voters)
                for i, v in enumerate(voters):
                    try:
                        status, closing, buf = read_response(sock, buf)
                    except EOFError:
                        with out.lock:
                            out.unread.update(voters[i:])
                        closing = True
                        break
                    except ConnectionResetError as e:
                        # A reset before any byte of the answer: the kernel resets a connection
                        # still in the listener's queue when the listener closes, and one whose
                        # request arrives after the server let go of it. Acceptable only if the
                        # request had no effect: the ledger check below says whether it did.
                        with out.lock:
                            if buf:
                                out.broken.append((v, repr(e)))
                            else:
                                out.reset_unanswered.append(v)
                            out.unread.update(voters[i + 1:])
                        closing = True
                        break
                    except (ValueError, OSError) as e:
                        with out.lock:
                            out.broken.append((v, repr(e)))
                            out.unread.update(voters[i + 1:])
                        closing = True
                        break
                    with out.lock:
                        out.answered[v] = status
                    if closing:  # the server closes after this answer; the rest was not read
                        with out.lock:
                            out.unread.update(voters[i + 1:])
                        break


def pseudonym(voter):
    return hmac.new(AUDIT_KEY.encode(), voter.encode(), hashlib.sha256).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_drain")
    with TempDataDir() as d:
        out = Outcome()
        for round_ in range(ROUNDS):  # the race is timing-dependent: several rounds
            srv = Server(args.urna, d).start()
            if round_ == 0:
                srv.client().create_open(E, ["a", "b"])
            stop_at = time.time() + 30
            acked_before = sum(1 for s in out.answered.values() if s == 202)
            workers = Workers(worker, [(srv.port, f"r{round_}c{i}", i, out, stop_at)
                                       for i in range(CONNS)], name=f"r{round_}").start()
            wait_for(lambda: sum(1 for s in out.answered.values() if s == 202) > acked_before + 300,
                     timeout=30, what="votes under load")
            code = srv.stop()
            errors = workers.join()
            t.check(not errors, f"round {round_}: no client thread failed: {errors[:2]}")
            t.check(code == 0, f"SIGTERM under load exits 0 (got {code})")
            if out.broken:
                print("server output:", "".join(srv.last_lines[-20:]), flush=True)
        statuses = {}
        for s in out.answered.values():
            statuses[s] = statuses.get(s, 0) + 1
        print(f"sent {out.sent}, answered {statuses}, closed before read {len(out.unread)}, "
              f"reset before any answer {len(out.reset_unanswered)}, broken {len(out.broken)}",
              flush=True)
        t.check(not out.broken, f"no partial answer, and no reset after part of one: "
                                f"{out.broken[:5]}")
        t.check(set(statuses) <= {202, 503}, f"answers are 202 or 503: {statuses}")
        t.check(statuses.get(202, 0) > 300 * ROUNDS, "votes were acknowledged under load")

        # After a restart, the ledger says which votes took effect.
        srv = Server(args.urna, d).start()
        c = srv.client()
        acked = [v for v, s in out.answered.items() if s == 202]
        wait_for(lambda: c.results(E)["total"] >= len(acked), timeout=60,
                 what="acknowledged votes counted")
        s, _, _ = c.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200, "close")
        s, csv_text, _ = c.admin("GET", f"/v1/elections/{E}/audit/ledger.csv")
        t.check(s == 200, f"ledger.csv: {s}")
        csv_text = csv_text.decode() if isinstance(csv_text, bytes) else str(csv_text)
        counted = {line.split(",")[1] for line in csv_text.splitlines()[1:]}
        t.check(all(pseudonym(v) in counted for v in acked), "every 202 is counted")
        not_taken = [v for v, s in out.answered.items() if s == 503] + sorted(out.unread)
        wrongly = [v for v in not_taken if pseudonym(v) in counted]
        t.check(not wrongly, f"no vote answered 503 or closed before read is counted: "
                             f"{wrongly[:5]}")
        # A request the server read is answered: one that met a reset took no effect.
        reset_counted = [v for v in out.reset_unanswered if pseudonym(v) in counted]
        t.check(not reset_counted, f"no vote whose request met a reset is counted (the server "
                                   f"read it and sent no answer): {reset_counted[:5]}")
        t.check(srv.stop() == 0, "SIGTERM exits 0")
    t.finish()


if __name__ == "__main__":
    main()
