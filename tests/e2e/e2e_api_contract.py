#!/usr/bin/env python3
"""The API contract of issue 12 item 12 against the real `urna serve`: unknown JSON fields are
refused with 400 naming the field in every request body (nothing is created or counted), every
401 carries `WWW-Authenticate: Bearer`, `updated_at` of the results survives a restart, HEAD on
the results is the GET's head without a body, If-None-Match takes a list of ETags (weak ones and
`*` too), OPTIONS on a resource lists its methods, the routes that read no body refuse one
(nothing done), and the audit report's counts name every option, zero or not."""
import argparse

from harness import ADMIN_TOKEN, Checks, Server, TempDataDir, error_expecter, token, wait_for

E = "contract"


def unknown_fields(t, c):
    expect = error_expecter(c, t)
    good = {"id": E, "title": "Contract", "options": [{"id": "x", "label": "X"}, {"id": "y", "label": "Y"}]}

    def refused(status_path, body, field, what, bearer=ADMIN_TOKEN, method="POST"):
        b = expect(400, "invalid_request", method, status_path, body, bearer=bearer, what=what)
        msg = (b or {}).get("error", {}).get("message", "")
        t.check(f'unknown field "{field}"' in msg, f"{what}: the message names {field}: {msg!r}")

    # The typo of the issue: it used to make a live election silently.
    refused("/v1/elections", dict(good, result_visibility="hidden_until_closed"),
            "result_visibility", "election with result_visibility (typo)")
    refused("/v1/elections", dict(good, options=[{"id": "x", "label": "X", "colour": "red"}]),
            "colour", "option with an unknown field")
    s, b, _ = c.admin("GET", "/v1/elections")
    t.check(s == 200 and b["elections"] == [], f"nothing was created: {b}")
    # Every known key is still taken.
    s, b, _ = c.admin("POST", "/v1/elections", dict(good, results_visibility="live",
                                                    turnout_visibility="public",
                                                    bot_protection="none", pow_max_number=None,
                                                    gateway_voters="namespaced"))
    t.check(s == 201, f"an election with every known field is created: {s} {b}")
    s, b, _ = c.admin("POST", f"/v1/elections/{E}/open")
    t.check(s == 200, f"open: {s} {b}")

    # A vote: refused and not counted.
    refused(f"/v1/elections/{E}/votes", {"option": "x", "opton": "y"}, "opton",
            "vote with an unknown field", bearer=token("alice"))
    s, b, _ = c.request("POST", f"/v1/elections/{E}/votes", {"option": "x"}, bearer=token("alice"))
    t.check(s == 202, f"alice's first good vote is taken (the refused one did not count): {s} {b}")

    # Gateways and batches.
    refused("/v1/gateways", {"id": "g1", "secret": "mine"}, "secret", "gateway with a secret field")
    s, b, _ = c.admin("POST", "/v1/gateways", {"id": "g1", "elections": [E]})
    t.check(s == 201 and b.get("secret"), f"gateway created: {s} {b}")
    secret = (b or {}).get("secret", "")
    refused(f"/v1/elections/{E}/votes:batch",
            {"votes": [{"voter": "v1", "option": "x", "ref": "r1"}], "dry_run": True}, "dry_run",
            "batch with an unknown top-level field", bearer=secret)
    s, b, _ = c.request("POST", f"/v1/elections/{E}/votes:batch",
                        {"votes": [{"voter": "v1", "option": "x", "ref": "r1", "weight": 5},
                                   {"voter": "v2", "option": "y", "ref": "r2"}]}, bearer=secret)
    res = (b or {}).get("results", [])
    t.check(s == 200 and len(res) == 2 and res[0].get("error", {}).get("code") == "invalid_request"
            and 'unknown field "weight"' in res[0]["error"].get("message", "")
            and res[1].get("status") == "accepted",
            f"a batch vote with an unknown field is refused alone, naming it: {s} {b}")
    wait_for(lambda: c.results(E)["total"] >= 2, timeout=30, what="2 votes counted")
    counts = {o["id"]: o["votes"] for o in c.results(E)["options"]}
    t.check(counts == {"x": 1, "y": 1}, f"only the good votes counted: {counts}")


