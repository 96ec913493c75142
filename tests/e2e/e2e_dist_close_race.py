#!/usr/bin/env python3
"""Distributed mode, the close racing votes on 2 ingest nodes (issue 9, the fenced close): votes
stream into both nodes while an admin closes the election on node 1. Then
  - no vote answered 202 is rejected `election_closed` (each receipt ends counted or duplicate);
  - every counted vote has cast_at <= the election's closed_at;
  - every vote sent after the close answered gets 409 `election_not_open`, on both nodes;
  - votes in the close's window got 202 or a refusal (409 or 503), never a 202 that does not count;
  - the recount agrees and the result is final."""
import datetime
import threading
import time

from dist_cluster import attr, cluster_from_args, create_open_on_both
from dist_votes import (Ballots, check_clean_stop, check_exact, check_recount, settled_receipts,
                        wait_status)
from harness import Checks, Client, wait_for

E = "dist-close-race"
OPTIONS = ["a", "b"]


def iso_ms(s):
    return int(datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)


def main():
    t = Checks("e2e_dist_close_race")
    with cluster_from_args(ingest=2, processors=2) as c:
        ports = [n.port for n in c.ingest]
        create_open_on_both(c, E, OPTIONS)
        ballots = Ballots(E)
        closed = threading.Event()
        after = []  # (status, code) of votes sent once the close was answered
        lock = threading.Lock()
        stop = threading.Event()

        def voter_thread(k):
            i = 0
            while not stop.is_set() and i < 3000:
                port = ports[(k + i) % 2]
                sent_after = closed.is_set()
                s, b = ballots.cast(port, f"r{k:02d}-{i:05d}", OPTIONS[i % 2])
                if sent_after:
                    with lock:
                        after.append((s, b.get("error", {}).get("code") if s != 202 else None))
                i += 1

        threads = [threading.Thread(target=voter_thread, args=(k,), daemon=True)
                   for k in range(8)]
        for th in threads:
            th.start()
        wait_for(lambda: len(ballots.accepted) >= 600, timeout=60, interval=0.02,
                 what="600 votes accepted before the close")
        s, body, _ = Client(ports[0]).admin("POST", f"/v1/elections/{E}/close")
        closed.set()
        t.check(s == 200 and body["status"] == "closed", f"close on node 1: {s} {body}")
        wait_for(lambda: len(after) >= 200, timeout=60, interval=0.02,
                 what="200 votes sent after the close")
        stop.set()
        for th in threads:
            th.join(60)
        t.check(not any(th.is_alive() for th in threads), "the voters stopped")
        closed_at = iso_ms(body["closed_at"])
        print(f"accepted {len(ballots.accepted)}, refused {len(ballots.refused)}, "
              f"after the close {len(after)}", flush=True)
        t.check(after and all(s == 409 and code == "election_not_open" for s, code in after),
                f"every vote after the close: 409 election_not_open "
                f"({sorted(set(after))[:5]})")
        window = {(s, code) for _, _, s, code, _ in ballots.refused}
        t.check(all(s == 409 and code == "election_not_open" or s == 503 for s, code in window),
                f"votes refused in the close's window: 409 election_not_open or 503: {window}")
        t.check(not ballots.unknown, f"every vote got an answer: {ballots.unknown[:3]}")

        rs = settled_receipts(ports, ballots)
        closed_202 = [(v, vid, b) for v, _, vid, _ in ballots.accepted
                      for b in [rs[vid]] if b["status"] not in ("counted", "duplicate")]
        t.check(not closed_202, f"no vote answered 202 is rejected: {closed_202[:3]}")
        check_exact(t, c, ballots, ports)
        late = [(attr(it, "voter"), attr(it, "cast_at")) for it in c.ledger_items(E)
                if (attr(it, "cast_at") or attr(it, "cast_at_ms") or 0) > closed_at]
        t.check(not late, f"every counted vote has cast_at <= closed_at ({closed_at}): {late[:3]}")
        counted_receipts = [b for b in rs.values() if b["status"] == "counted"]
        late_r = [b for b in counted_receipts if iso_ms(b["cast_at"]) > closed_at]
        t.check(counted_receipts and not late_r,
                f"receipts agree: counted cast_at <= closed_at: {late_r[:3]}")
        wait_status(ports[1], E, "closed", timeout=5)  # node 2's catalog: within a second
        check_recount(t, Client(ports[1]), E)
        wait_status(ports[0], E, "final", timeout=5)
        res = Client(ports[0]).results(E)
        t.check(res["final"] is True, f"final: {res}")
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
