#!/usr/bin/env python3
"""Trusted gateway batches (POST /v1/elections/{id}/votes:batch) against the real `urna serve`:
gateways created (secret shown once) and revoked; per-vote results in order; idempotent retries
by ref (the same ref is one vote, never counted twice, never a duplicate of itself); voters
namespaced per gateway unless the election shares its voter space; malformed batches refused
with clear errors and nothing appended; a batch racing the close; a kill -9 in the middle of
batches, then retries: every vote reported accepted counted exactly once."""
import argparse
import csv
import io
import json
import random
import re
import socket
import threading

from harness import Checks, Server, TempDataDir, Workers, error_expecter, token, wait_for

MAX_VOTES = 200        # --batch-max-votes for this test
MAX_BODY = 32 * 1024   # --batch-max-body for this test
ARGS = ["--batch-max-votes", str(MAX_VOTES), "--batch-max-body", str(MAX_BODY)]


def metric(c, name):
    s, text, _ = c.request("GET", "/metrics")
    m = re.search(rf"^{name} (\d+)", text.decode() if isinstance(text, bytes) else text, re.M)
    return int(m.group(1))


def create_gateway(c, gid, elections=None):
    body = {"id": gid} if elections is None else {"id": gid, "elections": elections}
    s, b, _ = c.admin("POST", "/v1/gateways", body)
    assert s == 201, (s, b)
    return b["secret"]


def batch(c, secret, election, votes):
    return c.request("POST", f"/v1/elections/{election}/votes:batch", {"votes": votes},
                     bearer=secret)


def create(c, eid, options, open_=True, **extra):
    s, b, _ = c.admin("POST", "/v1/elections", {
        "id": eid, "title": eid, "options": [{"id": o, "label": o} for o in options], **extra})
    assert s == 201, (s, b)
    if open_:
        s, b, _ = c.admin("POST", f"/v1/elections/{eid}/open")
        assert s == 200, (s, b)


def ledger_vote_ids(c, eid):
    s, text, _ = c.admin("GET", f"/v1/elections/{eid}/audit/ledger.csv")
    assert s == 200, (s, text)
    text = text.decode() if isinstance(text, bytes) else text
    return {row["vote_id"] for row in csv.DictReader(io.StringIO(text))}


def close_and_audit(t, c, eid):
    s, b, _ = c.admin("POST", f"/v1/elections/{eid}/close")
    t.check(s == 200, f"close {eid}: {s} {b}")
    job = c.recount(eid)
    rep = job.get("report", {})
    t.check(job["state"] == "done" and rep.get("agree"), f"{eid}: recount agrees: {job}")
    s, audit, _ = c.admin("GET", f"/v1/elections/{eid}/audit")
    t.check(s == 200, f"{eid}: audit report")
    return audit


def gateways_and_errors(t, c):
    expect = error_expecter(c, t)
    s, b, _ = c.admin("POST", "/v1/gateways", {"id": "sms-br", "elections": ["e1"]})
    t.check(s == 201 and b["id"] == "sms-br" and b["elections"] == ["e1"]
            and b["secret"].startswith("urna_gw_") and b["revoked_at"] is None,
            f"POST /v1/gateways: 201 with the secret once: {s} {b}")
    secret = b["secret"]
    expect(409, "conflict", "POST", "/v1/gateways", {"id": "sms-br"}, bearer="e2e-admin-token",
           what="a gateway id exists")
    expect(400, "invalid_request", "POST", "/v1/gateways", {"id": "bad id"},
           bearer="e2e-admin-token", what="bad gateway id")
    expect(400, "invalid_request", "POST", "/v1/gateways", {"id": "g", "elections": []},
           bearer="e2e-admin-token", what="empty elections")
    expect(400, "invalid_request", "POST", "/v1/gateways", {"id": "g", "secret": "x"},
           bearer="e2e-admin-token", what="unknown field")
    expect(401, "unauthorized", "POST", "/v1/gateways", {"id": "g2"}, what="no admin token")
    expect(403, "forbidden", "POST", "/v1/gateways", {"id": "g2"}, bearer=secret,
           what="a gateway secret is not the admin token")
    expect(401, "unauthorized", "POST", "/v1/elections/e1/votes:batch",
           {"votes": [{"voter": "a", "option": "a", "ref": "1"}]}, what="no secret")
    expect(401, "unauthorized", "POST", "/v1/elections/e1/votes:batch",
           {"votes": [{"voter": "a", "option": "a", "ref": "1"}]}, bearer="urna_gw_" + "0" * 64,
           what="unknown secret")
    expect(401, "unauthorized", "POST", "/v1/elections/e1/votes:batch",
           {"votes": [{"voter": "a", "option": "a", "ref": "1"}]}, bearer=token("alice"),
           what="a voter token is no gateway secret")
    expect(403, "forbidden", "POST", "/v1/elections/e2/votes:batch",
           {"votes": [{"voter": "a", "option": "a", "ref": "1"}]}, bearer=secret,
           what="a gateway limited to e1 votes in e2")
    expect(404, "not_found", "DELETE", "/v1/gateways/nope", bearer="e2e-admin-token",
           what="revoke an unknown gateway")
    return secret