def www_authenticate(t, c):
    for method, path, body, what in [
            ("POST", "/v1/elections", {"id": "z", "title": "Z", "options": []}, "admin create"),
            ("POST", f"/v1/elections/{E}/votes", {"option": "x"}, "vote"),
            ("GET", f"/v1/elections/{E}/votes/0190", None, "receipt"),
            ("POST", f"/v1/elections/{E}/votes:batch", {"votes": []}, "batch"),
            ("GET", f"/v1/elections/{E}/audit", None, "audit")]:
        s, _, resp = c.request(method, path, body)
        h = resp.getheader("WWW-Authenticate") or ""
        t.check(s == 401 and h.startswith("Bearer"), f"401 on {what} carries WWW-Authenticate: "
                                                      f"Bearer: {s} {h!r}")
    s, _, resp = c.request("POST", f"/v1/elections/{E}/votes", {"option": "x"}, bearer="not.a.jwt")
    t.check(s == 401 and (resp.getheader("WWW-Authenticate") or "").startswith("Bearer"),
            f"401 for a bad voter token carries WWW-Authenticate too: {s}")


def head_and_etags(t, c):
    s, body, resp = c.request("GET", f"/v1/elections/{E}/results")
    etag = resp.getheader("ETag")
    length = resp.getheader("Content-Length")
    t.check(s == 200 and etag and etag.startswith('"'), f"GET results has an ETag: {s} {etag}")
    s, hb, resp = c.request("HEAD", f"/v1/elections/{E}/results")
    t.check(s == 200 and hb is None and resp.getheader("ETag") == etag
            and resp.getheader("Content-Length") == length,
            f"HEAD results: the GET's head (ETag, Content-Length {length}), no body: {s} "
            f"{resp.getheader('ETag')} {resp.getheader('Content-Length')} {hb!r}")
    # The connection is still usable after the HEAD (no stray body bytes on it).
    s, again, _ = c.request("GET", f"/v1/elections/{E}/results")
    t.check(s == 200 and again == body, "a GET after the HEAD on the same connection is whole")
    s, _, _ = c.request("HEAD", f"/v1/elections/nope/results")
    t.check(s == 404, f"HEAD of an unknown election: 404: {s}")
    for inm, want, what in [(f'"0-open", {etag}', 304, "a list holding the ETag"),
                            (f'W/{etag}', 304, "the ETag as a weak tag"),
                            (f'"a", W/"b",{etag}', 304, "the ETag last in a list"),
                            ("*", 304, "*"),
                            ('"0-open", "1-open"', 200, "a list without it"),
                            (etag[1:], 200, "a malformed tag")]:
        s, _, resp = c.request("GET", f"/v1/elections/{E}/results", headers={"If-None-Match": inm})
        t.check(s == want and resp.getheader("ETag") == etag,
                f"If-None-Match {inm!r} ({what}): want {want}, got {s}")
    s, _, resp = c.request("OPTIONS", f"/v1/elections/{E}/results")
    t.check(s == 204 and resp.getheader("Allow") == "GET, HEAD, OPTIONS",
            f"OPTIONS lists the resource's methods: {s} {resp.getheader('Allow')!r}")
    s, _, resp = c.request("OPTIONS", "/v1/nothing")
    t.check(s == 404, f"OPTIONS of an unknown resource: 404: {s}")


