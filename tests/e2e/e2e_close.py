#!/usr/bin/env python3
"""Close, seal and final recount, end to end: votes race the close; every vote is counted,
duplicate or rejected `election_closed` and none is lost; the recount's three counts (live,
ledger, log replay) agree and the results become final; the audit report accounts for every
vote, and its ledger digest is recomputed here from the CSV export with the standard library."""
import hashlib
import hmac
import threading

from harness import AUDIT_KEY, Workers, run_with_server, wait_for

E = "race"
OPTIONS = ["a", "b", "c"]


def run(srv, t):
    c = srv.client()
    c.create_open(E, OPTIONS)
    s, b, _ = c.admin("POST", f"/v1/elections/{E}/recount")
    t.check(s == 409 and b["error"]["code"] == "conflict", f"recount of an open election is 409: {s}")
    s, b, _ = c.admin("GET", f"/v1/elections/{E}/audit")
    t.check(s == 404, f"no audit before a recount: {s}")

    acked, lock, stop = [], threading.Lock(), threading.Event()
    refused = [0]  # 409 election_not_open: only after the close
    counter = iter(range(10**9))

    def voter_loop():
        # Runs in a Workers thread: an unexpected answer raises, and the main thread sees it.
        cl = srv.client()
        while not stop.is_set():
            with lock:
                n = next(counter)
            voter = f"v{n % 3000}"  # voters come back: duplicates race the close too
            s, b, _ = cl.vote(E, voter, OPTIONS[n % 3])
            if s == 202:
                with lock:
                    acked.append((voter, b["vote_id"]))
            else:
                assert s == 409 and b["error"]["code"] == "election_not_open", (s, b)
                with lock:
                    refused[0] += 1

    workers = Workers(voter_loop, [()] * 8, name="voter").start()
    # The close comes while votes flow (a count, not a fixed time: a slow machine gets there too).
    try:
        wait_for(lambda: len(acked) >= 500 or workers.errors, timeout=60,
                 what="votes flowing before the close")
        s, closed, _ = c.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200 and closed["status"] == "closed", f"close under load is 200: {s} {closed}")
        wait_for(lambda: refused[0] >= 8 or workers.errors, timeout=60,
                 what="votes refused after the close")
    finally:
        stop.set()
        errors = workers.join()
    t.check(not errors, f"every vote racing the close got 202 or 409 election_not_open: "
                        f"{errors[:2]}")
    t.check(refused[0] >= 8, f"votes after the close were refused: {refused[0]}")
    print(f"{len(acked)} votes acknowledged, close raced by 8 voting threads", flush=True)

    job = c.recount(E)
    t.check(job["state"] == "done", f"recount finished: {job.get('state')} {job.get('error')}")
    rep = job["report"]
    t.check(rep["agree"] and rep["final"] and rep["status"] == "final",
            f"live, ledger and replay agree, election final: {rep['counts']} {rep['differences']}")
    counts = rep["counts"]
    t.check(counts["live"] == counts["ledger"] == counts["replay"], "the three counts are equal")

    # Every acknowledged vote has a fate; the counted ones are exactly the tally.
    fates = {}
    for voter, vid in acked:
        s, b, _ = c.receipt(E, voter, vid)
        t.check(s == 200, f"receipt readable after the close: {s}")
        fates[vid] = b
        if b["status"] == "rejected":
            t.check(b["reason"] == "election_closed", f"late vote rejected as election_closed: {b}")
        # One node: the admission gate puts every vote admitted before the close ahead of the
        # seal, so an acknowledged vote was cast at or before closed_at and is never rejected.
        # (Same ISO-8601 UTC format with milliseconds on both sides: compares as text.)
        t.check(b["cast_at"] <= closed["closed_at"] and b["status"] != "rejected",
                f"cast {b['cast_at']}, closed {closed['closed_at']}: {b['status']}")
        t.check(b["status"] in ("counted", "duplicate", "rejected"), f"{vid} settled: {b}")
    n_counted = sum(1 for b in fates.values() if b["status"] == "counted")
    n_dup = sum(1 for b in fates.values() if b["status"] == "duplicate")
    n_rej = sum(1 for b in fates.values() if b["status"] == "rejected")
    votes = rep["votes"]
    t.check(votes["log_entries"] == len(acked), f"every acked vote is in the log: {votes} vs {len(acked)}")
    t.check(votes["counted"] == n_counted and votes["duplicate"] == n_dup
            and sum(votes["rejected"].values()) == n_rej,
            f"report accounts for every vote as the receipts do: {votes} vs {n_counted}/{n_dup}/{n_rej}")
    t.check(sum(counts["ledger"].values()) == n_counted, "ledger total equals counted receipts")

    res = c.results(E)
    t.check(res["final"] is True and res["status"] == "final", f"results are final: {res}")
    t.check(res["total"] == n_counted, f"final results total {res['total']} == {n_counted}")
    t.check({o["id"]: o["votes"] for o in res["options"]} ==
            {o: counts["ledger"].get(o, 0) for o in OPTIONS}, "final results equal the ledger count")
    s, b, _ = c.vote(E, "newcomer", "a")
    t.check(s == 409, "no vote after the results are final")

    # Audit report and ledger export.
    s, audit, _ = c.admin("GET", f"/v1/elections/{E}/audit")
    t.check(s == 200 and audit["ledger"]["digest"]["value"] == rep["ledger"]["digest"]["value"],
            "GET audit returns the recount's report")
    for key in ("opened_at", "closed_at", "sealed_at", "recounted_at", "finalized_at"):
        t.check(audit["times"][key] is not None, f"report has {key}")
    s, csv_text, resp = c.admin("GET", f"/v1/elections/{E}/audit/ledger.csv")
    csv_bytes = csv_text if isinstance(csv_text, bytes) else str(csv_text).encode()
    t.check(s == 200 and resp.getheader("Content-Type").startswith("text/csv"), "ledger.csv is CSV")
    header, _, body = csv_bytes.partition(b"\n")
    t.check(header == b"vote_id,voter,option,cast_at_ms", f"CSV header: {header!r}")
    digest = hashlib.sha256(body).hexdigest()  # rows as exported, each ending in LF
    t.check(digest == rep["ledger"]["digest"]["value"], f"digest recomputed from the CSV: {digest}")
    t.check(resp.getheader("X-Ledger-Digest") == "sha256=" + digest, "X-Ledger-Digest header")
    rows = [r.split(b",") for r in body.splitlines()]
    t.check(len(rows) == n_counted, f"one CSV row per counted vote: {len(rows)}")
    raw_ids = {voter.encode() for voter, _ in acked}
    t.check(all(len(r[1]) == 64 and r[1] not in raw_ids for r in rows), "voters are pseudonyms, never raw ids")
    t.check([r[1] for r in rows] == sorted(r[1] for r in rows),
            "rows in pseudonym order: their order says nothing about the raw voter ids")
    some_counted = next(voter for voter, vid in acked if fates[vid]["status"] == "counted")
    pseudonym = hmac.new(AUDIT_KEY.encode(), some_counted.encode(), hashlib.sha256).hexdigest().encode()
    t.check(any(r[1] == pseudonym for r in rows), "pseudonym is HMAC-SHA256(audit key, voter id)")
    s, html, resp = c.admin("GET", f"/v1/elections/{E}/audit/report.html")
    html = html if isinstance(html, (bytes, str)) else str(html)
    html = html.decode() if isinstance(html, bytes) else html
    t.check(s == 200 and resp.getheader("Content-Type").startswith("text/html")
            and digest in html and "final" in html, "printable HTML report")
    s, b, _ = c.request("GET", f"/v1/elections/{E}/audit")
    t.check(s == 401, "the audit needs the admin token")


if __name__ == "__main__":
    run_with_server("e2e_close", run)
