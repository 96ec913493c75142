#!/usr/bin/env python3
"""Bot defence by proof of work (ALTCHA v1 format), over plain HTTP: an election created with
bot_protection "pow" hands out signed challenges; a vote without a solution is refused with
challenge_required, a forged, wrong, expired-looking or replayed one with challenge_invalid, and
a solved one (solved here with hashlib) is accepted and counted. The setting survives a restart,
and challenges handed out before a restart do not work after it."""
import base64
import hashlib
import json
import re
import time

from harness import (ADMIN_TOKEN, Server, TempDataDir, error_expecter, run_with_server, token,
                     wait_for)

E, NONE_E, OTHER_E = "pow", "pow-none", "pow-other"


def solve(c):
    """What the widget does: try numbers until SHA-256(salt + number) is the challenge."""
    for n in range(c["maxnumber"] + 1):
        if hashlib.sha256((c["salt"] + str(n)).encode()).hexdigest() == c["challenge"]:
            return n
    raise AssertionError(f"no solution up to maxnumber: {c}")


def payload(c, number=None, **override):
    p = {"algorithm": c["algorithm"], "challenge": c["challenge"],
         "number": solve(c) if number is None else number, "salt": c["salt"],
         "signature": c["signature"], "took": 5}
    p.update(override)
    return base64.b64encode(json.dumps(p).encode()).decode()


def run(srv, t):
    c = srv.client()

    expect = error_expecter(c, t)

    base = {"title": "PoW", "options": [{"id": "x", "label": "X"}, {"id": "y", "label": "Y"}]}
    # --- the setting
    for bad, what in [({"bot_protection": "captcha"}, "unknown bot_protection"),
                      ({"bot_protection": 1}, "bot_protection not a string"),
                      ({"bot_protection": "pow", "pow_max_number": 0}, "difficulty 0"),
                      ({"bot_protection": "pow", "pow_max_number": 10**8}, "difficulty too high"),
                      ({"bot_protection": "pow", "pow_max_number": "5"}, "difficulty not a number"),
                      ({"bot_protection": "pow", "pow_max_number": -5}, "negative difficulty"),
                      ({"pow_max_number": 1000}, "difficulty without pow")]:
        expect(400, "invalid_request", "POST", "/v1/elections", dict(base, id="bad", **bad),
               bearer=ADMIN_TOKEN, what=what)
    s, b, _ = c.admin("POST", "/v1/elections", dict(base, id=E, bot_protection="pow",
                                                     pow_max_number=20000))
    t.check(s == 201 and b.get("bot_protection") == "pow" and b.get("pow_max_number") == 20000,
            f"create a pow election: {s} {b}")
    s, b, _ = c.admin("POST", "/v1/elections", dict(base, id=OTHER_E, bot_protection="pow"))
    t.check(s == 201 and b["pow_max_number"] == 100000, f"default difficulty 100,000: {b}")
    s, b, _ = c.admin("POST", "/v1/elections", dict(base, id=NONE_E))
    t.check(s == 201 and b["bot_protection"] == "none" and b["pow_max_number"] is None,
            f"default is none: {b}")
    for e in (E, OTHER_E, NONE_E):
        c.admin("POST", f"/v1/elections/{e}/open")

    # --- the challenge
    expect(404, "not_found", "GET", f"/v1/elections/{NONE_E}/challenge",
           what="no challenge for an election without pow")
    expect(404, "not_found", "GET", "/v1/elections/nope/challenge", what="unknown election")
    s, ch, resp = c.request("GET", f"/v1/elections/{E}/challenge")
    t.check(s == 200 and set(ch) == {"algorithm", "challenge", "maxnumber", "salt", "signature"},
            f"challenge has the ALTCHA fields: {s} {ch}")
    t.check(resp.getheader("Cache-Control") == "no-store", "challenges are not cached")
    t.check(ch["algorithm"] == "SHA-256" and ch["maxnumber"] == 20000
            and re.fullmatch(r"[0-9a-f]{64}", ch["challenge"])
            and re.fullmatch(r"[0-9a-f]{64}", ch["signature"]), f"challenge values: {ch}")
    m = re.fullmatch(r"[0-9a-f]{24}\?expires=(\d+)&election=pow&", ch["salt"])
    t.check(m and abs(int(m.group(1)) - (time.time() + 300)) < 60,
            f"the salt carries an expiry about 5 minutes ahead and the election: {ch['salt']}")

    # --- votes
    vote = f"/v1/elections/{E}/votes"
    t.check(c.vote(NONE_E, "alice", "x")[0] == 202, "an election without pow needs no solution")
    expect(400, "challenge_required", "POST", vote, {"option": "x"}, bearer=token("alice"),
           what="vote without a solution")
    expect(400, "challenge_required", "POST", vote, {"option": "x", "altcha": None},
           bearer=token("alice"), what="altcha null")
    expect(400, "challenge_invalid", "POST", vote, {"option": "x", "altcha": 5},
           bearer=token("alice"), what="altcha not a string")
    expect(400, "challenge_invalid", "POST", vote, {"option": "x", "altcha": "not base64!"},
           bearer=token("alice"), what="altcha not base64")
    expect(400, "challenge_invalid", "POST", vote,
           {"option": "x", "altcha": base64.b64encode(b"[1]").decode()},
           bearer=token("alice"), what="altcha not a JSON object")
    expect(400, "challenge_invalid", "POST", vote, {"option": "x", "altcha": "A" * 10000},
           bearer=token("alice"), what="huge altcha")
    n = solve(ch)
    forged = "0" * 64
    b = expect(400, "challenge_invalid", "POST", vote,
               {"option": "x", "altcha": payload(ch, n, signature=forged)},
               bearer=token("alice"), what="forged signature")
    t.check("signature" in b["error"]["message"], f"the message says why: {b}")
    # A self-made challenge (the client picks salt and number, hashes them, forges nothing
    # else): the signature cannot match.
    salt = "00?expires=9999999999&election=pow&"
    own = {"algorithm": "SHA-256", "challenge": hashlib.sha256((salt + "1").encode()).hexdigest(),
           "salt": salt, "signature": ch["signature"], "maxnumber": 1}
    expect(400, "challenge_invalid", "POST", vote, {"option": "x", "altcha": payload(own, 1)},
           bearer=token("alice"), what="self-made challenge")
    b = expect(400, "challenge_invalid", "POST", vote,
               {"option": "x", "altcha": payload(ch, n + 1)}, bearer=token("alice"),
               what="wrong number")
    t.check("does not solve" in b["error"]["message"], f"the message says why: {b}")
    s, other, _ = c.request("GET", f"/v1/elections/{OTHER_E}/challenge")
    expect(400, "challenge_invalid", "POST", vote, {"option": "x", "altcha": payload(other)},
           bearer=token("alice"), what="another election's challenge")
    t.check(c.results(E)["total"] == 0, "nothing refused was counted")

    good = payload(ch, n)
    s, b, _ = c.request("POST", vote, {"option": "x", "altcha": good}, bearer=token("alice"))
    t.check(s == 202, f"a solved challenge is accepted: {s} {b}")
    vote_id = b.get("vote_id") if isinstance(b, dict) else None
    b = expect(400, "challenge_invalid", "POST", vote, {"option": "y", "altcha": good},
               bearer=token("bob"), what="replayed solution")
    t.check("already used" in b["error"]["message"], f"the message says why: {b}")
    wait_for(lambda: c.receipt(E, "alice", vote_id)[1].get("status") == "counted", 30,
             what="alice's vote counted")
    t.check(c.results(E)["total"] == 1, "one vote counted")

    # --- restart: the setting is stored; earlier challenges are void
    s, held, _ = c.request("GET", f"/v1/elections/{E}/challenge")
    t.check(srv.stop() == 0, "stops cleanly")
    srv.start()
    c = srv.client()
    expect = error_expecter(c, t)  # on the new connection
    s, b, _ = c.request("GET", f"/v1/elections/{E}")
    t.check(b.get("bot_protection") == "pow" and b.get("pow_max_number") == 20000,
            f"the setting survives a restart: {b}")
    expect(400, "challenge_invalid", "POST", vote, {"option": "x", "altcha": good},
           bearer=token("bob"), what="a solution used before the restart")
    expect(400, "challenge_invalid", "POST", vote, {"option": "x", "altcha": payload(held)},
           bearer=token("bob"), what="a challenge handed out before the restart")
    s, fresh, _ = c.request("GET", f"/v1/elections/{E}/challenge")
    s, b, _ = c.request("POST", vote, {"option": "y", "altcha": payload(fresh)}, bearer=token("bob"))
    t.check(s == 202, f"a fresh challenge after the restart works: {s} {b}")

    limits(srv, t)