def per_vote_results(t, c, secret):
    durable0 = metric(c, "urna_votes_durable_total")
    votes = [
        {"voter": "alice", "option": "a", "ref": "r1"},
        {"voter": "bob", "option": "zzz", "ref": "r2"},            # unknown option
        {"voter": "carol", "option": "b", "ref": "r3"},
        {"voter": "bad voter", "option": "a", "ref": "r4"},        # invalid voter id
        {"voter": "dave", "option": "a"},                          # no ref
        "not an object",
        {"voter": "erin", "option": "b", "ref": "has space"},      # invalid ref
        {"voter": "alice", "option": "a", "ref": "r1"},            # r1 again: the same vote
        {"voter": "gina", "option": 7, "ref": "r9"},               # option not a string
        {"voter": "frank", "option": "a", "ref": "r1"},            # r1 for another voter
        {"voter": "alice", "option": "b", "ref": "r1"},            # r1 for another option
    ]
    s, b, _ = batch(c, secret, "e1", votes)
    t.check(s == 200 and len(b["results"]) == len(votes), f"batch answers 200, one per vote: {s} {b}")
    r = b["results"]
    codes = [x.get("status") or x["error"]["code"] for x in r]
    t.check(codes == ["accepted", "unknown_option", "accepted", "invalid_request",
                      "invalid_request", "invalid_request", "invalid_request", "accepted",
                      "invalid_request", "conflict", "conflict"], f"per-vote results in order: {codes}")
    t.check(r[9]["error"]["message"] == "ref r1 was already used for another vote",
            f"a reused ref says so: {r[9]}")
    t.check(all(x["error"].get("message") for x in r if "error" in x), "every error has a message")
    t.check(r[7]["vote_id"] == r[0]["vote_id"], "a ref twice in one batch is one vote")
    t.check(metric(c, "urna_votes_durable_total") - durable0 == 2,
            "only the two accepted votes were appended")

    # Idempotent retry: the same batch again answers the same vote_ids and appends nothing.
    s, b2, _ = batch(c, secret, "e1", votes)
    t.check(s == 200 and [x.get("vote_id") for x in b2["results"]] == [x.get("vote_id") for x in r],
            f"a retry answers the same vote_ids: {b2}")
    t.check([x.get("status") or x["error"]["code"] for x in b2["results"]] == codes,
            f"a retry answers the same results: {b2}")
    t.check(metric(c, "urna_votes_durable_total") - durable0 == 2, "a retry appends nothing")

    # Namespaced voters: the token voter "alice" is another voter than the gateway's "alice".
    s, v, _ = c.vote("e1", "alice", "b")
    t.check(s == 202, f"token voter alice votes: {s} {v}")
    res = wait_for(lambda: (lambda x: x if x["total"] == 3 else None)(c.results("e1")),
                   what="3 votes counted in e1")
    t.check({o["id"]: o["votes"] for o in res["options"]} == {"a": 1, "b": 2},
            f"gateway alice and token alice both count (namespaced): {res}")
    return [r[0]["vote_id"], r[2]["vote_id"]], v["vote_id"]


