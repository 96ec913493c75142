#!/usr/bin/env python3
"""Bad input: every documented error is answered with its status and JSON error code, the
server stays up, and nothing is half-written (catalog and tally unchanged)."""
import socket

from harness import ADMIN_TOKEN, error_expecter, run_with_server, token

E = "bad-input"


def run(srv, t):
    c = srv.client()

    expect = error_expecter(c, t)

    good = {"id": E, "title": "Bad input", "options": [{"id": "x", "label": "X"}, {"id": "y", "label": "Y"}]}
    # --- creation (admin)
    expect(401, "unauthorized", "POST", "/v1/elections", good, what="create without token")
    expect(403, "forbidden", "POST", "/v1/elections", good, bearer="wrong", what="create, bad admin")
    expect(403, "forbidden", "POST", "/v1/elections", good, bearer=token("alice"),
           what="create with a voter token")
    expect(400, "invalid_request", "POST", "/v1/elections", raw="{not json", bearer=ADMIN_TOKEN,
           what="malformed JSON")
    expect(400, "invalid_request", "POST", "/v1/elections", raw="[1,2]", bearer=ADMIN_TOKEN,
           what="JSON array body")
    expect(400, "invalid_request", "POST", "/v1/elections", raw="", bearer=ADMIN_TOKEN, what="empty body")
    for bad, what in [
        (dict(good, id="has space"), "invalid id"),
        (dict(good, id=5), "id of wrong type"),
        (dict(good, title=""), "empty title"),
        (dict(good, options=[]), "empty options"),
        (dict(good, options="x"), "options not an array"),
        (dict(good, options=[{"id": "x", "label": "X"}, {"id": "x", "label": "X2"}]), "duplicate option ids"),
        (dict(good, options=[{"id": "x"}]), "option without label"),
        (dict(good, options=[{"id": "bad id", "label": "X"}]), "invalid option id"),
        (dict(good, id="."), "election id ."),
        (dict(good, id=".."), "election id .."),
        (dict(good, options=[{"id": "..", "label": "X"}]), "option id .."),
        (dict(good, options=[{"id": ".", "label": "X"}]), "option id ."),
        (dict(good, options=[{"id": "-1+1", "label": "X"}]), "option id starting with -"),
        (dict(good, turnout_visibility="hidden"), "hidden turnout with live results"),
    ]:
        expect(400, "invalid_request", "POST", "/v1/elections", bad, bearer=ADMIN_TOKEN, what=what)
    # Duplicate keys, at the top and nested: refused, naming the key (a reader that took the
    # first value would see another election than the one urna would create).
    body = '{"id":"%s","title":"Bad input","options":[{"id":"x","label":"X"}],"id":"other"}' % E
    s, b, _ = c.request("POST", "/v1/elections", raw=body, bearer=ADMIN_TOKEN)
    t.check(s == 400 and b["error"]["code"] == "invalid_request"
            and 'duplicate key "id"' in b["error"]["message"], f"duplicate top-level key: {s} {b}")
    body = '{"id":"%s","title":"T","options":[{"id":"x","label":"X","label":"Y"}]}' % E
    s, b, _ = c.request("POST", "/v1/elections", raw=body, bearer=ADMIN_TOKEN)
    t.check(s == 400 and 'duplicate key "label"' in b["error"]["message"], f"duplicate nested key: {s} {b}")
    s, b, _ = c.request("POST", "/v1/elections", raw=body.replace('"label":"Y"', '"lab\\u0065l":"Y"'),
                        bearer=ADMIN_TOKEN)
    t.check(s == 400 and 'duplicate key "label"' in b["error"]["message"],
            f"duplicate key spelled with an escape: {s} {b}")
    s, _, _ = c.admin("GET", "/v1/elections")
    t.check(s == 200 and c.admin("GET", "/v1/elections")[1]["elections"] == [],
            "no bad request created anything")

    s, b, _ = c.admin("POST", "/v1/elections", good)
    t.check(s == 201 and b["status"] == "draft", f"valid create is 201 draft: {s} {b}")
    expect(409, "conflict", "POST", "/v1/elections", dict(good, title="Other"), bearer=ADMIN_TOKEN,
           what="create an existing id")
    t.check(c.request("GET", f"/v1/elections/{E}")[1]["title"] == "Bad input",
            "conflicting create changed nothing")

    # --- votes before opening
    expect(409, "election_not_open", "POST", f"/v1/elections/{E}/votes", {"option": "x"},
           bearer=token("alice"), what="vote on a draft election")
    expect(409, "conflict", "POST", f"/v1/elections/{E}/close", bearer=ADMIN_TOKEN,
           what="close a draft election")
    expect(401, "unauthorized", "POST", f"/v1/elections/{E}/open", what="open without token")
    t.check(c.admin("POST", f"/v1/elections/{E}/open")[0] == 200, "open is 200")

    # --- voter identity
    vote = f"/v1/elections/{E}/votes"
    expect(401, "unauthorized", "POST", vote, {"option": "x"}, what="vote without token")
    expect(401, "unauthorized", "POST", vote, {"option": "x"}, bearer=token("alice", secret="nope"),
           what="bad signature")
    expect(401, "unauthorized", "POST", vote, {"option": "x"}, bearer=token("alice", alg="none"),
           what="alg none")
    expect(401, "unauthorized", "POST", vote, {"option": "x"}, bearer=token("alice", exp_in=-10),
           what="expired token")
    expect(401, "unauthorized", "POST", vote, {"option": "x"}, bearer="a.b.c", what="garbage token")
    for sub in (".", ".."):
        expect(401, "unauthorized", "POST", vote, {"option": "x"}, bearer=token(sub),
               what=f"voter id {sub!r}")

    # --- vote bodies
    alice = token("alice")
    expect(400, "invalid_request", "POST", vote, raw="{\"option\":", bearer=alice, what="truncated JSON")
    expect(400, "invalid_request", "POST", vote, {"option": 3}, bearer=alice, what="option not a string")
    expect(400, "invalid_request", "POST", vote, {"choice": "x"}, bearer=alice, what="missing option")
    expect(400, "invalid_request", "POST", vote, raw='{"option":"x","option":"y"}', bearer=alice,
           what="duplicate key in a vote")
    expect(400, "invalid_request", "POST", vote, raw='{"option":"x","extra":{"k":1,"k":2}}', bearer=alice,
           what="duplicate key nested in a vote")
    expect(422, "unknown_option", "POST", vote, {"option": "zzz"}, bearer=alice, what="unknown option")
    expect(404, "not_found", "POST", "/v1/elections/nope/votes", {"option": "x"}, bearer=alice,
           what="vote in an unknown election")
    expect(413, "payload_too_large", "POST", vote, raw="{\"option\":\"" + "x" * 100000 + "\"}",
           bearer=alice, what="huge body")
    c = srv.client()  # the server closes the connection after a 413
    expect = error_expecter(c, t)

    # --- lookups and routes
    expect(404, "not_found", "GET", "/v1/elections/nope", what="unknown election")
    expect(404, "not_found", "GET", "/v1/elections/nope/results", what="results of unknown election")
    expect(404, "not_found", "GET", "/v1/nothing/here", what="unknown route")
    expect(405, "method_not_allowed", "PATCH", f"/v1/elections/{E}", what="wrong method")
    expect(405, "method_not_allowed", "GET", vote, what="GET on votes")
    expect(400, "invalid_request", "GET", f"/v1/elections/{E}/votes/not-a-uuid", bearer=alice,
           what="malformed vote id")
    expect(404, "not_found", "GET", f"/v1/elections/{E}/votes/01890000-0000-7000-8000-000000000000",
           bearer=alice, what="unknown vote id")

    # --- a malformed HTTP request gets 400 and the server stays up
    with socket.create_connection(("127.0.0.1", srv.port)) as sock:
        sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        sock.settimeout(5)
        data = sock.recv(4096)
        t.check(data.startswith(b"HTTP/1.1 400"), f"garbage request gets 400: {data[:40]!r}")

    # Nothing above counted or appended anything.
    res = c.results(E)
    t.check(res["total"] == 0, f"no bad request changed the tally: {res}")
    s, b, _ = c.vote(E, "alice", "x")
    t.check(s == 202, "the server still takes a good vote")
    s, b, _ = c.admin("POST", f"/v1/elections/{E}/close")
    t.check(s == 200 and b["status"] == "closed", "close is 200")
    expect(409, "election_not_open", "POST", vote, {"option": "x"}, bearer=token("bob"),
           what="vote after close")
    expect(409, "conflict", "POST", f"/v1/elections/{E}/open", bearer=ADMIN_TOKEN,
           what="reopen a closed election")


if __name__ == "__main__":
    run_with_server("e2e_bad_input", run)
