#!/usr/bin/env python3
"""Trusted gateway batches through `urna ingest` (mock Kafka + dynalite + 2 ingest nodes + 2
processors): a gateway created on node 1 (table urna-gateways) sends batches to both nodes; every
vote answered accepted is counted (ledger items read straight from DynamoDB, the results of both
nodes, the recount); a retry of a batch on the other node answers the same vote_ids and appends
nothing; a gateway revoked on node 1 is refused by node 2 within its refresh period."""
from dist_cluster import cluster_from_args, create_open_on_both
from harness import Checks, wait_for

E = "dist-batch"
BATCHES, SIZE = 20, 100


def batch(client, secret, votes):
    return client.request("POST", f"/v1/elections/{E}/votes:batch", {"votes": votes},
                          bearer=secret)


def main():
    t = Checks("e2e_dist_batch")
    with cluster_from_args(ingest=2, processors=2) as c:
        t.check("urna-gateways" in c.init_output, f"urna init names urna-gateways: {c.init_output}")
        a, b = (n.client() for n in c.ingest)
        create_open_on_both(c, E, ["a", "b"])
        s, gw, _ = a.admin("POST", "/v1/gateways", {"id": "edge", "elections": [E]})
        t.check(s == 201 and gw["secret"], f"gateway created on node 1: {s} {gw}")
        secret = gw["secret"]
        # Node 2 learns of it within its refresh period (--gateway-refresh-ms, 1 s by default).
        probe = [{"voter": "probe", "option": "a", "ref": "probe"}]
        wait_for(lambda: batch(b, secret, probe)[0] == 200, timeout=10,
                 what="node 2 knows the new gateway")

        accepted, sent = {}, {}
        for n in range(BATCHES):
            votes = [{"voter": f"v{n}-{i}", "option": "ab"[i % 2], "ref": f"{n}.{i}"}
                     for i in range(SIZE)]
            sent[n] = votes
            s, body, _ = batch((a, b)[n % 2], secret, votes)
            t.check(s == 200, f"batch {n}: {s} {body}")
            if s != 200:
                continue
            for v, r in zip(votes, body["results"]):
                t.check(r.get("status") == "accepted", f"batch {n}: {r}")
                if r.get("status") == "accepted":
                    accepted[v["ref"]] = r["vote_id"]
        # Retries, each on the other node: the same vote_ids.
        for n in range(0, BATCHES, 4):
            s, body, _ = batch((b, a)[n % 2], secret, sent[n])
            same = s == 200 and all(r.get("vote_id") == accepted.get(v["ref"])
                                    for v, r in zip(sent[n], body["results"]))
            t.check(same, f"retry of batch {n} on the other node: the same vote_ids ({s})")
        # A ref reused for another vote: refused, on either node, and nothing appended.
        s, body, _ = batch(b, secret, [{"voter": "someone-else", "option": "a", "ref": "0.0"}])
        t.check(s == 200 and body["results"][0].get("error", {}).get("code") == "conflict",
                f"a reused ref for another voter is a conflict: {s} {body}")
        ends = c.wait_caught_up()
        appended = sum(ends.values())
        t.check(appended == BATCHES * SIZE + 1,
                f"the retries appended nothing: {appended} log entries for "
                f"{BATCHES * SIZE + 1} votes")
        items = c.ledger_items(E)
        ids = {i.get("vote_id", {}).get("S") for i in items}
        t.check(len(items) == BATCHES * SIZE + 1 and set(accepted.values()) <= ids,
                f"every accepted vote is a ledger item: {len(items)} items")
        for cl in (a, b):
            res = wait_for(lambda: (lambda r: r if r["total"] == BATCHES * SIZE + 1 else None)(
                cl.results(E)), timeout=30, what="both nodes' results")
            t.check(res["total"] == BATCHES * SIZE + 1, f"results: {res}")

        s, body, _ = a.admin("DELETE", "/v1/gateways/edge")
        t.check(s == 200 and body["revoked_at"], f"revoked on node 1: {s} {body}")
        s, body, _ = batch(a, secret, probe)
        t.check(s == 403 and "revoked" in body["error"]["message"],
                f"node 1 refuses at once: {s} {body}")
        wait_for(lambda: batch(b, secret, probe)[0] == 403, timeout=10,
                 what="node 2 refuses the revoked gateway")
        s, body, _ = a.admin("POST", f"/v1/elections/{E}/close")
        t.check(s == 200, f"close: {s} {body}")
        # Node 2 learns of the close from the catalog within its refresh period.
        wait_for(lambda: b.request("GET", f"/v1/elections/{E}")[1].get("status") != "open",
                 timeout=30, what="node 2 sees the election closed")
        job = b.recount(E)
        rep = job.get("report", {})
        t.check(job["state"] == "done" and rep.get("agree")
                and rep["votes"]["counted"] == BATCHES * SIZE + 1
                and rep["votes"]["duplicate"] == 0,
                f"the recount agrees, every gateway vote counted once: {rep.get('votes')}")
    t.finish()


if __name__ == "__main__":
    main()
