#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/<target>/ (run from anywhere; overwrites the seeds it
makes, leaves other files alone, e.g. regression inputs added by hand). Standard library only."""
import base64
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
# Must match the constants in voter_token_fuzzer.cc.
VOTER_SECRET = b"fuzz-voter-secret-0123456789abcdef"
NOW = 1_700_000_000
# For the ALTCHA payload fuzzer to come (see CMakeLists.txt): its fixed HMAC key.
ALTCHA_KEY = b"fuzz-altcha-key-0123456789abcdef"


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- HTTP requests: what clients send on one connection ---------------------------------------
def http_seeds():
    vote = '{"option":"a"}'
    seeds = {
        "get_healthz": "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        "get_results_query": "GET /v1/elections/e1/results?since=3 HTTP/1.1\r\nHost: x\r\n"
                             "If-None-Match: \"7\"\r\n\r\n",
        "post_vote": "POST /v1/elections/e1/votes HTTP/1.1\r\nHost: x\r\n"
                     "Authorization: Bearer abc.def.ghi\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(vote)}\r\n\r\n{vote}",
        "post_vote_chunked": "POST /v1/elections/e1/votes HTTP/1.1\r\nHost: x\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n"
                             "5\r\n{\"opt\r\n9;ext=1\r\nion\":\"a\"}\r\n0\r\nTrailer: t\r\n\r\n",
        "pipelined": "GET /v1/elections HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /v1/elections/e1/votes/v1 HTTP/1.1\r\nHost: x\r\n\r\n"
                     "POST /v1/elections/e1/close HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n",
        "http10": "GET /e/e1 HTTP/1.0\r\n\r\n",
        "x_forwarded_for": "POST /v1/elections/e1/votes HTTP/1.1\r\nHost: x\r\n"
                           "X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\n"
                           "X-Forwarded-For: [2001:db8::1]:443\r\nContent-Length: 2\r\n\r\n{}",
        "websocket": "GET /v1/elections/e1/results/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
        "too_long_body": "POST /v1/elections HTTP/1.1\r\nContent-Length: 99999\r\n\r\n{",
        "bad_method_405": "DELETE /v1/elections/e1 HTTP/1.1\r\nHost: x\r\n\r\n",
        "odd_path": "GET //v1//elections/./e1/../x?%00=1 HTTP/1.1\r\nHost: x\r\n\r\n",
        "double_length": "POST /v1/elections HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    }
    for name, s in seeds.items():
        write("http_request", name, s)


# --- JSON bodies ---------------------------------------------------------------------------------
def json_seeds():
    votes = {
        "option": '{"option":"a"}',
        "option_altcha": '{"option":"yes","altcha":"eyJhbGdvcml0aG0iOiJTSEEtMjU2In0="}',
        "unicode": '{"option":"\\u00e9l\\ud83d\\ude00","x":[1,2.5e10,-0,true,false,null]}',
        "duplicate_key": '{"option":"a","option":"b"}',
        "nested": '{"option":{"a":[[[{}]]]}}',
        "not_object": '["option","a"]',
        "empty": '{}',
        "comment": '{"option":"a"/*x*/}',
    }
    for name, s in votes.items():
        write("vote_body", name, s)
    spec = {"id": "board-2026", "title": "Board election",
            "options": [{"id": "alice", "label": "Alice"}, {"id": "bob", "label": "Bob"}]}
    elections = {
        "valid": json.dumps(spec),
        "hidden": json.dumps(dict(spec, results_visibility="hidden_until_closed")),
        "live": json.dumps(dict(spec, results_visibility="live", extra={"ignored": True})),
        "hidden_public_turnout": json.dumps(dict(spec, results_visibility="hidden_until_closed",
                                                 turnout_visibility="public")),
        "bad_turnout": json.dumps(dict(spec, turnout_visibility=True)),
        "bad_visibility": json.dumps(dict(spec, results_visibility="secret")),
        "rendered_election": json.dumps(dict(spec, status="draft", created_at=None,
                                             results_visibility="live", turnout_visibility="public",
                                             bot_protection="none", pow_max_number=None)),
        "pow": json.dumps(dict(spec, bot_protection="pow", pow_max_number=5000)),
        "pow_negative": json.dumps(dict(spec, bot_protection="pow", pow_max_number=-1)),
        "duplicate_option": json.dumps(dict(spec, options=[{"id": "a", "label": "A"}] * 2)),
        "dot_id": json.dumps(dict(spec, id="..")),
        "formula_option": json.dumps(dict(spec, options=[{"id": "=1+1", "label": "f"}])),
        "option_not_object": json.dumps(dict(spec, options=["a"])),
        "no_title": json.dumps({"id": "x", "options": []}),
        "unicode_label": json.dumps(dict(spec, title="Wahl \u00fc\u00df \U0001f5f3"),
                                    ensure_ascii=False),
    }
    for name, s in elections.items():
        write("election_spec", name, s)


# --- JWTs ----------------------------------------------------------------------------------------
def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(claims, alg="HS256", key=VOTER_SECRET, header=None):
    h = b64u(json.dumps(header or {"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    p = b64u(json.dumps(claims, separators=(",", ":")).encode())
    signing = f"{h}.{p}".encode()
    if alg == "none":
        return f"{h}.{p}."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return f"{h}.{p}.{b64u(hmac.new(key, signing, digest).digest())}"


def jwt_raw(header, claims, key=VOTER_SECRET):
    """An HS256 token over exactly these JSON texts (duplicates, escapes json.dumps won't write)."""
    signing = f"{b64u(header.encode())}.{b64u(claims.encode())}"
    return f"{signing}.{b64u(hmac.new(key, signing.encode(), hashlib.sha256).digest())}"


def token_seeds():
    ok = {"sub": "voter-1", "iat": NOW - 10, "exp": NOW + 3600}
    head = '{"alg":"HS256","typ":"JWT"}'
    exp = f'"exp":{NOW + 3600}'
    seeds = {
        "valid": jwt(ok),
        "valid_nbf": jwt(dict(ok, nbf=NOW - 5)),
        "expired": jwt(dict(ok, exp=NOW - 1)),
        "not_yet_valid": jwt(dict(ok, nbf=NOW + 60)),
        "alg_none": jwt(ok, alg="none"),
        "alg_hs512": jwt(ok, alg="HS512"),
        "wrong_key": jwt(ok, key=b"another-secret"),
        "no_sub": jwt({"exp": NOW + 3600}),
        "bad_sub": jwt(dict(ok, sub="voter 1/../x")),
        "fractional_exp": jwt(dict(ok, exp=NOW + 3600.5, nbf=NOW - 0.5)),
        "huge_exp": jwt(dict(ok, exp=2**62)),
        "string_exp": jwt(dict(ok, exp=str(NOW + 3600))),
        "aud_iss": jwt(dict(ok, aud="urna", iss="issuer")),
        "sub_number": jwt(dict(ok, sub=42)),
        "typ_other": jwt(ok, header={"alg": "HS256", "typ": "at+jwt"}),
        "crit": jwt(ok, header={"alg": "HS256", "crit": ["exp"]}),
        "aud_array": jwt(dict(ok, aud=["x", "urna"])),
        "nested_claims": jwt(dict(ok, ctx={"sub": "other", "aud": [["a"], {"b": None}]})),
        "dup_sub": jwt_raw(head, '{"sub":"voter-1","sub":"voter-2",' + exp + "}"),
        "escaped_key": jwt_raw(head, '{"\\u0073ub":"voter\\u002d1",' + exp + "}"),
    }
    for name, s in seeds.items():
        write("voter_token", name, s)


# --- protobuf (proto/urna/v1), encoded by hand ---------------------------------------------------
def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(num, value):
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    return varint(num << 3 | 2) + varint(len(value)) + value


def vote_event(vote_id, election, option, voter, t, node="n1"):
    return (field(1, vote_id) + field(2, election) + field(3, option) + field(4, voter) +
            field(5, t) + field(6, node))


def log_seeds():
    v = vote_event("0190f0e0-0000-7000-8000-000000000001", "e1", "a", "voter-1", NOW * 1000)
    seeds = {
        "vote": field(1, v),
        "vote_unknown_option": field(1, vote_event("v2", "e1", "zz", "voter-2", NOW * 1000)),
        "vote_negative_time": field(1, vote_event("v3", "e1", "b", "voter-3", -1)),
        "seal": field(2, field(1, "e1") + field(2, NOW * 1000)),
        "both_kinds": field(1, v) + field(2, field(1, "e1")),
        "empty_vote": field(1, b""),
        "unknown_field": field(1, v) + field(15, 7),
    }
    for name, b in seeds.items():
        write("log_record", name, b)


def election_seeds():
    def election(status, vis="", options=(("a", "A"), ("b", "B")), times=(1, 2, 3, 4),
                 turnout=""):
        b = field(1, "e1") + field(2, "Title")
        for oid, label in options:
            b += field(3, field(1, oid) + field(2, label))
        b += field(4, status)
        for i, t in enumerate(times):
            b += field(5 + i, t)
        if vis:
            b += field(9, vis)
        if turnout:
            b += field(10, turnout)
        return b

    seeds = {
        "draft": election("draft", times=(NOW * 1000, 0, 0, 0)),
        "open_hidden": election("open", "hidden_until_closed"),
        "open_hidden_turnout_public": election("open", "hidden_until_closed", turnout="public"),
        "unknown_turnout": election("open", "hidden_until_closed", turnout="sometimes"),
        "closed_live": election("closed", "live"),
        "final": election("final"),
        "unknown_status": election("paused"),
        "unknown_visibility": election("open", "sometimes"),
        "no_options": election("open", options=()),
    }
    for name, b in seeds.items():
        write("catalog_election", name, b)


# --- ALTCHA payloads (the `altcha` field of a vote body; issue 7 item 11) ------------------------
# The salt format of src/auth/altcha.h: "<hex>?expires=UNIX&election=ID&"; the fuzzer verifies
# with ALTCHA_KEY, scope "e1" and now = NOW.
def altcha_seeds():
    def payload(number, expires, key=ALTCHA_KEY, algorithm="SHA-256", tamper=False,
                election="e1"):
        salt = f"0123456789abcdef?expires={expires}&election={election}&"
        challenge = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
        sig = hmac.new(key, challenge.encode(), hashlib.sha256).hexdigest()
        if tamper:
            number += 1
        p = {"algorithm": algorithm, "challenge": challenge, "number": number, "salt": salt,
             "signature": sig}
        return base64.b64encode(json.dumps(p, separators=(",", ":")).encode()).decode()

    seeds = {
        "valid": payload(4242, NOW + 600),
        "expired": payload(4242, NOW - 1),
        "other_election": payload(4242, NOW + 600, election="e2"),
        "wrong_number": payload(4242, NOW + 600, tamper=True),
        "wrong_key": payload(4242, NOW + 600, key=b"other"),
        "sha1": payload(7, NOW + 600, algorithm="SHA-1"),
        "not_base64": "{not base64}",
        "not_json": base64.b64encode(b"[1,2,3]").decode(),
    }
    for name, s in seeds.items():
        write("altcha_payload", name, s)


if __name__ == "__main__":
    http_seeds()
    json_seeds()
    token_seeds()
    log_seeds()
    election_seeds()
    altcha_seeds()
