#!/usr/bin/env python3
"""Voter token claims over real HTTP: RFC 7519 NumericDates (fractions allowed, a non-number is
refused), the maximum lifetime (--max-token-ttl), a required audience and issuer
(--token-audience / --token-issuer), and `urna token` minting tokens that carry them. Every
refused token is a 401 `unauthorized` and appends nothing."""
import os
import subprocess
import time

from harness import VOTER_SECRET, run_with_server, token

E = "tokens"
AUD, ISS = "urna-e2e", "https://id.e2e.test"
ARGS = ["--token-audience", AUD, "--token-issuer", ISS, "--max-token-ttl", "2h"]


def urna_token(srv, *args):
    env = dict(os.environ, URNA_VOTER_SECRET=VOTER_SECRET)
    return subprocess.run([srv.urna, "token", "--data-dir", srv.data_dir, *args], env=env,
                          capture_output=True, text=True, timeout=30)


def run(srv, t):
    c = srv.client()
    c.create_open(E, ["x", "y"])
    now = time.time()
    good = dict(aud=AUD, iss=ISS)
    accepted = 0

    def vote(name, tok, want, what):
        nonlocal accepted
        s, b, _ = c.request("POST", f"/v1/elections/{E}/votes", {"option": "x"}, bearer=tok)
        if want == 202:
            ok = s == 202 and "vote_id" in b
            accepted += ok
        else:
            ok = s == 401 and b["error"]["code"] == "unauthorized" and b["error"]["message"]
        t.check(ok, f"{what}: want {want}, got {s} {b}")

    # NumericDate: fractions are numbers like any other.
    vote("frac-exp", token("frac-exp", exp_in=600.5, **good), 202, "fractional exp in the future")
    vote("frac-nbf", token("frac-nbf", nbf=now + 600.25, **good), 401,
         "fractional nbf in the future (was ignored)")
    vote("past-nbf", token("past-nbf", nbf=now - 60.5, **good), 202, "fractional nbf in the past")
    vote("str-exp", token("str-exp", exp_in=None, exp=str(int(now) + 600), **good), 401,
         "exp as a string")
    vote("str-nbf", token("str-nbf", nbf="yesterday", **good), 401, "nbf not a number")
    vote("null-iat", token("null-iat", iat=None, **good), 401, "iat null")
    # Maximum lifetime: 2 h here.
    vote("far-exp", token("far-exp", exp_in=None, exp=2**62, **good), 401, "exp = 2^62")
    vote("3h", token("3h", exp_in=3 * 3600, **good), 401, "exp 3 h away with a 2 h maximum")
    vote("1h", token("1h", exp_in=3600, **good), 202, "exp 1 h away")
    vote("no-exp", token("no-exp", exp_in=None, **good), 401, "no exp with a maximum lifetime")
    # Audience and issuer.
    vote("no-aud", token("no-aud", iss=ISS), 401, "no aud")
    vote("bad-aud", token("bad-aud", aud="other", iss=ISS), 401, "another aud")
    vote("arr-aud", token("arr-aud", aud=["other", AUD], iss=ISS), 202, "aud array holding ours")
    vote("arr-bad", token("arr-bad", aud=["other"], iss=ISS), 401, "aud array without ours")
    vote("no-iss", token("no-iss", aud=AUD), 401, "no iss")
    vote("bad-iss", token("bad-iss", aud=AUD, iss="https://evil.test"), 401, "another iss")

    # `urna token` mints tokens with the configured aud/iss (flags or environment).
    r = urna_token(srv, "--voter", "minted", "--ttl", "1h", *ARGS[:4])
    t.check(r.returncode == 0, f"urna token with aud/iss: {r.stderr}")
    vote("minted", r.stdout.strip(), 202, "token minted by urna token")
    r = urna_token(srv, "--voter", "plain", "--ttl", "1h")
    t.check(r.returncode == 0, f"urna token without aud/iss: {r.stderr}")
    vote("plain", r.stdout.strip(), 401, "minted without the required aud/iss")
    r = urna_token(srv, "--voter", "long", "--ttl", "3h", "--max-token-ttl", "2h")
    t.check(r.returncode != 0 and "lifetime" in r.stderr,
            f"urna token refuses a ttl above the maximum: {r.returncode} {r.stderr}")

    # Nothing refused was appended or counted.
    res = c.results(E)
    t.check(res["total"] == accepted == 5, f"only the accepted votes count: {accepted} {res}")


if __name__ == "__main__":
    run_with_server("e2e_tokens", run, extra_args=ARGS)
