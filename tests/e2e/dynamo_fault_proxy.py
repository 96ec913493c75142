"""A fault-injecting HTTP proxy in front of dynalite, for the tests of retries: it forwards
DynamoDB JSON requests and answers chosen ones with DynamoDB's throttling or 5xx errors instead.
A fault is injected either instead of the request (dynalite never sees it) or after it (dynalite
applied it, the client sees the error: the case where a retry must be idempotent).

    proxy = DynamoFaultProxy(dynalite.endpoint)      # listens on a free loopback port
    proxy.inject("throttle", operation="PutItem", count=3)
    proxy.inject("internal", operation="PutItem", count=1, after=True)
    ... point the client at proxy.endpoint ...
    proxy.injected   # {"throttle": 3, "internal": 1}
    proxy.hold("PutItem", table="urna-checkpoints")   # matching requests wait, unforwarded,
    proxy.held; proxy.release()                       # until release()
    proxy.stop()

Rules apply in the order given; each injects into the next `count` matching requests (every
`every`-th one of them), then is spent. One thread per client connection (keep-alive).
"""
import http.client
import http.server
import json
import sys
import threading
import urllib.parse

# kind -> (HTTP status, __type, message), as DynamoDB answers them.
FAULTS = {
    "throttle": (400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                 "The level of configured provisioned throughput for the table was exceeded."),
    "request_limit": (400, "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded",
                      "Throughput exceeds the current throughput limit for your account."),
    "internal": (500, "com.amazonaws.dynamodb.v20120810#InternalServerError",
                 "Internal server error (injected)"),
    "unavailable": (503, "com.amazonaws.dynamodb.v20120810#ServiceUnavailable",
                    "Service unavailable (injected)"),
}


class _Rule:
    def __init__(self, kind, operation, count, every, after):
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: one of {sorted(FAULTS)}")
        if count < 1 or every < 1:
            raise ValueError("count and every must be >= 1")
        self.kind, self.operation, self.left, self.every, self.after = (
            kind, operation, count, every, after)
        self.seen = 0

    def take(self, operation):
        """True when this request gets the fault; counts the request either way."""
        if self.left == 0 or (self.operation and self.operation != operation):
            return False
        self.seen += 1
        if self.seen % self.every:
            return False
        self.left -= 1
        return True


class DynamoFaultProxy:
    """The proxy server; owns its listening thread. Thread-safe."""

    def __init__(self, upstream_endpoint):
        u = urllib.parse.urlsplit(upstream_endpoint)
        self._upstream = (u.hostname, u.port)
        self._lock = threading.Lock()
        self._rules = []
        self.injected = {}
        self.forwarded = 0
        self.held = 0           # requests held back by hold() so far
        self.held_answers = []  # DynamoDB's answers to them once released: (status, __type)
        self._hold = None       # (operation, table) to hold, or None
        self._released = threading.Event()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                operation = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
                was_held = proxy._maybe_hold(operation, body)
                rule = proxy._match(operation)
                if rule and not rule.after:
                    return self._fault(rule.kind)
                status, headers, data = proxy._forward(self, body)
                if was_held:
                    proxy._held_answer(status, data)
                if rule:
                    return self._fault(rule.kind)
                self._reply(status, headers, data)

            def _fault(self, kind):
                status, type_, message = FAULTS[kind]
                self._reply(status, [("Content-Type", "application/x-amz-json-1.0")],
                            json.dumps({"__type": type_, "message": message}).encode())

            def _reply(self, status, headers, data):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        default_error = self._server.handle_error

        def handle_error(request, client_address):
            # A client that gave up on a held or slow request closed its connection: expected.
            if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                default_error(request, client_address)
        self._server.handle_error = handle_error
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def inject(self, kind, operation=None, count=1, every=1, after=False):
        """Answers the next `count` matching requests (every `every`-th) with fault `kind`;
        after=True forwards them first, so dynalite applies them."""
        with self._lock:
            self._rules.append(_Rule(kind, operation, count, every, after))

    def clear(self):
        """Drops every fault rule not yet spent: requests pass again."""
        with self._lock:
            self._rules = []

    def hold(self, operation=None, table=None):
        """From now on, requests of `operation` on `table` (None: any) are held, not forwarded,
        until release() (at most 120 s each); `held` counts them."""
        with self._lock:
            self._released.clear()
            self._hold = (operation, table)

    def release(self):
        """Forwards the held requests (and stops holding)."""
        with self._lock:
            self._hold = None
            self._released.set()

    def _maybe_hold(self, operation, body):
        """Holds a matching request until release(); True if it was held."""
        with self._lock:
            rule = self._hold
            if rule is None or (rule[0] and rule[0] != operation):
                return False
            if rule[1]:
                try:
                    if json.loads(body).get("TableName") != rule[1]:
                        return False
                except ValueError:
                    return False
            self.held += 1
            released = self._released
        released.wait(120)
        return True

    def _held_answer(self, status, data):
        try:
            type_ = str(json.loads(data).get("__type", "")).rsplit("#", 1)[-1] if data else ""
        except ValueError:
            type_ = ""
        with self._lock:
            self.held_answers.append((status, type_))

    def _match(self, operation):
        with self._lock:
            for rule in self._rules:
                if rule.take(operation):
                    self.injected[rule.kind] = self.injected.get(rule.kind, 0) + 1
                    return rule
        return None

    def _forward(self, handler, body):
        # A new upstream connection per request: a kept one that dynalite closed while idle
        # would fail in a way that cannot tell whether the request was applied, and a blind
        # resend would be a replay this proxy was not asked to inject.
        keep = ("Content-Type", "X-Amz-Target", "X-Amz-Date", "Authorization",
                "X-Amz-Security-Token")
        headers = {k: handler.headers[k] for k in keep if handler.headers.get(k)}
        headers["Host"] = handler.headers.get("Host", "")
        conn = http.client.HTTPConnection(*self._upstream, timeout=30)
        try:
            conn.request("POST", handler.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        with self._lock:
            self.forwarded += 1
        passed = [(k, v) for k, v in resp.getheaders()
                  if k.lower() not in ("content-length", "connection", "transfer-encoding", "date")]
        return resp.status, passed, data

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
