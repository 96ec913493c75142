"""Test harness for urna's end-to-end tests: starts the real `urna serve` binary on a temp data
dir and a free loopback port, talks HTTP to it, mints tokens independently (stdlib HMAC)."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import traceback

VOTER_SECRET = "e2e-voter-secret"
ADMIN_TOKEN = "e2e-admin-token"
AUDIT_KEY = "e2e-audit-key"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(voter, exp_in=3600, alg="HS256", secret=VOTER_SECRET, **claims_extra):
    """An HS256 JWT for `voter` expiring in `exp_in` s; extra keyword claims are added as they
    are (e.g. nbf=..., aud=..., iss=...), and exp_in may be a float (a fractional NumericDate)."""
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    claims = {"sub": voter}
    if exp_in is not None:
        claims["exp"] = int(time.time()) + exp_in
    claims.update(claims_extra)
    body = b64(json.dumps(claims).encode())
    if alg == "none":
        return f"{head}.{body}."
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


# Rate limits for tests that are not about them: the limiter stays in the path of every
# request, with budgets no test reaches (many votes from 127.0.0.1, several per voter).
GENEROUS_LIMITS = ["--voter-burst", "100000", "--address-burst", "10000000",
                   "--address-rate", "1000000/s", "--admin-burst", "100000",
                   "--admin-rate", "100000/s"]


class Server:
    """One `urna serve` process. The data dir outlives restarts; stop() removes nothing.
    `rate_limits`: None = GENEROUS_LIMITS, else the rate-limit flags to pass ([] = defaults)."""

    def __init__(self, urna, data_dir, extra_args=(), rate_limits=None):
        limits = GENEROUS_LIMITS if rate_limits is None else list(rate_limits)
        self.urna, self.data_dir, self.extra = urna, data_dir, list(extra_args) + limits
        self.proc, self.port = None, None
        self.output_lines = 0  # lines the server wrote after its first one
        self.last_lines = []   # the most recent of them (bounded)

    def start(self):
        env = dict(os.environ, URNA_VOTER_SECRET=VOTER_SECRET, URNA_ADMIN_TOKEN=ADMIN_TOKEN,
                   URNA_AUDIT_KEY=AUDIT_KEY)
        self.proc = subprocess.Popen(
            [self.urna, "serve", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0", *self.extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
        # stdout's first line says where it listens; log lines (stderr, merged here) may come
        # before it, e.g. a start-up warning.
        seen = ""
        for _ in range(100):
            line = self.proc.stdout.readline()
            seen += line
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m or not line:
                break
        if not m:
            line = seen
            self.proc.kill()
            raise RuntimeError(f"urna did not start: {line!r} {self.proc.stdout.read()}")
        self.port = int(m.group(1))
        # Keep draining output so the server never blocks on a full pipe.
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        return self

    def _drain(self, proc):
        for line in proc.stdout:
            self.output_lines += 1
            self.last_lines.append(line)
            if len(self.last_lines) > 200:
                del self.last_lines[:100]

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise
        return self.proc.returncode if self.proc else None

    def client(self):
        return Client(self.port)


class Client:
    """A keep-alive HTTP client; one per thread."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method, path, body=None, bearer=None, raw=None, headers=None):
        h = dict(headers or {})
        if bearer:
            h["Authorization"] = f"Bearer {bearer}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            h["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=h)
            resp = self.conn.getresponse()
            text = resp.read()
        except (ConnectionError, http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, parsed, resp

    def admin(self, method, path, body=None):
        return self.request(method, path, body, bearer=ADMIN_TOKEN)

    def create_open(self, election, options):
        s, b, _ = self.admin("POST", "/v1/elections", {
            "id": election, "title": f"Test {election}",
            "options": [{"id": o, "label": o.upper()} for o in options]})
        assert s == 201, (s, b)
        s, b, _ = self.admin("POST", f"/v1/elections/{election}/open")
        assert s == 200 and b["status"] == "open", (s, b)

    def vote(self, election, voter, option):
        return self.request("POST", f"/v1/elections/{election}/votes", {"option": option},
                            bearer=token(voter))

    def receipt(self, election, voter, vote_id):
        return self.request("GET", f"/v1/elections/{election}/votes/{vote_id}", bearer=token(voter))

    def recount(self, election, timeout=120):
        """Starts a recount and waits for it to end; returns the job document."""
        s, b, _ = self.admin("POST", f"/v1/elections/{election}/recount")
        assert s in (200, 202), (s, b)
        def done():
            s, b, _ = self.admin("GET", f"/v1/elections/{election}/recount")
            assert s == 200, (s, b)
            return b if b["state"] != "running" else None
        return wait_for(done, timeout=timeout, what="the recount to finish")

    def results(self, election):
        s, b, _ = self.request("GET", f"/v1/elections/{election}/results")
        assert s == 200, (s, b)
        return b


class Workers:
    """Threads whose failures reach the main thread: an exception (an assert included) in a
    plain threading.Thread is printed and dropped, and the test would pass. Each target's
    exception is kept; join() returns them with any thread still running at its deadline, and
    the test checks that the list is empty."""

    def __init__(self, target, args_list, name="worker"):
        self.errors, self._lock = [], threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(target, tuple(args)),
                                         name=f"{name}-{i}", daemon=True)
                        for i, args in enumerate(args_list)]

    def _run(self, target, args):
        try:
            target(*args)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            with self._lock:
                self.errors.append(f"{threading.current_thread().name}: {e!r}\n"
                                   f"{traceback.format_exc(limit=4)}")

    def start(self):
        for th in self.threads:
            th.start()
        return self

    def join(self, timeout=120):
        deadline = time.time() + timeout
        for th in self.threads:
            th.join(max(0.0, deadline - time.time()))
        hung = [th.name for th in self.threads if th.is_alive()]
        with self._lock:
            return self.errors + ([f"still running after {timeout} s: {hung}"] if hung else [])


def error_expecter(c, t):
    """expect(status, code, method, path, ...): sends the request on client `c` and checks with
    `t` that the answer is `status` with error `code` and a message; returns the body."""
    def expect(status, code, method, path, body=None, bearer=None, raw=None, what=""):
        s, b, _ = c.request(method, path, body, bearer=bearer, raw=raw)
        ok = s == status and isinstance(b, dict) and b.get("error", {}).get("code") == code \
            and b["error"].get("message")
        t.check(ok, f"{what or path}: want {status} {code}, got {s} {b}")
        return b
    return expect


def wait_for(predicate, timeout=60, interval=0.1, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


class TempDataDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="urna-e2e-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def run_with_server(name, body, extra_args=()):
    """The usual test main: parse --urna, start a server on a temp data dir, run
    body(server, checks), check that SIGTERM drains with exit 0, report and exit."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks(name)
    with TempDataDir() as d:
        srv = Server(args.urna, d, extra_args).start()
        try:
            body(srv, t)
        finally:
            t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
    t.finish()


class Checks:
    """Collects assertion results so a test reports every failure, then exits non-zero."""

    def __init__(self, name):
        self.name, self.failures, self.passed = name, [], 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failures.append(what)
            print(f"FAIL: {what}", flush=True)

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {len(self.failures)} failed", flush=True)
        raise SystemExit(1 if self.failures else 0)