def bodyless_routes(t, c):
    """The routes that read no body refuse one (naming its key) and do nothing: a flag they do
    not have (`{"dry_run": true}`) must not be ignored while the call acts (a real recount
    finalizes irreversibly)."""
    expect = error_expecter(c, t)
    n = "nobody"

    def status():
        return c.admin("GET", f"/v1/elections/{n}")[1].get("status")

    def refused(method, path, body=None, raw=None, field=None, what=""):
        b = expect(400, "invalid_request", method, path, body, bearer=ADMIN_TOKEN, raw=raw,
                   what=what)
        msg = (b or {}).get("error", {}).get("message", "")
        want = f'unknown field "{field}"' if field else "this call takes no body"
        t.check(want in msg, f"{what}: the message says {want!r}: {msg!r}")

    s, b, _ = c.admin("POST", "/v1/elections", {
        "id": n, "title": "No body", "options": [{"id": "a", "label": "A"}]})
    t.check(s == 201, f"create {n}: {s} {b}")
    refused("POST", f"/v1/elections/{n}/open", {"force": True}, field="force",
            what="open with {force: true}")
    refused("POST", f"/v1/elections/{n}/open", raw="now", what="open with a non-JSON body")
    refused("DELETE", f"/v1/elections/{n}", {"cascade": True}, field="cascade",
            what="DELETE of a draft with a body")
    t.check(status() == "draft", f"still a draft after the refused calls: {status()}")
    s, b, _ = c.admin("POST", f"/v1/elections/{n}/open", {})
    t.check(s == 200 and b.get("status") == "open", f"open with {{}} (no key) opens: {s} {b}")

    s, b, _ = c.admin("POST", "/v1/gateways", {"id": "g-nobody", "elections": [n]})
    t.check(s == 201 and b.get("secret"), f"gateway created: {s} {b}")
    secret = (b or {}).get("secret", "")
    refused("DELETE", "/v1/gateways/g-nobody", {"reason": "test"}, field="reason",
            what="revoke with a body")
    s, b, _ = c.request("POST", f"/v1/elections/{n}/votes:batch",
                        {"votes": [{"voter": "v1", "option": "a", "ref": "r1"}]}, bearer=secret)
    t.check(s == 200 and b["results"][0].get("status") == "accepted",
            f"the gateway was not revoked by the refused call: {s} {b}")

    refused("POST", f"/v1/elections/{n}/close", {"seal": False}, field="seal",
            what="close with a body")
    t.check(status() == "open", f"still open after the refused close: {status()}")
    s, b, _ = c.admin("POST", f"/v1/elections/{n}/close")
    t.check(s == 200 and b.get("status") == "closed", f"close: {s} {b}")

    # The reviewer's case: a "dry run" recount that ran for real.
    refused("POST", f"/v1/elections/{n}/recount", {"dry_run": True}, field="dry_run",
            what="recount with {dry_run: true}")
    refused("POST", f"/v1/elections/{n}/archive", {"now": True}, field="now",
            what="archive with a body")
    s, b, _ = c.admin("GET", f"/v1/elections/{n}/recount")
    t.check(s == 404, f"no recount was started: {s} {b}")
    t.check(status() == "closed", f"still closed, not final: {status()}")


def report_counts_every_option(t, c):
    z = "zeros"
    c.create_open(z, ["a", "b", "c"])
    s, b, _ = c.vote(z, "carol", "b")
    t.check(s == 202, f"a vote in {z}: {s} {b}")
    s, b, _ = c.admin("POST", f"/v1/elections/{z}/close")
    t.check(s == 200, f"close {z}: {s} {b}")
    job = c.recount(z)
    report = job.get("report") or {}
    want = {"a": 0, "b": 1, "c": 0}
    for kind in ("live", "ledger", "replay"):
        got = report.get("counts", {}).get(kind)
        t.check(got == want and list(got) == ["a", "b", "c"],
                f"the report's {kind} counts name every option, zero or not, in order: {got}")
    s, audit, _ = c.admin("GET", f"/v1/elections/{z}/audit")
    t.check(s == 200 and audit.get("counts") == report.get("counts"),
            f"GET audit has the same counts: {s} {audit.get('counts')}")


def updated_at_across_restart(t, srv):
    c = srv.client()
    before = c.results(E)
    t.check(before["updated_at"] is not None, f"results have updated_at: {before}")
    t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
    srv.start()
    c = srv.client()
    after = wait_for(lambda: (lambda r: r if r["total"] == before["total"] else None)(c.results(E)),
                     timeout=30, what="the counts after the restart")
    t.check(after["updated_at"] == before["updated_at"],
            f"updated_at survives a restart: {before['updated_at']} -> {after['updated_at']}")
    s, b, _ = c.request("POST", f"/v1/elections/{E}/votes", {"option": "y"}, bearer=token("bob"))
    t.check(s == 202, f"a vote after the restart: {s} {b}")
    moved = wait_for(lambda: (lambda r: r if r["total"] == before["total"] + 1 else None)(c.results(E)),
                     timeout=30, what="the new vote counted")
    t.check(moved["updated_at"] > before["updated_at"],
            f"a new vote moves updated_at: {before['updated_at']} -> {moved['updated_at']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_api_contract")
    with TempDataDir() as d:
        srv = Server(args.urna, d).start()
        try:
            for part in (unknown_fields, www_authenticate, head_and_etags, bodyless_routes,
                         report_counts_every_option):
                try:
                    part(t, srv.client())
                except Exception as e:  # noqa: BLE001 - reported, the next part still runs
                    t.check(False, f"{part.__name__} failed: {e!r}")
            updated_at_across_restart(t, srv)
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
    t.finish()


if __name__ == "__main__":
    main()
