"""Votes through a distributed cluster (dist_cluster.Cluster) and the checks every distributed
end-to-end test makes of them: what was answered 202, what the ledger in DynamoDB holds, what the
results and the receipts say. Thread-safe where noted."""
import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from dist_cluster import attr
from harness import Client, token, wait_for


class Ballots:
    """Every vote sent, by answer. cast() may be called from many threads; each thread keeps one
    keep-alive client per port."""

    def __init__(self, election):
        self.election = election
        self.accepted = []   # (voter, option, vote_id, port)
        self.refused = []    # (voter, option, status, error code, port)
        # Sent, but no answer came (the connection broke: a node killed): the vote may or may
        # not be in the log. (voter, option, port)
        self.unknown = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def _client(self, port):
        clients = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        if port not in clients:
            clients[port] = Client(port)
        return clients[port]

    def cast(self, port, voter, option):
        """Sends one vote; returns (status, body); (0, ...) when no answer came (kept in unknown)."""
        try:
            s, b, _ = self._client(port).vote(self.election, voter, option)
        except (OSError, http.client.HTTPException) as e:
            with self._lock:
                self.unknown.append((voter, option, port))
            return 0, {"error": {"code": f"connection: {e!r}"}}
        with self._lock:
            if s == 202:
                self.accepted.append((voter, option, b["vote_id"], port))
            elif s == 503 and "fate is unknown" in str(b):
                # The node's lease lapsed while the vote was on its way to Kafka: it may count.
                self.unknown.append((voter, option, port))
            else:
                code = b.get("error", {}).get("code") if isinstance(b, dict) else str(b)
                self.refused.append((voter, option, s, code, port))
        return s, b

    def accepted_voters(self):
        with self._lock:
            return {v for v, _, _, _ in self.accepted}


def cast_pairs(ballots, ports, voters, options, threads=8):
    """Each voter votes twice at about the same moment, once through each of two ingest nodes
    (ports[0], ports[1]) and for two different options: `threads` threads per node walk the same
    voter list in the same order."""
    def walk(node, start):
        for i in range(start, len(voters), threads):
            ballots.cast(ports[node], voters[i], options[(i + node) % len(options)])
    with ThreadPoolExecutor(2 * threads) as pool:
        futs = [pool.submit(walk, node, k) for node in (0, 1) for k in range(threads)]
        for f in futs:
            f.result()


def wait_counted(port, election, total, timeout=120):
    """Waits until the results of `election` read from `port` show `total` votes."""
    c = Client(port)
    last = {}

    def done():
        s, b, _ = c.request("GET", f"/v1/elections/{election}/results")
        last["b"] = b
        return s == 200 and b.get("total") == total

    try:
        wait_for(done, timeout=timeout, interval=0.25, what=f"{total} votes counted")
    except AssertionError:
        raise AssertionError(f"{total} votes not counted within {timeout} s: {last.get('b')}")
    return last["b"]


def receipts(ports, ballots, threads=16):
    """The receipt of every accepted vote, asked of the ingest nodes in turn: {vote_id: body}."""
    local = threading.local()

    def one(i_vote):
        i, (voter, _, vote_id, _) = i_vote
        port = ports[i % len(ports)]
        if getattr(local, "c", None) is None:
            local.c = {}
        c = local.c.setdefault(port, Client(port))
        s, b, _ = c.receipt(ballots.election, voter, vote_id)
        assert s == 200, (port, voter, vote_id, s, b)
        return vote_id, b

    with ThreadPoolExecutor(threads) as pool:
        return dict(pool.map(one, enumerate(ballots.accepted)))


