#!/usr/bin/env python3
"""The admin routes of issue 12 item 9, end to end on `urna serve`: edit (PUT) and delete only a
draft, archive only a final election (then hidden from the default list, still readable, listed
with ?archived=include|only), the results export as CSV and JSON (same visibility as the
snapshot; a label a spreadsheet would run as a formula is neutralised), GET /v1/admin/check,
unknown elections 404, no token 401 / a wrong one 403 and nothing changes; all of it survives a
restart."""
import csv
import datetime
import io
import json
import time

from harness import ADMIN_TOKEN, Checks, Server, TempDataDir, error_expecter, wait_for


def spec(eid, title, options, **extra):
    return {"id": eid, "title": title, "options": [{"id": o, "label": l} for o, l in options],
            **extra}


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def csv_rows(body):
    """The rows of a CSV answer (none when the answer is not CSV text)."""
    text = body.decode() if isinstance(body, bytes) else body if isinstance(body, str) else ""
    return list(csv.DictReader(io.StringIO(text)))


def listed(c, query=""):
    s, b, _ = c.request("GET", "/v1/elections" + query)
    assert s == 200, (s, b)
    return [e["id"] for e in b["elections"]]


def run(srv, t):
    c = srv.client()
    expect = error_expecter(c, t)

    s, b, _ = c.admin("GET", "/v1/admin/check")
    t.check(s == 200 and b == {"admin": True}, f"admin check with the token: {s} {b}")
    expect(401, "unauthorized", "GET", "/v1/admin/check", what="admin check without a token")
    expect(403, "forbidden", "GET", "/v1/admin/check", bearer="not-the-token",
           what="admin check with a wrong token")

    # Edit a draft: the whole spec replaces it; id, status and created_at stay.
    s, created, _ = c.admin("POST", "/v1/elections", spec("d", "Draft", [("a", "A")]))
    t.check(s == 201, f"create draft: {s}")
    s, before, _ = c.request("GET", "/v1/elections/d/results")
    t.check(s == 200 and [o["label"] for o in before["options"]] == ["A"], f"draft results: {before}")
    s, b, _ = c.admin("PUT", "/v1/elections/d",
                      spec("d", "Draft v2", [("a", "Aurora"), ("b", "Basalt")],
                           results_visibility="hidden_until_closed"))
    t.check(s == 200 and b["title"] == "Draft v2" and len(b["options"]) == 2 and
            b["results_visibility"] == "hidden_until_closed" and b["status"] == "draft" and
            b["created_at"] == created["created_at"], f"PUT edits a draft: {s} {b}")
    s, b, _ = c.request("GET", "/v1/elections/d")
    t.check(s == 200 and b["title"] == "Draft v2", f"the edit is stored: {b}")
    s, after, _ = c.request("GET", "/v1/elections/d/results")
    t.check(s == 200 and [o["label"] for o in after["options"]] == ["Aurora", "Basalt"],
            f"the results snapshot shows the edited options at once: {after}")
    expect(400, "invalid_request", "PUT", "/v1/elections/d", spec("other", "X", [("a", "A")]),
           bearer=ADMIN_TOKEN, what="PUT with another id in the body")
    expect(400, "invalid_request", "PUT", "/v1/elections/d", spec("d", "", [("a", "A")]),
           bearer=ADMIN_TOKEN, what="PUT with an invalid spec")
    expect(404, "not_found", "PUT", "/v1/elections/nope", spec("nope", "X", [("a", "A")]),
           bearer=ADMIN_TOKEN, what="PUT of an unknown election")
    expect(401, "unauthorized", "PUT", "/v1/elections/d", spec("d", "Hacked", [("a", "A")]),
           what="PUT without a token")
    expect(403, "forbidden", "PUT", "/v1/elections/d", spec("d", "Hacked", [("a", "A")]),
           bearer="wrong", what="PUT with a wrong token")
    expect(403, "forbidden", "DELETE", "/v1/elections/d", bearer="wrong",
           what="DELETE with a wrong token")
    # The schedule is checked on an edit as on a create: no time in the past, closes after opens.
    now = time.time()
    edit = lambda **times: spec("d", "Scheduled", [("a", "A")], **times)  # noqa: E731
    expect(400, "invalid_request", "PUT", "/v1/elections/d", edit(opens_at=rfc3339(now - 60)),
           bearer=ADMIN_TOKEN, what="PUT with opens_at in the past")
    expect(400, "invalid_request", "PUT", "/v1/elections/d", edit(closes_at=rfc3339(now - 60)),
           bearer=ADMIN_TOKEN, what="PUT with closes_at in the past")
    expect(400, "invalid_request", "PUT", "/v1/elections/d",
           edit(opens_at=rfc3339(now + 7200), closes_at=rfc3339(now + 3600)),
           bearer=ADMIN_TOKEN, what="PUT with closes_at before opens_at")
    s, b, _ = c.request("GET", "/v1/elections/d")
    t.check(b["title"] == "Draft v2" and b["opens_at"] is None and b["closes_at"] is None,
            f"refused calls changed nothing: {b}")
    s, b, _ = c.admin("PUT", "/v1/elections/d",
                      edit(opens_at=rfc3339(now + 3600), closes_at=rfc3339(now + 7200)))
    t.check(s == 200 and b["opens_at"] == rfc3339(now + 3600) and
            b["closes_at"] == rfc3339(now + 7200), f"PUT with a valid schedule: {s} {b}")
    s, b, _ = c.admin("PUT", "/v1/elections/d",
                      spec("d", "Draft v2", [("a", "Aurora"), ("b", "Basalt")],
                           results_visibility="hidden_until_closed"))
    t.check(s == 200 and b["opens_at"] is None, f"PUT without a schedule clears it: {s} {b}")

    # An open election can be neither edited nor deleted nor archived.
    c.create_open("live", ["x", "y"])
    expect(409, "conflict", "PUT", "/v1/elections/live", spec("live", "New", [("x", "X")]),
           bearer=ADMIN_TOKEN, what="PUT of an open election")
    expect(409, "conflict", "DELETE", "/v1/elections/live", bearer=ADMIN_TOKEN,
           what="DELETE of an open election")
    expect(409, "conflict", "POST", "/v1/elections/live/archive", bearer=ADMIN_TOKEN,
           what="archive of an open election")
    expect(409, "conflict", "POST", "/v1/elections/d/archive", bearer=ADMIN_TOKEN,
           what="archive of a draft")
    expect(404, "not_found", "POST", "/v1/elections/nope/archive", bearer=ADMIN_TOKEN,
           what="archive of an unknown election")
    expect(404, "not_found", "DELETE", "/v1/elections/nope", bearer=ADMIN_TOKEN,
           what="DELETE of an unknown election")

    # Votes, close (closed: still not archivable), recount -> final, exports.
    for i, o in enumerate(["x", "y", "y"]):
        s, _, _ = c.vote("live", f"v{i}", o)
        t.check(s == 202, f"vote: {s}")
    wait_for(lambda: c.results("live").get("total") == 3, timeout=30, what="3 votes counted")
    s, b, _ = c.admin("POST", "/v1/elections/live/close")
    t.check(s == 200, f"close: {s}")
    expect(409, "conflict", "POST", "/v1/elections/live/archive", bearer=ADMIN_TOKEN,
           what="archive of a closed (not final) election")
    expect(409, "conflict", "DELETE", "/v1/elections/live", bearer=ADMIN_TOKEN,
           what="DELETE of a closed election")
    job = c.recount("live")
    t.check(job["state"] == "done" and job["report"]["final"], f"recount final: {job}")

    s, body, resp = c.request("GET", "/v1/elections/live/results/export.csv")
    t.check(s == 200 and resp.getheader("Content-Type", "").startswith("text/csv") and
            'filename="live-results.csv"' in resp.getheader("Content-Disposition", ""),
            f"CSV export: {s} {resp.getheaders()}")
    rows = csv_rows(body)
    t.check([(r["option_id"], r["votes"], r["total"], r["final"]) for r in rows] ==
            [("x", "1", "3", "true"), ("y", "2", "3", "true")], f"CSV rows: {rows}")
    s, b, resp = c.request("GET", "/v1/elections/live/results/export.json")
    t.check(s == 200 and 'filename="live-results.json"' in resp.getheader("Content-Disposition", "")
            and b["election"]["id"] == "live" and b["election"]["status"] == "final" and
            b["results"]["total"] == 3 and b["results"]["final"] is True and
            [o["votes"] for o in b["results"]["options"]] == [1, 2], f"JSON export: {s} {b}")
    expect(404, "not_found", "GET", "/v1/elections/nope/results/export.csv",
           what="CSV export of an unknown election")
    expect(404, "not_found", "GET", "/v1/elections/nope/results/export.json",
           what="JSON export of an unknown election")

    # Hidden results stay hidden in the export; a formula-looking label is neutralised.
    s, _, _ = c.admin("POST", "/v1/elections", spec(
        "h", "Hidden", [("p", "=HYPERLINK(\"x\")"), ("q", "Q, with comma")],
        results_visibility="hidden_until_closed"))
    c.admin("POST", "/v1/elections/h/open")
    c.vote("h", "hv", "p")
    s, body, _ = c.request("GET", "/v1/elections/h/results/export.csv")
    rows = csv_rows(body)
    t.check(s == 200 and len(rows) == 2 and [r["votes"] for r in rows] == ["", ""] and
            rows[0]["option_label"] == "'=HYPERLINK(\"x\")" and
            rows[1]["option_label"] == "Q, with comma",
            f"hidden counts stay hidden, labels quoted and neutralised: {rows}")
    s, b, _ = c.request("GET", "/v1/elections/h/results/export.json")
    t.check(s == 200 and all("votes" not in o for o in b["results"]["options"]),
            f"JSON export hides the counts too: {b}")

    # Archive: hidden from the default list, still readable, listed on request; idempotent.
    s, b, _ = c.admin("POST", "/v1/elections/live/archive")
    t.check(s == 200 and b["archived_at"] and b["status"] == "final", f"archive: {s} {b}")
    archived_at = b["archived_at"]
    s, b, _ = c.admin("POST", "/v1/elections/live/archive")
    t.check(s == 200 and b["archived_at"] == archived_at, "archiving again changes nothing")
    t.check("live" not in listed(c), "an archived election leaves the default list")
    t.check("live" in listed(c, "?archived=include") and "d" in listed(c, "?archived=include"),
            "?archived=include lists all")
    t.check(listed(c, "?archived=only") == ["live"], "?archived=only lists only the archived")
    expect(400, "invalid_request", "GET", "/v1/elections?archived=maybe", what="bad query")
    s, b, _ = c.request("GET", "/v1/elections/live")
    t.check(s == 200 and b["archived_at"] == archived_at, "an archived election is readable")
    t.check(c.results("live")["total"] == 3, "... and so are its results")
    s, _, _ = c.admin("GET", "/v1/elections/live/audit/report.html")
    t.check(s == 200, f"... and its audit report: {s}")

    # Delete a draft: gone (404 everywhere), its id free again.
    s, b, _ = c.admin("DELETE", "/v1/elections/d")
    t.check(s == 204, f"DELETE a draft is 204: {s} {b}")
    expect(404, "not_found", "GET", "/v1/elections/d", what="a deleted draft")
    expect(404, "not_found", "GET", "/v1/elections/d/results", what="a deleted draft's results")
    t.check("d" not in listed(c, "?archived=include"), "a deleted draft is not listed")
    expect(404, "not_found", "DELETE", "/v1/elections/d", bearer=ADMIN_TOKEN,
           what="DELETE again")
    s, _, _ = c.admin("POST", "/v1/elections", spec("d2", "Second", [("a", "A")]))
    s2, _, _ = c.admin("DELETE", "/v1/elections/d2")
    s3, b, _ = c.admin("POST", "/v1/elections", spec("d2", "Again", [("z", "Zeta")]))
    t.check(s == 201 and s2 == 204 and s3 == 201, f"a deleted id can be created again: {s} {s2} {s3}")
    s, b, _ = c.request("GET", "/v1/elections/d2/results")
    t.check(s == 200 and [o["id"] for o in b["options"]] == ["z"],
            f"... and its results show the new options: {b}")


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_admin")
    with TempDataDir() as d:
        srv = Server(args.urna, d).start()
        try:
            run(srv, t)
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
        # Across a restart: deleted stays deleted, archived stays archived, edits stay.
        srv = Server(args.urna, d).start()
        try:
            c = srv.client()
            s, _, _ = c.request("GET", "/v1/elections/d")
            t.check(s == 404, f"after a restart the deleted draft is still gone: {s}")
            s, b, _ = c.request("GET", "/v1/elections/live")
            t.check(s == 200 and b["archived_at"], f"after a restart archived_at is kept: {b}")
            t.check("live" not in listed(c), "... and it stays out of the default list")
            s, b, _ = c.request("GET", "/v1/elections/d2")
            t.check(s == 200 and b["title"] == "Again", f"the re-created draft is kept: {b}")
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0 (after the restart)")
    t.finish()


if __name__ == "__main__":
    main()