def shared_voters(t, c):
    create(c, "shared", ["a", "b"], gateway_voters="shared")
    s, e, _ = c.request("GET", "/v1/elections/shared")
    t.check(e["gateway_voters"] == "shared", f"the election says gateway_voters shared: {e}")
    s, e, _ = c.request("GET", "/v1/elections/e1")
    t.check(e["gateway_voters"] == "namespaced", "the default is namespaced")
    expect = error_expecter(c, t)
    expect(400, "invalid_request", "POST", "/v1/elections",
           {"id": "x", "title": "x", "options": [{"id": "a", "label": "a"}],
            "gateway_voters": "everyone"}, bearer="e2e-admin-token", what="bad gateway_voters")
    secret = create_gateway(c, "partner")
    s, v, _ = c.vote("shared", "zoe", "a")
    t.check(s == 202, "token voter zoe votes in the shared election")
    wait_for(lambda: c.results("shared")["total"] == 1, what="zoe counted")
    s, b, _ = batch(c, secret, "shared", [{"voter": "zoe", "option": "b", "ref": "z1"}])
    t.check(s == 200 and b["results"][0]["status"] == "accepted", f"gateway vote for zoe: {b}")
    audit = close_and_audit(t, c, "shared")
    t.check(audit["votes"]["counted"] == 1 and audit["votes"]["duplicate"] == 1,
            f"shared voter space: zoe's second vote (through the gateway) is a duplicate: "
            f"{audit['votes']}")


def large_batch_head(port, bearer):
    """Sends only the head of a batch whose body would be larger than 16 KiB; returns the
    answer's status, its WWW-Authenticate header and its body (JSON), or None if the server
    waited for the body instead of answering."""
    head = (f"POST /v1/elections/e1/votes:batch HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: application/json\r\nContent-Length: {MAX_BODY - 100}\r\n")
    if bearer:
        head += f"Authorization: Bearer {bearer}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall((head + "\r\n").encode())
        answer = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
                top, sep, rest = answer.partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", top)
                if sep and m and len(rest) >= int(m.group(1)):
                    break
        except socket.timeout:
            return None
    top, _, rest = answer.partition(b"\r\n\r\n")
    if not top.startswith(b"HTTP/1.1 "):
        return None
    auth = re.search(rb"WWW-Authenticate: ([^\r]*)", top)
    return (int(top[9:12]), auth.group(1).decode() if auth else None, json.loads(rest or b"{}"))


def same_refusal_for_large_body(t, c, bearer, what):
    got = large_batch_head(c.port, bearer)
    s, b, resp = c.request("POST", "/v1/elections/e1/votes:batch",
                           {"votes": [{"voter": "a", "option": "a", "ref": "1"}]}, bearer=bearer)
    want = (s, resp.getheader("WWW-Authenticate"), b["error"]["code"])
    t.check(got is not None and s in (401, 403)
            and (got[0], got[1], got[2].get("error", {}).get("code")) == want,
            f"a large batch body with {what} is refused before it is read, as a small one is "
            f"({want}): {got}")


