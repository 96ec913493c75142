#!/usr/bin/env python3
"""Distributed mode, crashes under load (issue 9): 2 ingest + 2 processors take a stream of
votes (distinct voters and duplicates through both nodes) while
  1. a processor is killed with SIGKILL in the middle of the stream and started again, and
  2. an ingest node is killed with SIGKILL under load and started again (on a new port).
Afterwards the result is exact, read straight from DynamoDB: no vote answered 202 is lost, none
is counted twice (one ledger item per voter), the results equal the ledger and every 202 has a
receipt that ends counted or duplicate; votes that got no answer from the killed node count at
most once. The recount agrees."""
import threading
import time

from dist_cluster import cluster_from_args, create_open_on_both
from dist_votes import Ballots, check_clean_stop, check_close_and_recount, check_exact
from harness import Checks, wait_for

E = "dist-crash"
OPTIONS = ["a", "b", "c"]
VOTERS = 2400


class Load:
    """Threads casting each voter's votes in turn through the ingest nodes listed in `ports`
    (a list the test may change: a restarted node has a new port). Voter i votes through node
    i % 2, and every third voter votes again through the other node."""

    def __init__(self, ballots, ports, voters, threads=6):
        self.ballots, self.ports, self.voters = ballots, ports, voters
        self.done = 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(k, threads), daemon=True)
                        for k in range(threads)]

    def _run(self, k, n):
        for i in range(k, len(self.voters), n):
            v = self.voters[i]
            self.ballots.cast(self.ports[i % 2], v, OPTIONS[i % 3])
            if i % 3 == 0:
                self.ballots.cast(self.ports[(i + 1) % 2], v, OPTIONS[(i + 1) % 3])
            with self._lock:
                self.done += 1

    def start(self):
        for th in self.threads:
            th.start()
        return self

    def wait_done(self, fraction, timeout=120):
        wait_for(lambda: self.done >= fraction * len(self.voters), timeout=timeout,
                 interval=0.05, what=f"{fraction:.0%} of the voters to vote")

    def join(self, timeout=180):
        deadline = time.monotonic() + timeout
        for th in self.threads:
            th.join(max(0.0, deadline - time.monotonic()))
        return not any(th.is_alive() for th in self.threads)


def main():
    t = Checks("e2e_dist_crash")
    with cluster_from_args(ingest=2, processors=2) as c:
        ports = [n.port for n in c.ingest]
        create_open_on_both(c, E, OPTIONS)
        ballots = Ballots(E)
        load = Load(ballots, ports, [f"v{i:05d}" for i in range(VOTERS)]).start()

        # 1. A processor dies in the middle of the stream; another one takes its partitions
        #    (after the group's session timeout) and it comes back.
        load.wait_done(0.25)
        victim = c.processors[0]
        victim.kill9()
        t.check(not victim.alive(), "processor 1 killed with SIGKILL")
        load.wait_done(0.45)
        victim.start()

        # 2. An ingest node dies under load: its unanswered votes may or may not be in Kafka.
        load.wait_done(0.6)
        node = c.ingest[1]
        node.kill9()
        t.check(not node.alive(), "ingest node 2 killed with SIGKILL")
        ports[1] = ports[0]  # the load goes on through node 1 while node 2 is down
        load.wait_done(0.75)
        node.start()
        ports[1] = node.port
        t.check(load.join(), "the load finished")
        print(f"accepted {len(ballots.accepted)}, refused {len(ballots.refused)}, "
              f"unanswered {len(ballots.unknown)}", flush=True)
        t.check(all(code == 503 for _, _, code, _, _ in ballots.refused),
                f"votes not accepted were answered 503 (or not at all): {ballots.refused[:5]}")
        t.check(len(ballots.accepted) > VOTERS, f"most votes accepted: {len(ballots.accepted)}")

        check_exact(t, c, ballots, [n.port for n in c.ingest])
        check_close_and_recount(t, c, E, "the recount agrees after the crashes")
        check_clean_stop(t, c)
    t.finish()


if __name__ == "__main__":
    main()