def limits(srv, t):
    """--pow-ttl sets the expiry; --pow-replay-capacity bounds the replay set: when full, votes
    that need a solution get 503 until the entries expire, then they pass again."""
    with TempDataDir() as d:
        small = Server(srv.urna, d, ["--pow-ttl", "10", "--pow-replay-capacity", "1"]).start()
        try:
            c = small.client()
            c.admin("POST", "/v1/elections", {"id": E, "title": "PoW", "bot_protection": "pow",
                                              "pow_max_number": 1000,
                                              "options": [{"id": "x", "label": "X"}]})
            c.admin("POST", f"/v1/elections/{E}/open")
            vote = f"/v1/elections/{E}/votes"

            def fresh():
                return payload(c.request("GET", f"/v1/elections/{E}/challenge")[1])
            s, ch, _ = c.request("GET", f"/v1/elections/{E}/challenge")
            m = re.search(r"expires=(\d+)", ch["salt"])
            t.check(m and abs(int(m.group(1)) - (time.time() + 10)) < 5, f"--pow-ttl 10: {ch['salt']}")
            s, b, _ = c.request("POST", vote, {"option": "x", "altcha": fresh()}, bearer=token("v1"))
            t.check(s == 202, f"first vote within capacity: {s} {b}")
            s, b, resp = c.request("POST", vote, {"option": "x", "altcha": fresh()}, bearer=token("v2"))
            t.check(s == 503 and b["error"]["code"] == "unavailable"
                    and resp.getheader("Retry-After") == "1",
                    f"replay set full: 503 with Retry-After, nothing forgotten: {s} {b}")
            started = time.time()
            s = wait_for(lambda: c.request("POST", vote, {"option": "x", "altcha": fresh()},
                                           bearer=token("v2"))[0] == 202, timeout=40, interval=0.5,
                         what="the replay set to free up as its entry expires")
            t.check(s, f"recovers by itself once the used challenge expired "
                       f"({time.time() - started:.1f} s)")
        finally:
            t.check(small.stop() == 0, "the small server stops cleanly")


if __name__ == "__main__":
    run_with_server("e2e_pow", run)