def malformed(t, c, secret):
    expect = error_expecter(c, t)
    durable0 = metric(c, "urna_votes_durable_total")
    many = [{"voter": f"m{i}", "option": "a", "ref": f"m{i}"} for i in range(MAX_VOTES + 1)]
    b = expect(413, "payload_too_large", "POST", "/v1/elections/e1/votes:batch", {"votes": many},
               bearer=secret, what="too many votes")
    t.check(str(MAX_VOTES) in b["error"]["message"], f"the message says the limit: {b}")
    huge = [{"voter": f"h{i:03d}" + "v" * 120, "option": "a", "ref": f"{i:03d}" + "x" * 120}
            for i in range(MAX_VOTES)]  # ~55 KB
    s, b, resp = c.request("POST", "/v1/elections/e1/votes:batch", {"votes": huge}, bearer=secret)
    t.check(s == 413 and b["error"]["code"] == "payload_too_large"
            and str(MAX_BODY) in b["error"]["message"],
            f"a body over --batch-max-body: {s} {str(b)[:300]}")
    c.conn.close()  # the server closes after a 413
    for raw, what in [("{", "not JSON"), ('{"votes": 3}', "votes not an array"),
                      ('{"votes": []}', "no votes"), ("[]", "not an object"),
                      ('{"votes":[{"voter":"a","option":"a","option":"b","ref":"d"}]}',
                       "a duplicate key")]:
        expect(400, "invalid_request", "POST", "/v1/elections/e1/votes:batch", raw=raw,
               bearer=secret, what=f"malformed batch: {what}")
    expect(404, "not_found", "POST", "/v1/elections/nope/votes:batch",
           {"votes": [{"voter": "a", "option": "a", "ref": "1"}]},
           bearer=create_gateway(c, "all-elections"), what="unknown election")
    # Only a live gateway may send a body larger than the 16 KiB of other routes: anyone else
    # is refused from the head alone, before the body is sent (the server does not wait for it),
    # with the answer the route gives that credential for a small body.
    for bearer, what in [(None, "no credential"), ("urna_gw_" + "0" * 64, "an unknown secret"),
                         (token("x"), "a voter token")]:
        same_refusal_for_large_body(t, c, bearer, what)
    # Other routes keep their own 16 KiB limit.
    s, b, _ = c.request("POST", "/v1/elections/e1/votes", raw="{" + " " * 20000 + "}",
                        bearer=token("x"))
    t.check(s == 413, f"a single vote's body keeps the 16 KiB limit: {s}")
    c.conn.close()
    t.check(metric(c, "urna_votes_durable_total") == durable0, "malformed batches append nothing")


def revoke(t, c, secret):
    s, b, _ = c.admin("DELETE", "/v1/gateways/sms-br")
    t.check(s == 200 and b["revoked_at"], f"DELETE /v1/gateways/sms-br: {s} {b}")
    same_refusal_for_large_body(t, c, secret, "a revoked gateway's secret")
    s, b, _ = batch(c, secret, "e1", [{"voter": "late", "option": "a", "ref": "late"}])
    t.check(s == 403 and b["error"]["code"] == "forbidden" and "revoked" in b["error"]["message"],
            f"a revoked gateway is refused: {s} {b}")


def race_close(t, c, srv):
    """Gateways send batches while the election closes: every vote answered accepted is counted,
    no vote is behind the seal, and batches after the close get 409 election_not_open."""
    create(c, "race", ["a", "b"])
    secret = create_gateway(c, "race-gw")
    accepted, lock, closed = [], threading.Lock(), threading.Event()
    unexpected = []

    def sender(k):
        cc = srv.client()
        for n in range(10000):
            votes = [{"voter": f"k{k}n{n}i{i}", "option": "ab"[i % 2], "ref": f"{k}-{n}-{i}"}
                     for i in range(50)]
            s, b, _ = batch(cc, secret, "race", votes)
            if s == 409 and b["error"]["code"] == "election_not_open":
                return
            if s != 200:
                unexpected.append((s, b))
                return
            with lock:
                accepted.extend(x["vote_id"] for x in b["results"] if x.get("status") == "accepted")

    w = Workers(sender, [(k,) for k in range(4)], name="batcher").start()
    wait_for(lambda: len(accepted) >= 2000, what="some batches before the close")
    s, b, _ = c.admin("POST", "/v1/elections/race/close")
    closed.set()
    t.check(s == 200, f"close while batches flow: {s} {b}")
    errors = w.join()
    t.check(not errors and not unexpected, f"batchers: {errors[:2]} {unexpected[:2]}")
    job = c.recount("race")
    rep = job.get("report", {})
    t.check(job["state"] == "done" and rep.get("agree"), f"race: recount agrees {job}")
    s, audit, _ = c.admin("GET", "/v1/elections/race/audit")
    t.check(audit["votes"]["counted"] == len(accepted) and not audit["votes"]["rejected"]
            and audit["votes"]["log_entries"] == len(accepted),
            f"every accepted vote counted, none behind the seal: {audit['votes']} vs {len(accepted)}")
    t.check(ledger_vote_ids(c, "race") == set(accepted), "the ledger holds exactly the accepted votes")


