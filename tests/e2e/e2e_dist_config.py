#!/usr/bin/env python3
"""Distributed mode configuration (issue 9): every role refuses a missing or malformed setting
at once with exit 2 and a message naming the flag or variable to fix — no Kafka, no DynamoDB
needed, nothing started. `urna ingest` requires URNA_VOTER_SECRET, URNA_ADMIN_TOKEN and
URNA_AUDIT_KEY (all missing ones named); no brokers; a broker that is not host:port; a topic or
table prefix Kafka or DynamoDB would refuse; a --kafka-config properties file with an unknown key
(file, line and key named) or that does not exist; AWS credentials missing; a flag wins over its
variable."""
import argparse
import os
import subprocess
import tempfile

from harness import Checks

SECRETS = {"URNA_VOTER_SECRET": "v", "URNA_ADMIN_TOKEN": "a", "URNA_AUDIT_KEY": "k"}
AWS = {"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9", "AWS_REGION": "us-east-1",
       "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}


def run(urna, args, env_extra, timeout=20):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("URNA_", "AWS_"))}
    env.update(env_extra)
    p = subprocess.run([urna, *args], env=env, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    t = Checks("e2e_dist_config")
    base = dict(SECRETS, **AWS, URNA_KAFKA_BROKERS="127.0.0.1:9")

    def expect2(role_args, env, *words, what):
        rc, out = run(args.urna, role_args, env)
        t.check(rc == 2 and all(w in out for w in words),
                f"{what}: exit 2 naming {words}: got {rc}: {out.strip()[-400:]}")

    no_secrets = {k: v for k, v in base.items() if k not in SECRETS}
    expect2(["ingest"], dict(no_secrets, URNA_ADMIN_TOKEN="a"),
            "URNA_VOTER_SECRET", "URNA_AUDIT_KEY", what="ingest without two secrets")
    rc, out = run(args.urna, ["ingest"], dict(no_secrets, URNA_ADMIN_TOKEN="a"))
    t.check("URNA_ADMIN_TOKEN" not in out, f"the secret that is set is not named: {out}")
    expect2(["ingest"], dict(base, URNA_AUDIT_KEY=""), "URNA_AUDIT_KEY",
            what="an empty secret counts as missing")
    no_brokers = {k: v for k, v in base.items() if k != "URNA_KAFKA_BROKERS"}
    for role in ("init", "ingest", "process"):
        expect2([role], no_brokers, "--kafka", "URNA_KAFKA_BROKERS", what=f"{role} without brokers")
        expect2([role, "--kafka", "kafka-1"], base, "host:port", what=f"{role}: broker without port")
        expect2([role, "--topic", "urna votes"], base, "URNA_TOPIC", what=f"{role}: bad topic")
        expect2([role, "--table-prefix", "urna prod"], base, "URNA_TABLE_PREFIX",
                what=f"{role}: bad table prefix")
    # A flag wins over its variable: a good --kafka over a bad URNA_KAFKA_BROKERS gets past it
    # (then fails on the properties file, which names itself).
    with tempfile.TemporaryDirectory() as d:
        props = os.path.join(d, "kafka.properties")
        with open(props, "w") as f:
            f.write("# comment\n\nclient.rack=r1\nsesion.timeout.ms=6000\n")
        for role in ("init", "ingest", "process"):
            expect2([role, "--kafka", "127.0.0.1:9", "--kafka-config", props],
                    dict(base, URNA_KAFKA_BROKERS="not a broker"),
                    props, "sesion.timeout.ms", what=f"{role}: unknown key in the properties file")
            expect2([role], dict(base, URNA_KAFKA_CONFIG=os.path.join(d, "missing.properties")),
                    "missing.properties", what=f"{role}: properties file that does not exist")
            no_key = {k: v for k, v in base.items() if k != "AWS_ACCESS_KEY_ID"}
            expect2([role], no_key, "AWS_ACCESS_KEY_ID", what=f"{role}: AWS credentials missing")
    expect2(["ingest", "--node-id", "a b"], base, "--node-id", what="ingest: bad node id")
    expect2(["ingest", "--lease-ttl-ms", "1000"], base, "lease",
            what="ingest: a lease TTL below the renew deadline")
    t.finish()


if __name__ == "__main__":
    main()
