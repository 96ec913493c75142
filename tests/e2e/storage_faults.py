"""Helpers for the storage fault tests (e2e_storage_fds, e2e_disk_full): a voting load that
records every answer, and checks that the server says it is degraded and recovers."""
import re
import threading
import time

from harness import Workers, wait_for


class VoteLoad:
    """Threads voting with fresh voter ids on keep-alive connections opened up front (so a
    test can take file descriptors away from the server without cutting them off). Records each
    answer: 202s with their vote ids, 503s with their messages, anything else as unexpected."""

    def __init__(self, srv, election, options, threads=4):
        self.election, self.options = election, options
        self.clients = [srv.client() for _ in range(threads)]
        for c in self.clients:  # connect now
            c.request("GET", "/healthz")
        self.lock = threading.Lock()
        self.next = 0
        self.acked = []        # (voter, vote_id, time)
        self.failed = []       # (voter, message, time)
        self.unexpected = []   # (voter, status, body)
        self.running = False
        self.workers = None

    def _worker(self, c):
        while self.running:
            with self.lock:
                self.next += 1
                voter = f"s{self.next}"
            try:
                s, b, _ = c.vote(self.election, voter, self.options[self.next % len(self.options)])
            except Exception as e:  # noqa: BLE001 - a dropped connection is a finding
                with self.lock:
                    self.unexpected.append((voter, "exception", repr(e)))
                time.sleep(0.05)
                continue
            now = time.time()
            with self.lock:
                if s == 202:
                    self.acked.append((voter, b["vote_id"], now))
                elif s == 503:
                    self.failed.append((voter, (b or {}).get("error", {}).get("message", str(b)), now))
                else:
                    self.unexpected.append((voter, s, b))
            if s == 503:
                time.sleep(0.01)  # as a client backing off would

    def start(self):
        self.running = True
        self.workers = Workers(self._worker, [(c,) for c in self.clients], name="load").start()

    def stop(self):
        """Stops the threads; a thread that failed (or hung) is recorded as unexpected."""
        self.running = False
        errors = self.workers.join(timeout=60)
        with self.lock:
            self.unexpected += [("thread", "failed", e) for e in errors]

    def wait_answers(self, n_acked=0, n_failed=0, timeout=60):
        """Waits until n_acked more 202s and n_failed more 503s have come (a count of answers,
        not a time: a slow machine gets the same evidence, later)."""
        a0, f0 = self.counts()
        wait_for(lambda: (lambda a, f: a >= a0 + n_acked and f >= f0 + n_failed)(*self.counts()),
                 timeout=timeout, interval=0.02,
                 what=f"{n_acked} more 202s and {n_failed} more 503s")

    def counts(self):
        with self.lock:
            return len(self.acked), len(self.failed)

    def first_ack_after(self, t0):
        with self.lock:
            times = [t for _, _, t in self.acked if t >= t0]
        return min(times) if times else None


def check_no_ack_while_failing(t, load, what):
    """While the fault lasts nothing is acknowledged: answers in flight at the fault settle
    first (20 failures), then 100 more votes all fail."""
    load.wait_answers(n_failed=20)
    t_check = time.time()
    load.wait_answers(n_failed=100)
    t.check(load.first_ack_after(t_check) is None, what)


def metric(client, name):
    s, body, _ = client.request("GET", "/metrics")
    text = body if isinstance(body, str) else body.decode() if isinstance(body, bytes) else ""
    m = re.search(rf"^{name} (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def health(client):
    s, b, _ = client.request("GET", "/healthz")
    return s, b


def check_all_acked_counted(t, c, election, load, timeout=120):
    """Every 202 is counted once the processor caught up; nothing that was not acknowledged
    beyond the 503'd attempts shows up."""
    acked = {v for v, _, _ in load.acked}

    def settled():
        r = c.results(election)
        return r if r["total"] >= len(acked) else None

    try:
        r = wait_for(settled, timeout=timeout, what="every acknowledged vote to be counted")
    except AssertionError:
        r = c.results(election)
    t.check(r["total"] >= len(acked),
            f"every 202 is counted: {r['total']} counted, {len(acked)} acknowledged")
    t.check(r["total"] <= len(acked) + len(load.failed),
            f"no vote counted that was never sent: {r['total']} <= {len(acked)} + {len(load.failed)}")
    # Each acknowledged vote's receipt says counted (a sample keeps the test fast).
    sample = load.acked[:: max(1, len(load.acked) // 300)]
    bad = []
    for voter, vid, _ in sample:
        s, b, _ = c.receipt(election, voter, vid)
        if s != 200 or b.get("status") != "counted":
            bad.append((voter, vid, s, b))
    t.check(not bad, f"sampled receipts of 202'd votes are counted ({len(sample)} checked): {bad[:3]}")