def crash(t, args, d):
    """kill -9 while batches flow, restart, resend every batch (same refs): each ref is one vote
    with one vote_id across all answers, and every ref reported accepted is counted once."""
    srv = Server(args.urna, d, ARGS).start()
    c = srv.client()
    create(c, "crash", ["a", "b", "c"])
    secret = create_gateway(c, "crash-gw")
    rng = random.Random(11)
    batches = {}  # batch number -> votes
    ids = {}      # ref -> vote_id answered
    lock = threading.Lock()
    bad = []

    def record(b, votes, what):
        for v, x in zip(votes, b["results"]):
            t.check(x.get("status") == "accepted", f"{what}: {x}")
            if x.get("status") == "accepted":
                with lock:
                    old = ids.setdefault(v["ref"], x["vote_id"])
                if old != x["vote_id"]:
                    bad.append((v["ref"], old, x["vote_id"]))

    def sender(k, srv, stop):
        cc = srv.client()
        for n in range(100000):
            if stop.is_set():
                return
            key = (k, n)
            votes = [{"voter": f"c{k}-{n}-{i}", "option": "abc"[(k + n + i) % 3],
                      "ref": f"{k}.{n}.{i}"} for i in range(100)]
            with lock:
                batches.setdefault(key, votes)
            try:
                s, b, _ = batch(cc, secret, "crash", votes)
            except Exception:  # noqa: BLE001 - the server is gone
                return
            if s == 200:
                record(b, votes, "before the crash")

    for round_ in range(2):
        stop = threading.Event()
        w = Workers(sender, [(k + 10 * round_, srv, stop) for k in range(4)], name="batcher").start()
        target = len(ids) + rng.randint(1000, 4000)
        wait_for(lambda: len(ids) >= target, what=f"{target} accepted gateway votes")
        srv.kill9()
        stop.set()
        w.join()
        print(f"round {round_}: {len(ids)} refs accepted, {len(batches)} batches sent", flush=True)
        srv = Server(args.urna, d, ARGS).start()
    c = srv.client()
    # Every batch again, answered or not: the same refs.
    for key, votes in sorted(batches.items()):
        s, b, _ = batch(c, secret, "crash", votes)
        t.check(s == 200, f"retry {key}: {s}")
        if s == 200:
            record(b, votes, f"retry {key}")
    t.check(not bad, f"a ref keeps its vote_id across the crash and retries: {bad[:3]}")
    n_refs = sum(len(v) for v in batches.values())
    t.check(len(ids) == n_refs, f"every ref is accepted after the retries: {len(ids)} of {n_refs}")
    audit = close_and_audit(t, c, "crash")
    v = audit["votes"]
    t.check(v["counted"] == n_refs and v["duplicate"] == 0 and v["log_entries"] == n_refs,
            f"each ref counted exactly once, never a duplicate of itself: {v} vs {n_refs}")
    t.check(ledger_vote_ids(c, "crash") == set(ids.values()),
            "the ledger holds exactly the vote_ids the gateway was answered")
    t.check(srv.stop() == 0, "SIGTERM exits 0")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_batch")
    with TempDataDir() as d:
        srv = Server(args.urna, d, ARGS).start()
        try:
            c = srv.client()
            create(c, "e1", ["a", "b"])
            create(c, "e2", ["a", "b"])
            secret = gateways_and_errors(t, c)
            per_vote_results(t, c, secret)
            shared_voters(t, c)
            malformed(t, c, secret)
            # A restart keeps the gateway (only its hash is stored) and its refs.
            t.check(srv.stop() == 0, "SIGTERM exits 0")
            srv = Server(args.urna, d, ARGS).start()
            c = srv.client()
            s, b, _ = batch(c, secret, "e1", [{"voter": "alice", "option": "a", "ref": "r1"}])
            t.check(s == 200 and b["results"][0]["status"] == "accepted",
                    f"the secret works after a restart: {s} {b}")
            revoke(t, c, secret)
            audit = close_and_audit(t, c, "e1")
            t.check(audit["votes"]["log_entries"] == 3 and audit["votes"]["counted"] == 3
                    and audit["votes"]["duplicate"] == 0,
                    f"e1: 2 gateway votes + 1 token vote, retries added nothing: {audit['votes']}")
            race_close(t, c, srv)
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
    with TempDataDir() as d:
        crash(t, args, d)
    t.finish()


if __name__ == "__main__":
    main()
