#!/usr/bin/env python3
"""dynamo_fault_proxy.py's proxy as a process, for the C++ tests of the DynamoDB client
(src/adapters/dynamodb/test_servers.h): `dynamo_fault_proxy_server.py UPSTREAM` prints its
endpoint (http://127.0.0.1:PORT) as the first line, then answers control lines on stdin:

    inject KIND OPERATION|* COUNT EVERY before|after   -> ok
    injected KIND                                      -> ok N
    forwarded                                          -> ok N
    (anything wrong)                                   -> error <why>

and stops at EOF of stdin (so it never outlives the test that started it)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dynamo_fault_proxy import DynamoFaultProxy  # noqa: E402


def answer(proxy, words):
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
    raise ValueError(f"unknown command {' '.join(words)!r}")


def main():
    if len(sys.argv) != 2:
        print("usage: dynamo_fault_proxy_server.py UPSTREAM_URL", file=sys.stderr)
        return 2
    with DynamoFaultProxy(sys.argv[1]) as proxy:
        print(proxy.endpoint, flush=True)
        for line in sys.stdin:
            try:
                reply = answer(proxy, line.split())
            except ValueError as e:
                reply = f"error {e}"
            print(reply, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
