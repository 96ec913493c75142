#!/usr/bin/env python3
"""Cross-origin reads (docs/api.md "Cross-origin reads") against the real `urna serve`: with
--cors-origins the public read endpoints answer the OPTIONS preflight (204 with the allowed
methods and headers; 403 for another origin, a write method or a header it does not allow), the
results (GET, HEAD, SSE) and elections carry Access-Control-Allow-Origin for a listed origin,
writes never do, and a WebSocket from an origin neither listed nor the server's own is refused
403. Without the flag nothing carries CORS headers; a bad flag value is a usage error."""
import argparse
import base64
import os
import socket
import subprocess

from harness import ADMIN_TOKEN, Checks, Server, TempDataDir, token

E = "cors"
GFX = "https://gfx.example"
EVIL = "https://evil.example"


def raw(port, text, want_bytes=4096):
    """Sends `text` and returns the response head (the first \\r\\n\\r\\n), as a str."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(text.encode())
        data = b""
        while b"\r\n\r\n" not in data and len(data) < want_bytes:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n")[0].decode("latin-1")


def headers_of(head):
    lines = head.split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    h = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        h.setdefault(k.strip().lower(), v.strip())
    return status, h


def ws_handshake(port, origin):
    key = base64.b64encode(os.urandom(16)).decode()
    o = f"Origin: {origin}\r\n" if origin else ""
    return headers_of(raw(port, f"GET /v1/elections/{E}/results/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                                f"Sec-WebSocket-Version: 13\r\n{o}\r\n"))


def with_cors(t, srv):
    c = srv.client()
    c.create_open(E, ["a", "b"])
    s, b, _ = c.vote(E, "alice", "a")
    t.check(s == 202, f"a vote: {s} {b}")

    def preflight(path, origin, method="GET", req_headers=None):
        h = {"Origin": origin, "Access-Control-Request-Method": method}
        if req_headers:
            h["Access-Control-Request-Headers"] = req_headers
        return c.request("OPTIONS", path, headers=h)

    for path in [f"/v1/elections/{E}/results", f"/v1/elections/{E}/results/stream",
                 "/v1/elections", f"/v1/elections/{E}"]:
        s, _, r = preflight(path, GFX, req_headers="If-None-Match")
        t.check(s == 204 and r.getheader("Access-Control-Allow-Origin") == GFX
                and "GET" in (r.getheader("Access-Control-Allow-Methods") or "")
                and "If-None-Match" in (r.getheader("Access-Control-Allow-Headers") or "")
                and r.getheader("Access-Control-Max-Age"),
                f"preflight of {path} from {GFX}: 204 with the CORS headers: {s} {r.getheaders()}")
    # Each route advertises its own methods: HEAD only where HEAD is answered.
    s, _, r = preflight(f"/v1/elections/{E}/results", GFX, method="HEAD")
    t.check(s == 204 and r.getheader("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS",
            f"preflight for HEAD of the results: 204: {s} {r.getheaders()}")
    for path in ["/v1/elections", f"/v1/elections/{E}", f"/v1/elections/{E}/results/stream"]:
        s, _, r = preflight(path, GFX)
        methods = r.getheader("Access-Control-Allow-Methods")
        t.check(methods == "GET, OPTIONS", f"preflight of {path} advertises GET only: {methods}")
        s, _, _ = preflight(path, GFX, method="HEAD")
        hs, _, _ = c.request("HEAD", path)
        t.check(s == 403 and hs == 405,
                f"HEAD of {path} is a 405, and its preflight a 403: {hs} {s}")
    s, _, r = preflight(f"/v1/elections/{E}/results", GFX, req_headers="Accept-Language")
    allowed = r.getheader("Access-Control-Allow-Headers") or ""
    t.check(s == 204 and "Accept-Language" in allowed,
            f"Accept-Language is taken and listed: {s} {allowed}")
    s, b, r = preflight(f"/v1/elections/{E}/results", EVIL)
    t.check(s == 403 and r.getheader("Access-Control-Allow-Origin") is None
            and b["error"]["code"] == "forbidden", f"preflight from an unlisted origin: 403: {s} {b}")
    s, b, _ = preflight(f"/v1/elections/{E}/results", GFX, method="DELETE")
    t.check(s == 403, f"preflight for a write method: 403: {s} {b}")
    s, b, _ = preflight(f"/v1/elections/{E}/results", GFX, req_headers="Authorization")
    t.check(s == 403, f"preflight asking for Authorization: 403: {s} {b}")
    s, _, r = preflight(f"/v1/elections/{E}/votes", GFX, method="POST")
    t.check(r.getheader("Access-Control-Allow-Origin") is None,
            f"no CORS on the vote route: {s} {r.getheaders()}")

    s, _, r = c.request("GET", f"/v1/elections/{E}/results", headers={"Origin": GFX})
    t.check(s == 200 and r.getheader("Access-Control-Allow-Origin") == GFX
            and r.getheader("Access-Control-Expose-Headers") == "ETag"
            and r.getheader("Vary") == "Origin", f"GET results from {GFX}: {s} {r.getheaders()}")
    s, _, r = c.request("HEAD", f"/v1/elections/{E}/results", headers={"Origin": GFX})
    t.check(s == 200 and r.getheader("Access-Control-Allow-Origin") == GFX, f"HEAD results: {s}")
    s, _, r = c.request("GET", "/v1/elections", headers={"Origin": GFX})
    t.check(s == 200 and r.getheader("Access-Control-Allow-Origin") == GFX, f"GET elections: {s}")
    s, _, r = c.request("GET", f"/v1/elections/{E}/results", headers={"Origin": EVIL})
    t.check(s == 200 and r.getheader("Access-Control-Allow-Origin") is None
            and r.getheader("Vary") == "Origin", f"GET results from an unlisted origin: no ACAO: {s}")
    s, _, r = c.request("POST", f"/v1/elections/{E}/votes", {"option": "b"}, bearer=token("bob"),
                        headers={"Origin": GFX})
    t.check(s == 202 and r.getheader("Access-Control-Allow-Origin") is None,
            f"a vote carries no CORS headers: {s} {r.getheaders()}")
    # Writes on a public read's own path stay same-origin (the reviewer's case: the admin's
    # create answered 201 with ACAO, so another origin's page could read it).
    s, _, r = c.request("POST", "/v1/elections", {"id": "x-origin", "title": "X",
                                                  "options": [{"id": "a", "label": "A"}]},
                        bearer=ADMIN_TOKEN, headers={"Origin": GFX})
    t.check(s == 201 and r.getheader("Access-Control-Allow-Origin") is None
            and r.getheader("Access-Control-Expose-Headers") is None,
            f"admin POST /v1/elections from {GFX}: 201 without CORS headers: {s} {r.getheaders()}")
    s, _, r = c.request("DELETE", "/v1/elections/x-origin", bearer=ADMIN_TOKEN,
                        headers={"Origin": GFX})
    t.check(s == 204 and r.getheader("Access-Control-Allow-Origin") is None,
            f"admin DELETE /v1/elections/x-origin from {GFX}: no CORS headers: {s} {r.getheaders()}")

    st, h = headers_of(raw(srv.port, f"GET /v1/elections/{E}/results/stream HTTP/1.1\r\n"
                                     f"Host: x\r\nAccept: text/event-stream\r\nOrigin: {GFX}\r\n\r\n"))
    t.check(st == 200 and h.get("access-control-allow-origin") == GFX
            and h.get("content-type") == "text/event-stream",
            f"the SSE stream's head carries ACAO for {GFX}: {st} {h}")

    st, h = ws_handshake(srv.port, GFX)
    t.check(st == 101, f"WebSocket from a listed origin: 101: {st} {h}")
    st, h = ws_handshake(srv.port, f"http://127.0.0.1:{srv.port}")
    t.check(st == 101, f"WebSocket from the server's own pages: 101: {st}")
    st, h = ws_handshake(srv.port, None)
    t.check(st == 101, f"WebSocket without Origin (not a browser): 101: {st}")
    st, h = ws_handshake(srv.port, EVIL)
    t.check(st == 403, f"WebSocket from an unlisted origin: 403: {st} {h}")


def without_cors(t, srv):
    c = srv.client()
    c.create_open(E, ["a", "b"])
    s, _, r = c.request("GET", f"/v1/elections/{E}/results", headers={"Origin": GFX})
    t.check(s == 200 and r.getheader("Access-Control-Allow-Origin") is None
            and r.getheader("Vary") is None, f"no --cors-origins: no CORS headers: {r.getheaders()}")
    s, _, r = c.request("OPTIONS", f"/v1/elections/{E}/results",
                        headers={"Origin": GFX, "Access-Control-Request-Method": "GET"})
    t.check(s == 204 and r.getheader("Access-Control-Allow-Origin") is None
            and r.getheader("Allow") == "GET, HEAD, OPTIONS",
            f"no --cors-origins: OPTIONS lists the methods, no CORS headers: {s} {r.getheaders()}")
    st, _ = ws_handshake(srv.port, EVIL)
    t.check(st == 101, f"no --cors-origins: no WebSocket Origin check (as before): {st}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_cors")
    for extra, body in [(["--cors-origins", f"{GFX}, http://localhost:3000"], with_cors),
                        ([], without_cors)]:
        with TempDataDir() as d:
            srv = Server(args.urna, d, extra).start()
            try:
                body(t, srv)
            finally:
                t.check(srv.stop() == 0, "SIGTERM drains and exits 0")
    with TempDataDir() as d:
        p = subprocess.run([args.urna, "serve", "--data-dir", d, "--listen", "127.0.0.1:0",
                            "--cors-origins", "gfx.example/path"],
                           capture_output=True, text=True, timeout=60)
        t.check(p.returncode != 0 and "--cors-origins" in p.stderr + p.stdout,
                f"a bad --cors-origins is refused at start: {p.returncode} {p.stderr[-300:]!r}")
    t.finish()


if __name__ == "__main__":
    main()
