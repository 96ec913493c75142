#!/usr/bin/env python3
"""Gateway batches and the limits against the real `urna serve`: a retry of a batch whose votes
counted is told so with the same vote_ids, status accepted, even once its voters or its gateway
are over their rate limits and after the election closed (only new votes get the per-vote
error); the per-voter limit applies to each vote inside batches; a gateway's new votes are
limited by --gateway-rate/--gateway-burst."""
import argparse

from harness import GENEROUS_LIMITS, Checks, Server, TempDataDir

# A voter may send 2 votes, then one an hour: the third new vote of a voter is limited. The
# gateway may send 10 new votes, then one an hour (a batch is let in while the gateway has any
# budget, and its votes are all charged).
LIMITS = ["--voter-burst", "2", "--voter-rate", "1/h", "--gateway-burst", "10",
          "--gateway-rate", "1/h"]


def create_open(c, eid):
    s, b, _ = c.admin("POST", "/v1/elections", {
        "id": eid, "title": eid, "options": [{"id": "a", "label": "a"}, {"id": "b", "label": "b"}]})
    assert s == 201, (s, b)
    s, b, _ = c.admin("POST", f"/v1/elections/{eid}/open")
    assert s == 200, (s, b)


def batch(c, secret, eid, votes):
    return c.request("POST", f"/v1/elections/{eid}/votes:batch", {"votes": votes}, bearer=secret)


def codes(body):
    return [x.get("status") or x["error"]["code"] for x in body["results"]]


def body(srv, t):
    c = srv.client()
    create_open(c, "lim")
    s, gw, _ = c.admin("POST", "/v1/gateways", {"id": "lim-gw"})
    assert s == 201, (s, gw)
    secret = gw["secret"]
    first = [{"voter": "v1", "option": "a", "ref": "r1"}, {"voter": "v2", "option": "b", "ref": "r2"}]
    s, b, _ = batch(c, secret, "lim", first)
    t.check(s == 200 and codes(b) == ["accepted", "accepted"], f"first batch: {s} {b}")
    ids = [x["vote_id"] for x in b["results"]]

    # The per-voter limit inside batches: v1's second vote passes, the third is limited.
    s, b, _ = batch(c, secret, "lim", [{"voter": "v1", "option": "b", "ref": "r3"},
                                       {"voter": "v1", "option": "b", "ref": "r4"},
                                       {"voter": "v3", "option": "b", "ref": "r5"}])
    t.check(s == 200 and codes(b) == ["accepted", "rate_limited", "accepted"],
            f"the voter limit applies to each vote of a batch: {s} {b}")

    # v1 is over its limit now: a retry of its first vote is still told it counted.
    s, b, _ = batch(c, secret, "lim", first)
    t.check(s == 200 and codes(b) == ["accepted", "accepted"]
            and [x["vote_id"] for x in b["results"]] == ids,
            f"a retry past the voter limit answers the same vote_ids: {s} {b}")

    s, b, _ = c.admin("POST", "/v1/elections/lim/close")
    t.check(s == 200, f"close: {s} {b}")
    # After the close: the stored votes are accepted with their ids, a new one is refused.
    s, b, _ = batch(c, secret, "lim", first + [{"voter": "v9", "option": "a", "ref": "r9"}])
    t.check(s == 200 and codes(b) == ["accepted", "accepted", "election_not_open"]
            and [x.get("vote_id") for x in b["results"][:2]] == ids,
            f"a retry after the close answers the same vote_ids: {s} {b}")
    # Only new votes after the close: the whole batch is refused, as before.
    s, b, _ = batch(c, secret, "lim", [{"voter": "v9", "option": "a", "ref": "r9"}])
    t.check(s == 409 and b["error"]["code"] == "election_not_open",
            f"a batch of new votes after the close: {s} {b}")
    job = c.recount("lim")
    t.check(job["state"] == "done" and job.get("report", {}).get("agree"), f"recount: {job}")
    s, audit, _ = c.admin("GET", "/v1/elections/lim/audit")
    t.check(audit["votes"]["log_entries"] == 4, f"4 votes in the log, retries added none: {audit}")

    # The gateway has been charged 7 new votes (2 + 3 + 1 + 1): 3 more fit, then it is over.
    create_open(c, "glim")
    gfirst = [{"voter": f"g{i}", "option": "a", "ref": f"g{i}"} for i in range(3)]
    s, b, _ = batch(c, secret, "glim", gfirst)
    t.check(s == 200 and codes(b) == ["accepted"] * 3, f"within the gateway's burst: {s} {b}")
    gids = [x["vote_id"] for x in b["results"]]
    s, b, h = batch(c, secret, "glim", [{"voter": "g9", "option": "a", "ref": "g9"}])
    t.check(s == 429 and b["error"]["code"] == "rate_limited" and "gateway" in b["error"]["message"]
            and int(h.getheader("Retry-After", "0")) > 0,
            f"over the gateway's limit: 429 with Retry-After: {s} {b}")
    s, b, _ = batch(c, secret, "glim", gfirst + [{"voter": "g9", "option": "a", "ref": "g9"}])
    t.check(s == 200 and codes(b) == ["accepted"] * 3 + ["rate_limited"]
            and [x.get("vote_id") for x in b["results"][:3]] == gids,
            f"over the gateway's limit, a retry is still told its votes counted: {s} {b}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_batch_limits")
    with TempDataDir() as d:
        # The generous address and admin limits of the harness, the voter limit above.
        srv = Server(args.urna, d, rate_limits=LIMITS + GENEROUS_LIMITS[2:]).start()
        try:
            body(srv, t)
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
    t.finish()


if __name__ == "__main__":
    main()
