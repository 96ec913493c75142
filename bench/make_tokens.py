#!/usr/bin/env python3
"""Writes N voter tokens (HS256 JWTs, one per line) for load tests. Standard library only:
the tokens are made independently of urna's own minting code."""
import argparse, base64, hashlib, hmac, json, time


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(secret: str, voter: str, ttl: int = 3600) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": voter, "exp": int(time.time()) + ttl}).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", required=True)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--prefix", default="bench-voter-")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.out, "w") as f:
        for i in range(a.count):
            f.write(token(a.secret, f"{a.prefix}{i}") + "\n")
