#!/usr/bin/env python3
"""End to end: 1,000 distinct voters vote, 200 of them twice (100 later, 100 concurrently);
results show exactly 1,000 split as voted, the first vote wins, receipts say counted/duplicate.
Also checks HTTP/1.1 pipelining and that a voter cannot read another voter's receipt."""
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from harness import run_with_server, wait_for

OPTIONS = ["red", "green", "blue"]
E = "grand-final"
local = threading.local()


def client(server):
    if getattr(local, "c", None) is None:
        local.c = server.client()
    return local.c


def run(srv, t):
    c = srv.client()
    c.create_open(E, OPTIONS)
    voters = [f"voter-{i:04d}" for i in range(1000)]
    first_choice = {v: OPTIONS[i % 3] for i, v in enumerate(voters)}

    def cast(voter, option):
        s, b, _ = client(srv).vote(E, voter, option)
        assert s == 202 and b["status"] == "accepted", (s, b)
        return voter, option, b["vote_id"]

    concurrent_dups = voters[:100]
    later_dups = voters[100:200]
    with ThreadPoolExecutor(32) as pool:
        # The first 100 voters send two different votes at the same moment.
        futs = [pool.submit(cast, v, first_choice[v]) for v in voters]
        futs += [pool.submit(cast, v, OPTIONS[(OPTIONS.index(first_choice[v]) + 1) % 3])
                 for v in concurrent_dups]
        cast_votes = [f.result() for f in futs]
        wait_for(lambda: c.results(E)["total"] >= 1000, what="the first round to be counted")
        # 100 more voters vote again, later, for another option.
        cast_votes += list(pool.map(
            lambda v: cast(v, OPTIONS[(OPTIONS.index(first_choice[v]) + 2) % 3]), later_dups))

    t.check(len(cast_votes) == 1200, "1,200 votes got 202")
    t.check(len({v[2] for v in cast_votes}) == 1200, "every vote_id is unique")

    def receipt(cv):
        s, b, _ = client(srv).receipt(E, cv[0], cv[2])
        assert s == 200, (s, b)
        return cv, b

    def all_settled():
        with ThreadPoolExecutor(16) as pool:
            rs = list(pool.map(receipt, cast_votes))
        return rs if all(b["status"] != "pending" for _, b in rs) else None

    receipts = wait_for(all_settled, what="every receipt to settle")
    counted = {}
    for (voter, option, vid), b in receipts:
        t.check(b["status"] in ("counted", "duplicate"), f"{vid} is counted or duplicate: {b}")
        if b["status"] == "counted":
            t.check(voter not in counted, f"{voter} counted once")
            counted[voter] = option
    t.check(len(counted) == 1000, f"1,000 voters counted, got {len(counted)}")
    for v in voters[100:]:
        t.check(counted.get(v) == first_choice[v], f"first vote wins for {v}")
    for (voter, option, vid), b in receipts:
        if b["status"] == "duplicate":
            t.check(b.get("reason") == "already_voted", "duplicate receipt says already_voted")

    res = c.results(E)
    t.check(res["total"] == 1000, f"results total is 1000, got {res['total']}")
    expected = {o: sum(1 for v in counted.values() if v == o) for o in OPTIONS}
    got = {o["id"]: o["votes"] for o in res["options"]}
    t.check(got == expected, f"results split as counted: {got} vs {expected}")
    t.check([o["id"] for o in res["options"]] == OPTIONS, "options in election order")
    t.check(res["election"] == E and res["status"] == "open" and res["final"] is False,
            "snapshot fields")
    t.check(isinstance(res["seq"], int) and res["seq"] > 0, "snapshot has a seq")

    # A voter cannot read another voter's receipt.
    voter, option, vid = cast_votes[0]
    s, b, _ = client(srv).receipt(E, "someone-else", vid)
    t.check(s == 404 and b["error"]["code"] == "not_found", "other voter's receipt is 404")

    # HTTP/1.1 pipelining: two requests in one write, two answers in order.
    with socket.create_connection(("127.0.0.1", srv.port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /v1/elections/" + E.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        sock.settimeout(5)
        while data.count(b"HTTP/1.1 200") < 2:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        first, second = data.find(b'{"status":"ok"}'), data.find(b'"id":"grand-final"')
        t.check(data.count(b"HTTP/1.1 200") == 2 and 0 <= first < second,
                "pipelined requests answered in order")


if __name__ == "__main__":
    run_with_server("e2e_votes", run)
