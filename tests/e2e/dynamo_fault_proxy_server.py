#!/usr/bin/env python3
"""dynamo_fault_proxy.py's proxy as a process, for the C++ tests of the DynamoDB client
(src/adapters/dynamodb/test_servers.h): `dynamo_fault_proxy_server.py UPSTREAM` prints its
endpoint (http://127.0.0.1:PORT) as the first line, then answers control lines on stdin:

    inject KIND OPERATION|* COUNT EVERY before|after   -> ok
    injected KIND                                      -> ok N
    forwarded                                          -> ok N
    hold N       the next N requests wait until all N have arrived (at most 20 s) -> ok
    peak         the most requests being forwarded at once so far               -> ok N
    connections  client connections accepted so far                              -> ok N
    unprocessed N  the next N BatchWriteItem requests apply only the first item of each
                 table; the rest come back in UnprocessedItems, as a throttled DynamoDB does
                                                                                  -> ok
    cut          BatchWriteItem requests cut so far                                -> ok N
    reset        forget the rules and zero every count (one proxy serves many tests) -> ok
    (anything wrong)                                   -> error <why>

and stops at EOF of stdin (so it never outlives the test that started it). `hold` shows that
a client has N requests in flight at once (with fewer, the held ones wait out the 20 s and the
test fails); `peak` that it never had more."""
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dynamo_fault_proxy import DynamoFaultProxy  # noqa: E402


class Meter:
    """Counts requests being forwarded at once and client connections; holds requests back for
    `hold`; cuts BatchWriteItem requests for `unprocessed`. Wraps the proxy's forwarding
    (thread-safe)."""

    HOLD_TIMEOUT = 20

    def __init__(self, proxy):
        self.cv = threading.Condition()
        self.active = self.peak = self.connections = 0
        self.hold_left = 0    # requests still to be held
        self.hold_group = 0   # size of the group being gathered
        self.arrived = 0
        self.unprocessed_left = 0
        self.unprocessed_done = 0
        forward = proxy._forward

        def metered(handler, body):
            if handler.headers.get("X-Amz-Target", "").endswith(".BatchWriteItem"):
                with self.cv:
                    cut = self.unprocessed_left > 0
                    if cut:
                        self.unprocessed_left -= 1
                        self.unprocessed_done += 1
                if cut:
                    return self._partial(forward, handler, body)
            return self._metered(forward, handler, body)

        proxy._forward = metered
        handler_class = proxy._server.RequestHandlerClass
        setup = handler_class.setup

        def counted_setup(handler):
            with self.cv:
                self.connections += 1
            setup(handler)

        handler_class.setup = counted_setup

    def _partial(self, forward, handler, body):
        """Forwards the first item of each table; answers the rest as unprocessed."""
        request = json.loads(body)
        left = {}
        for table, items in request["RequestItems"].items():
            request["RequestItems"][table] = items[:1]
            if items[1:]:
                left[table] = items[1:]
        status, headers, data = self._metered(forward, handler, json.dumps(request).encode())
        if status == 200:
            answer = json.loads(data)
            answer["UnprocessedItems"] = left
            data = json.dumps(answer).encode()
        return status, headers, data

    def _metered(self, forward, handler, body):
        with self.cv:
            self.active += 1
            self.peak = max(self.peak, self.active)
            if self.hold_left > 0:
                self.hold_left -= 1
                self.arrived += 1
                self.cv.notify_all()
                self.cv.wait_for(lambda: self.arrived >= self.hold_group, self.HOLD_TIMEOUT)
        try:
            return forward(handler, body)
        finally:
            with self.cv:
                self.active -= 1

    def hold(self, n):
        with self.cv:
            self.hold_left = self.hold_group = n
            self.arrived = 0


def answer(proxy, meter, words):
    if words[:1] == ["inject"] and len(words) == 6 and words[5] in ("before", "after"):
        _, kind, op, count, every, when = words
        proxy.inject(kind, operation=None if op == "*" else op, count=int(count),
                     every=int(every), after=when == "after")
        return "ok"
    if words[:1] == ["injected"] and len(words) == 2:
        with proxy._lock:
            return f"ok {proxy.injected.get(words[1], 0)}"
    if words == ["forwarded"]:
        with proxy._lock:
            return f"ok {proxy.forwarded}"
    if words[:1] == ["hold"] and len(words) == 2:
        meter.hold(int(words[1]))
        return "ok"
    if words == ["reset"]:
        with proxy._lock:
            proxy._rules.clear()
            proxy.injected.clear()
            proxy.forwarded = 0
        with meter.cv:
            meter.peak = meter.active
            meter.connections = 0
            meter.hold_left = 0
            meter.unprocessed_left = meter.unprocessed_done = 0
        return "ok"
    if words == ["cut"]:
        with meter.cv:
            return f"ok {meter.unprocessed_done}"
    if words[:1] == ["unprocessed"] and len(words) == 2:
        with meter.cv:
            meter.unprocessed_left = int(words[1])
        return "ok"
    if words == ["peak"]:
        with meter.cv:
            return f"ok {meter.peak}"
    if words == ["connections"]:
        with meter.cv:
            return f"ok {meter.connections}"
    raise ValueError(f"unknown command {' '.join(words)!r}")


def main():
    if len(sys.argv) != 2:
        print("usage: dynamo_fault_proxy_server.py UPSTREAM_URL", file=sys.stderr)
        return 2
    with DynamoFaultProxy(sys.argv[1]) as proxy:
        meter = Meter(proxy)
        print(proxy.endpoint, flush=True)
        for line in sys.stdin:
            try:
                reply = answer(proxy, meter, line.split())
            except ValueError as e:
                reply = f"error {e}"
            print(reply, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
