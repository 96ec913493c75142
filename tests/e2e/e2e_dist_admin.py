#!/usr/bin/env python3
"""The admin changes of issue 12 item 9 through the distributed roles (mock Kafka + dynalite +
redis-server + 2 `urna ingest` + 1 `urna process --redis` + 1 `urna results`): the elections live
in DynamoDB, each node and the result server read them through their own caches.
- edit (PUT) of a draft made on ingest node 2 is what node 1 and the result server show (title,
  options, results_visibility; status and created_at kept), and the result server's snapshot has
  the new options; PUT of an open election is 409 and changes nothing anywhere;
- delete of a draft on node 2: 404 on node 1 and on the result server (the election and its
  results), listed nowhere; its id created again on node 1 shows the new options everywhere
  (the tombstone's version is newer than any cache's); DELETE of a closed election is 409;
- archive of a final election (votes through both nodes, close, recount) made on node 2: it
  leaves the default list on node 1 and on the result server, `?archived=only` lists it, it is
  still readable with its final results there; archive of a closed one is 409;
- a result server refuses every write (PUT, DELETE, archive) with 404 naming `urna ingest`;
- the final election's `updated_at` read from an ingest node is the same after that node
  restarts (its results come from DynamoDB's checkpoints)."""
from dist_cluster import cluster_from_args
from dist_votes import check_clean_stop, check_recount, wait_counted, wait_status
from harness import ADMIN_TOKEN, Checks, Client, wait_for


def spec(eid, title, options, **extra):
    return {"id": eid, "title": title, "options": [{"id": o, "label": l} for o, l in options],
            **extra}


def listed(port, query=""):
    s, b, _ = Client(port).request("GET", "/v1/elections" + query)
    assert s == 200, (s, b)
    return sorted(e["id"] for e in b["elections"])


def get(port, path):
    s, b, _ = Client(port).request("GET", path)
    return s, b


def eventually(t, what, cond, timeout=15):
    """Checks that `cond()` comes true within `timeout` (caches refresh every 250 ms)."""
    try:
        wait_for(cond, timeout=timeout, interval=0.05, what=what)
        t.check(True, what)
    except AssertionError:
        t.check(False, what)