def settled_receipts(ports, ballots, timeout=120):
    """Receipts once none is pending (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        rs = receipts(ports, ballots)
        pending = [v for v, b in rs.items() if b["status"] == "pending"]
        if not pending:
            return rs
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(pending)} receipts still pending after {timeout} s")
        time.sleep(0.5)


def check_exact(t, cluster, ballots, ports, voters_expected=None):
    """What users rely on, checked from outside urna: the ledger in DynamoDB holds exactly one
    item per voter with an accepted vote, and that item is one of the voter's accepted votes;
    the results of every ingest node equal the ledger's per-option counts; every accepted vote
    has a receipt that ends `counted` (exactly the ledger's vote) or `duplicate` (naming it)."""
    e = ballots.election
    t0 = time.monotonic()
    voters = ballots.accepted_voters()
    if voters_expected is not None:
        t.check(len(voters) == voters_expected,
                f"{voters_expected} voters have an accepted vote: {len(voters)}")
    cluster.wait_caught_up()
    if not ballots.unknown:
        for port in ports:
            wait_counted(port, e, len(voters))
    else:  # the total is the ledger's: votes that got no answer may count
        total = len({attr(it, "voter") for it in cluster.ledger_items(e)})
        for port in ports:
            wait_counted(port, e, total)
    print(f"counted: {time.monotonic() - t0:.1f} s", flush=True)
    items = cluster.ledger_items(e)
    by_voter = {}
    for it in items:
        by_voter.setdefault(attr(it, "voter") or attr(it, "sk"), []).append(it)
    # A vote sent to a node killed before it answered may be in the log (then it counts like any
    # other) or not: its voter may have a ledger item without any 202.
    maybe = {}
    for voter, option, _ in ballots.unknown:
        maybe.setdefault(voter, set()).add(option)
    extra = set(by_voter) - voters
    t.check(voters <= set(by_voter) and extra <= set(maybe),
            f"the ledger's voters are those with a 202 (plus unanswered ones): missing "
            f"{sorted(voters - set(by_voter))[:5]}, unexplained {sorted(extra - set(maybe))[:5]}")
    t.check(len(items) == len(by_voter), f"one ledger item per voter: {len(items)} items, "
            f"{len(by_voter)} voters")
    accepted_ids = {}
    for voter, option, vote_id, _ in ballots.accepted:
        accepted_ids.setdefault(voter, {})[vote_id] = option
    ledger_vote = {}
    bad = []
    for voter, its in by_voter.items():
        vid, option = attr(its[0], "vote_id"), attr(its[0], "option")
        ledger_vote[voter] = vid
        known = accepted_ids.get(voter, {})
        if vid in known:
            ok = known[vid] == option
        else:  # not a 202'd vote: it must be an unanswered one
            ok = option in maybe.get(voter, set())
            known[vid] = option
            accepted_ids[voter] = known
        if not ok:
            bad.append((voter, vid, option))
    t.check(not bad, f"every ledger item is one of its voter's votes: {bad[:5]}")
    per_option = {}
    for voter, vid in ledger_vote.items():
        o = accepted_ids.get(voter, {}).get(vid)
        per_option[o] = per_option.get(o, 0) + 1
    for port in ports:
        r = Client(port).results(e)
        shown = {o["id"]: o["votes"] for o in r["options"] if o.get("votes")}
        t.check(shown == per_option, f"results on :{port} equal the ledger: {shown} vs "
                f"{per_option}")
    print(f"ledger checked: {time.monotonic() - t0:.1f} s", flush=True)
    rs = settled_receipts(ports, ballots)
    print(f"receipts settled: {time.monotonic() - t0:.1f} s", flush=True)
    wrong = []
    for voter, _, vote_id, _ in ballots.accepted:
        b = rs[vote_id]
        if b["status"] == "counted":
            ok = ledger_vote.get(voter) == vote_id
        elif b["status"] == "duplicate":
            ok = b.get("counted_vote_id") == ledger_vote.get(voter) != vote_id
        else:
            ok = False
        if not ok:
            wrong.append((voter, vote_id, b))
    t.check(not wrong, f"every 202 has a receipt: counted = the ledger's vote, duplicate "
            f"names it ({len(wrong)} wrong: {wrong[:3]})")
    return per_option


def wait_status(port, election, status, timeout=10):
    """Waits until the ingest node at `port` shows `election` with `status`."""
    c = Client(port)
    return wait_for(lambda: c.request("GET", f"/v1/elections/{election}")[1].get("status")
                    == status, timeout=timeout, interval=0.05,
                    what=f"{election} {status} on :{port}")


def check_recount(t, client, election, what="the recount agrees"):
    """Runs the recount of `election` through `client` and checks that it is done and agrees."""
    job = client.recount(election)
    t.check(job["state"] == "done" and job["report"]["agree"] is True, f"{what}: {job}")
    return job


def check_close_and_recount(t, c, election, what="the recount agrees"):
    """Closes `election` through ingest node 1 and checks the recount through node 2 once node 2
    sees the close (its catalog cache: within a second)."""
    s, body, _ = c.ingest[0].client().admin("POST", f"/v1/elections/{election}/close")
    t.check(s == 200, f"close: {s} {body}")
    wait_status(c.ingest[1].port, election, "closed", timeout=5)
    return check_recount(t, c.ingest[1].client(), election, what)


def check_clean_stop(t, c):
    """Stops every role of cluster `c` with SIGTERM and checks that each exits 0."""
    codes = c.stop()
    t.check(all(code == 0 for code in codes.values()), f"SIGTERM: every role exits 0: {codes}")


__all__ = ["Ballots", "cast_pairs", "check_clean_stop", "check_close_and_recount", "check_exact",
           "check_recount", "receipts", "settled_receipts", "wait_counted", "wait_status", "token"]