def main():
    c = cluster_from_args(ingest=2, processors=1, results=1)
    t = Checks("e2e_dist_admin")
    with c:
        n1, n2 = c.ingest[0].client(), c.ingest[1].client()
        p1, rp = c.ingest[0].port, c.results_port

        # --- edit a draft on node 2, seen on node 1 and on the result server
        s, created, _ = n1.admin("POST", "/v1/elections", spec("d", "Draft", [("a", "A")]))
        t.check(s == 201, f"create draft d on node 1: {s} {created}")
        wait_for(lambda: n2.request("GET", "/v1/elections/d")[0] == 200, timeout=10,
                 interval=0.05, what="d on node 2")
        s, b, _ = n2.admin("PUT", "/v1/elections/d", spec(
            "d", "Draft v2", [("a", "Aurora"), ("b", "Basalt")],
            results_visibility="hidden_until_closed"))
        t.check(s == 200 and b["title"] == "Draft v2" and b["status"] == "draft" and
                b["created_at"] == created["created_at"], f"PUT d on node 2: {s} {b}")

        def edited(port):
            s, b = get(port, "/v1/elections/d")
            return (s == 200 and b["title"] == "Draft v2" and
                    [o["label"] for o in b["options"]] == ["Aurora", "Basalt"] and
                    b.get("results_visibility") == "hidden_until_closed" and
                    b["status"] == "draft" and b["created_at"] == created["created_at"])
        eventually(t, "node 1 shows the edit made on node 2", lambda: edited(p1))
        eventually(t, "the result server shows the edit", lambda: edited(rp))
        eventually(t, "the result server's snapshot has the new options",
                   lambda: (lambda s, b: s == 200 and [o["id"] for o in b["options"]] ==
                            ["a", "b"])(*get(rp, "/v1/elections/d/results")))

        # --- delete a draft on node 2
        s, _, _ = n1.admin("POST", "/v1/elections", spec("gone", "Gone", [("a", "A")]))
        t.check(s == 201, f"create draft gone: {s}")
        wait_for(lambda: n2.request("GET", "/v1/elections/gone")[0] == 200, timeout=10,
                 interval=0.05, what="gone on node 2")
        eventually(t, "the result server knows gone", lambda: get(rp, "/v1/elections/gone")[0]
                   == 200)
        s, b, _ = n2.admin("DELETE", "/v1/elections/gone")
        t.check(s == 204, f"DELETE gone on node 2: {s} {b}")
        for name, port in (("node 1", p1), ("the result server", rp)):
            eventually(t, f"{name}: the deleted draft is 404, its results too",
                       lambda port=port: get(port, "/v1/elections/gone")[0] == 404 and
                       get(port, "/v1/elections/gone/results")[0] == 404)
            t.check("gone" not in listed(port, "?archived=include"),
                    f"{name}: the deleted draft is listed nowhere")
        s, _, _ = n1.admin("POST", "/v1/elections", spec("gone", "Again", [("z", "Zeta")]))
        t.check(s == 201, f"the deleted id is created again on node 1: {s}")
        for name, port in (("node 2", c.ingest[1].port), ("the result server", rp)):
            eventually(t, f"{name}: the id created again shows its new options",
                       lambda port=port: (lambda s, b: s == 200 and b["title"] == "Again" and
                                          [o["id"] for o in b["options"]] == ["z"])(
                           *get(port, "/v1/elections/gone")))

        # --- a final election: votes through both nodes, close, recount, archive on node 2
        n1.create_open("fin", ["x", "y"])
        wait_status(c.ingest[1].port, "fin", "open")
        _, before = get(p1, "/v1/elections/fin")
        s, b, _ = n2.admin("PUT", "/v1/elections/fin", spec("fin", "Edited", [("x", "X")]))
        t.check(s == 409, f"PUT of an open election: 409: {s} {b}")
        for name, port in (("node 1", p1), ("node 2", c.ingest[1].port)):
            s, b = get(port, "/v1/elections/fin")
            t.check(s == 200 and b["title"] == before["title"] != "Edited" and
                    b["options"] == before["options"] and b["status"] == "open",
                    f"{name}: the refused PUT changed neither title nor options: {s} {b}")
        for i in range(6):
            client = n1 if i % 2 else n2
            s, b, _ = client.vote("fin", f"voter-{i}", "x" if i < 4 else "y")
            t.check(s == 202, f"vote {i}: {s} {b}")
        wait_counted(p1, "fin", 6)
        s, b, _ = n1.admin("POST", "/v1/elections/fin/close")
        t.check(s == 200, f"close fin: {s} {b}")
        wait_status(c.ingest[1].port, "fin", "closed")
        s, b, _ = n2.admin("DELETE", "/v1/elections/fin")
        t.check(s == 409, f"DELETE of a closed election: 409: {s} {b}")
        s, b, _ = n2.admin("POST", "/v1/elections/fin/archive")
        t.check(s == 409, f"archive of a closed (not final) election: 409: {s} {b}")
        check_recount(t, n1, "fin")
        wait_status(c.ingest[1].port, "fin", "final")
        s, b, _ = n2.admin("POST", "/v1/elections/fin/archive")
        t.check(s == 200 and b["status"] == "final" and b.get("archived_at"),
                f"archive fin on node 2: {s} {b}")
        archived_at = b.get("archived_at")
        for name, port in (("node 1", p1), ("the result server", rp)):
            eventually(t, f"{name}: the archived election leaves the default list",
                       lambda port=port: "fin" not in listed(port))
            t.check(listed(port, "?archived=only") == ["fin"],
                    f"{name}: ?archived=only lists it: {listed(port, '?archived=only')}")
            t.check("fin" in listed(port, "?archived=include") and
                    "d" in listed(port, "?archived=include"),
                    f"{name}: ?archived=include lists it with the others")
            s, b = get(port, "/v1/elections/fin")
            t.check(s == 200 and b.get("archived_at") == archived_at and b["status"] == "final",
                    f"{name}: the archived election is still readable: {s} {b}")
        eventually(t, "the result server shows its final results",
                   lambda: (lambda s, b: s == 200 and b.get("total") == 6 and
                            b.get("final") is True)(*get(rp, "/v1/elections/fin/results")),
                   timeout=30)

        # --- a result server takes no admin write
        cl = Client(rp)
        for method, path, body in (("PUT", "/v1/elections/d", spec("d", "X", [("a", "A")])),
                                   ("DELETE", "/v1/elections/d", None),
                                   ("POST", "/v1/elections/fin/archive", None)):
            s, b, _ = cl.request(method, path, body, bearer=ADMIN_TOKEN)
            t.check(s == 404 and "urna ingest" in b["error"]["message"],
                    f"{method} {path} on the result server: 404 naming urna ingest: {s} {b}")
        t.check(edited(p1), "... and d is unchanged")

        # --- updated_at of the ingest node's own results survives its restart
        s, before = get(p1, "/v1/elections/fin/results")
        t.check(s == 200 and before.get("updated_at"), f"fin's results on node 1: {s} {before}")
        t.check(c.ingest[0].stop() == 0, "node 1 stops on SIGTERM with exit 0")
        c.ingest[0].start()
        p1 = c.ingest[0].port
        s, after = get(p1, "/v1/elections/fin/results")
        t.check(s == 200 and after.get("total") == 6 and
                after.get("updated_at") == before.get("updated_at"),
                f"updated_at is the same after node 1's restart: {before.get('updated_at')} -> "
                f"{after.get('updated_at')}")
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
