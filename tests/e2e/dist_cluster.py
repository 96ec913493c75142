"""A whole distributed deployment of urna on this machine, for the distributed end-to-end tests
and scripts/cluster: librdkafka's mock Kafka cluster (3 brokers), dynalite as DynamoDB,
`urna init`, N `urna ingest` nodes and M `urna process` processors (real processes, real
protocols), optionally a real redis-server with K `urna results` servers sharing one port
(--reuse-port; the processors then publish to Redis), and nginx in front as the load balancer
(results to the result servers when there are any, everything else to the ingest nodes).

    with Cluster(urna, kafka_mock, ingest=2, processors=2, results=2) as c:
        c.ingest[0].client().create_open("e1", ["a", "b"])
        c.results_port            # the port the result servers share
        c.processors[1].kill9(); c.processors[1].start()
        c.redis.kill9(); c.redis.start()   # Redis restarted empty
        c.ledger_items("e1")      # the ledger table read straight from DynamoDB

Every process listens on free loopback ports; every wait is bounded; stop() stops everything it
started (also on an exception in the middle of start()). Owned by one test thread.
"""
import argparse
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from dist_servers import Dynalite, KafkaMock
from dynamo_http import DynamoHttp
from harness import ADMIN_TOKEN, AUDIT_KEY, GENEROUS_LIMITS, VOTER_SECRET, Client, wait_for
from redis_server import RedisServer

TOPIC = "urna.votes"
PREFIX = "urna-"
# The consumer group of a killed or paused processor loses its partitions after the session
# timeout: librdkafka's default (45 s) would make every failover test wait that long.
TEST_KAFKA_PROPERTIES = "session.timeout.ms=6000\nheartbeat.interval.ms=500\n"


class RoleError(RuntimeError):
    pass


class Role:
    """One urna process of the cluster (`urna ingest` or `urna process`). start() waits for the
    line matching `ready` (stdout and stderr merged; log lines may come first) and keeps reading
    its output afterwards so it never blocks on a full pipe. Restartable: start() again after
    stop() or kill9() runs the same command line."""

    def __init__(self, name, argv, env, ready, log_dir=None):
        self.name, self.argv, self.env, self.ready = name, argv, env, ready
        self.proc, self.match, self.lines = None, None, []
        self.owned = 0  # a processor's partitions, as its log says (kafka reader lines)
        self.log_path = os.path.join(log_dir, f"{name}.log") if log_dir else None
        self._lock = threading.Lock()

    def start(self, timeout=60):
        # A session of its own: a Ctrl-C meant for scripts/cluster reaches only the script,
        # which stops the roles in order.
        self.owned = 0
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env,
                                     start_new_session=True)
        fd = self.proc.stdout.fileno()
        buf, deadline = b"", time.monotonic() + timeout
        while True:
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                text = line.decode(errors="replace")
                self._keep(text)
                m = re.search(self.ready, text)
                if m:
                    self.match = m
                    threading.Thread(target=self._drain, args=(self.proc, buf), daemon=True,
                                     name=f"{self.name}-out").start()
                    return self
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None and not select.select([fd], [], [], 0)[0]:
                self.kill9()
                raise RoleError(f"{self.name} did not start (exit {self.proc.returncode}): "
                                + "\n".join(self.lines[-30:]))
            if select.select([fd], [], [], min(left, 0.5))[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.proc.wait(min(left, 5))
                buf += chunk

    def _keep(self, text):
        with self._lock:
            m = re.search(r"kafka reader: assigned \d+ partitions \((\d+) in all\)", text)
            if m:
                self.owned = int(m.group(1))
            m = re.search(r"kafka reader: revoked (\d+) partitions", text)
            if m:
                self.owned = max(0, self.owned - int(m.group(1)))
            self.lines.append(text)
            if len(self.lines) > 4000:
                del self.lines[:2000]
        if self.log_path:
            with open(self.log_path, "a") as f:
                f.write(text + "\n")

    def _drain(self, proc, rest):
        for line in rest.split(b"\n") if rest else []:
            if line:
                self._keep(line.decode(errors="replace"))
        for line in proc.stdout:
            self._keep(line.decode(errors="replace").rstrip("\n"))

    def output(self):
        with self._lock:
            return "\n".join(self.lines)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.send_signal(signal.SIGCONT)  # a stopped process dies as well
            self.proc.kill()
        if self.proc:
            self.proc.wait()

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self, timeout=30):
        """SIGTERM (drain), then SIGKILL after `timeout`; returns the exit code (None if it
        had to be killed)."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGCONT)
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None


class IngestNode(Role):
    """`urna ingest`: `port` is where it listens once started."""

    READY = r"listening on http://127\.0\.0\.1:(\d+)"

    @property
    def port(self):
        return int(self.match.group(1))

    def client(self):
        return Client(self.port)


class ResultNode(IngestNode):
    """`urna results`: `port` is the port it listens on (shared with the other result servers
    of the cluster: --reuse-port)."""

    READY = r"urna results listening on http://127\.0\.0\.1:(\d+)"

    def connections(self):
        """Established TCP connections this process holds on its listening port, read from
        /proc (the kernel's view, not the server's): which result server took which clients."""
        inodes = set()
        fd_dir = f"/proc/{self.proc.pid}/fd"
        for fd in os.listdir(fd_dir):
            try:
                link = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
        n = 0
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                cols = line.split()
                local_port = int(cols[1].split(":")[1], 16)
                if local_port == self.port and cols[3] == "01" and cols[9] in inodes:
                    n += 1
        return n


class Cluster:
    """Kafka mock + dynalite + `urna init` + ingest nodes + processors (+ nginx)."""

    def __init__(self, urna, kafka_mock, node="node", ingest=2, processors=2, partitions=12,
                 ingest_args=(), process_args=(), kafka_properties=TEST_KAFKA_PROPERTIES,
                 secrets=None, nginx_port=None, log_dir=None, rate_limits=None, redis=None,
                 results=0, results_args=()):
        self.urna, self.kafka_mock_path, self.node = urna, kafka_mock, node
        self.partitions = partitions
        self.n_ingest, self.n_processors = ingest, processors
        # Lease timings: the defaults (deadline 5 s, TTL 8 s), which leave room for a 2-core
        # machine running the whole cluster and the test's clients at full load (renewals
        # through a busy dynalite take seconds), spelled out because e2e_dist_dynamo_faults
        # waits for a lease loss by them.
        self.ingest_args = (["--lease-deadline-ms", "5000", "--lease-ttl-ms", "8000"] +
                            list(ingest_args) + (GENEROUS_LIMITS if rate_limits is None
                                                 else list(rate_limits)))
        self.process_args = list(process_args)
        self.secrets = secrets or {"URNA_VOTER_SECRET": VOTER_SECRET,
                                   "URNA_ADMIN_TOKEN": ADMIN_TOKEN, "URNA_AUDIT_KEY": AUDIT_KEY}
        self.nginx_port = nginx_port
        self.dir = tempfile.mkdtemp(prefix="urna-cluster-")
        self.log_dir = log_dir
        self.kafka_properties = kafka_properties
        self.kafka = self.dynalite = None
        self.ingest, self.processors = [], []
        self.nginx = None
        self.init_output = ""
        # Redis (the read model) comes with result servers, or alone with redis=True.
        self.want_redis = bool(results) if redis is None else redis
        self.n_results, self.results_args = results, list(results_args)
        self.redis, self.results, self.results_port = None, [], None

    # --- start and stop

    def start(self):
        try:
            self.kafka = KafkaMock(self.kafka_mock_path, brokers=3,
                                   topics={TOPIC: self.partitions})
            self.dynalite = Dynalite(self.node)
            if self.want_redis:
                self.redis = RedisServer(log_dir=self.log_dir)
            self.run_init()
            for i in range(self.n_ingest):
                self.add_ingest(f"ingest-{i + 1}")
            for i in range(self.n_processors):
                self.add_processor(f"processor-{i + 1}")
            if self.processors:
                self.wait_assigned()
            for i in range(self.n_results):
                self.add_results(f"results-{i + 1}")
            if self.nginx_port is not None:
                self.start_nginx(self.nginx_port)
        except BaseException:
            self.stop()
            raise
        return self

    def env(self, dynamo_endpoint=None, **extra):
        """The environment of a urna role: Kafka, DynamoDB (dynalite needs no real credentials),
        the secrets."""
        props = os.path.join(self.dir, "kafka.properties")
        if self.kafka_properties and not os.path.exists(props):
            with open(props, "w") as f:
                f.write(self.kafka_properties)
        env = dict(os.environ)
        for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_REGION"):
            env.pop(k, None)
        env.update(self.secrets)
        env.update({
            "URNA_KAFKA_BROKERS": self.kafka.bootstrap, "URNA_TOPIC": TOPIC,
            "URNA_TABLE_PREFIX": PREFIX,
            "AWS_ENDPOINT_URL_DYNAMODB": dynamo_endpoint or self.dynalite.endpoint,
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "urna-local",
            "AWS_SECRET_ACCESS_KEY": "urna-local"})
        if self.kafka_properties:
            env["URNA_KAFKA_CONFIG"] = props
        if self.redis:  # the processors publish to it, the result servers read it
            env["URNA_REDIS_URL"] = self.redis.url
        env.update(extra)
        return env

    def run_init(self, timeout=60):
        p = subprocess.run([self.urna, "init", "--partitions", str(self.partitions),
                            "--replication", "3"], env=self.env(), capture_output=True,
                           text=True, timeout=timeout)
        self.init_output = p.stdout + p.stderr
        if p.returncode != 0:
            raise RoleError(f"urna init failed ({p.returncode}): {self.init_output}")
        return p

    def add_ingest(self, node_id, extra_args=(), dynamo_endpoint=None):
        n = IngestNode(node_id, [self.urna, "ingest", "--listen", "127.0.0.1:0", "--node-id",
                                 node_id, *self.ingest_args, *extra_args],
                       self.env(dynamo_endpoint), IngestNode.READY, self.log_dir)
        self.ingest.append(n.start())
        return n

    def add_processor(self, node_id, extra_args=(), dynamo_endpoint=None):
        p = Role(node_id, [self.urna, "process", "--node-id", node_id, *self.process_args,
                           *extra_args],
                 self.env(dynamo_endpoint), r"urna process .* started", self.log_dir)
        self.processors.append(p.start())
        return p

    def add_results(self, node_id, extra_args=(), dynamo_endpoint=None):
        """One more `urna results` on the cluster's shared results port. Its environment has
        no secret and no Kafka setting: a result server needs neither."""
        env = self.env(dynamo_endpoint)
        for name in list(self.secrets) + ["URNA_KAFKA_BROKERS", "URNA_KAFKA_CONFIG"]:
            env.pop(name, None)
        # The first one binds port 0 (the kernel picks a port nobody holds, with or without
        # SO_REUSEPORT), the others join it: a port found free and closed again could be taken
        # meanwhile by another test's --reuse-port server, and the two would share connections.
        r = ResultNode(node_id, [self.urna, "results", "--listen",
                                 f"127.0.0.1:{self.results_port or 0}", "--reuse-port",
                                 "--node-id", node_id, *self.results_args, *extra_args],
                       env, ResultNode.READY, self.log_dir)
        self.results.append(r.start())
        if self.results_port is None:
            self.results_port = r.port
        return r

    def wait_assigned(self, timeout=60):
        """Waits until the consumer group has shared every partition among the live processors,
        each holding some (when there are no more processors than partitions)."""
        deadline = time.monotonic() + timeout
        while True:
            live = [p for p in self.processors if p.alive()]
            owned = [p.owned for p in live]
            if sum(owned) == self.partitions and \
                    (len(live) > self.partitions or all(n > 0 for n in owned)):
                return owned
            if time.monotonic() > deadline:
                raise RoleError(f"partitions not shared within {timeout} s: "
                                f"{[(p.name, p.owned) for p in live]}")
            time.sleep(0.1)

    def start_nginx(self, port):
        """nginx in front of the ingest nodes, on 127.0.0.1:`port` (0 = a free one): keep-alive
        upstream connections, SSE unbuffered, WebSocket upgrades passed on."""
        if port == 0:
            import socket
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        ndir = os.path.join(self.dir, "nginx")
        os.makedirs(os.path.join(ndir, "logs"), exist_ok=True)
        upstreams = "".join(f"    server 127.0.0.1:{n.port};\n" for n in self.ingest)
        # The result servers share one port: one upstream server, the kernel spreads nginx's
        # connections over them (SO_REUSEPORT).
        results_upstream = results = ""
        if self.results:
            results_upstream = (f"  upstream urna_results {{\n    server 127.0.0.1:"
                                f"{self.results_port};\n    keepalive 64;\n  }}\n")
            # The results export (CSV/JSON) is served by the ingest nodes only; nginx tries
            # regex locations in order, so it comes first.
            results = ("    location ~ ^/v1/elections/[^/]+/results/export "
                       "{ proxy_pass http://urna_ingest; }\n"
                       "    location ~ ^/v1/elections/[^/]+/results "
                       "{ proxy_pass http://urna_results; }\n")
        conf = f"""worker_processes 1;
error_log {ndir}/logs/error.log warn;
pid {ndir}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {ndir}/body;
  proxy_temp_path {ndir}/proxy;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
  # A recount runs on the node that got its POST and that node keeps its progress and report:
  # every .../recount and .../audit* request of one election goes to one node.
  map $uri $urna_election {{ "~^/v1/elections/(?<e>[^/]+)/" $e; default ""; }}
  upstream urna_ingest {{
{upstreams}    keepalive 64;
  }}
  upstream urna_by_election {{
    hash $urna_election consistent;
{upstreams}    keepalive 16;
  }}
{results_upstream}  proxy_http_version 1.1;
  proxy_set_header Host $host;
  proxy_set_header Upgrade $http_upgrade;
  proxy_set_header Connection $connection_upgrade;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_buffering off;
  proxy_read_timeout 1h;
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://urna_ingest; }}
    location ~ ^/v1/elections/[^/]+/(recount|audit) {{ proxy_pass http://urna_by_election; }}
{results}  }}
}}
"""
        with open(os.path.join(ndir, "nginx.conf"), "w") as f:
            f.write(conf)
        self.nginx = subprocess.Popen(
            ["nginx", "-e", f"{ndir}/logs/error.log", "-p", ndir, "-c",
             os.path.join(ndir, "nginx.conf"), "-g", "daemon off;"],
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.nginx_port = port
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                raise RoleError(f"nginx exited ({self.nginx.returncode}): see {ndir}/logs")
            try:
                s, _, _ = Client(port).request("GET", "/healthz")
                if s in (200, 503):
                    return port
            except OSError:
                pass
            time.sleep(0.1)
        raise RoleError("nginx did not answer within 15 s")

    def stop(self):
        """Stops everything started, processes first (SIGTERM, they drain), then the servers;
        returns {name: exit code} of the urna roles."""
        codes = {}
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        for r in self.results + self.ingest + self.processors:
            codes[r.name] = r.stop()
        for server in (self.kafka, self.dynalite, self.redis):
            if server:
                server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return codes

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- DynamoDB, read directly (the tests' own view, not urna's)

    def dynamo(self):
        return DynamoHttp(self.dynalite.endpoint)

    def scan(self, table):
        """Every item of `table` (PREFIX added), all pages."""
        db, items, start = self.dynamo(), [], None
        try:
            while True:
                req = {"TableName": PREFIX + table, "ConsistentRead": True}
                if start:
                    req["ExclusiveStartKey"] = start
                page = db.call("Scan", req)
                items += page.get("Items", [])
                start = page.get("LastEvaluatedKey")
                if not start:
                    return items
        finally:
            db.close()

    def end_offsets(self):
        """{partition: the topic's end offset} read from Kafka with kcat (not through urna)."""
        argv = ["kcat", "-Q", "-b", self.kafka.bootstrap]
        for p in range(self.partitions):
            argv += ["-t", f"{TOPIC}:{p}:-1"]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout
        ends = {int(m.group(1)): int(m.group(2))
                for m in re.finditer(r"\[(\d+)\] offset (-?\d+)", out)}
        if sorted(ends) != list(range(self.partitions)):
            raise RoleError(f"kcat -Q: {out!r}")
        return ends

    def checkpoint_offsets(self):
        """{partition: next_offset} of the processors' checkpoints in DynamoDB."""
        return {attr(i, "partition"): attr(i, "next_offset") for i in self.scan("checkpoints")
                if attr(i, "topic") == TOPIC}

    def wait_caught_up(self, timeout=120):
        """Waits until every partition's checkpoint is at the topic's end: everything in Kafka
        now has been processed. Returns the end offsets."""
        deadline = time.monotonic() + timeout
        while True:
            ends, done = self.end_offsets(), self.checkpoint_offsets()
            behind = {p: (done.get(p, 0), e) for p, e in ends.items() if done.get(p, 0) < e}
            if not behind:
                return ends
            if time.monotonic() > deadline:
                raise AssertionError(f"processors still behind after {timeout} s "
                                     f"(partition: (checkpoint, end)): {behind}")
            time.sleep(0.2)

    def ledger_items(self, election):
        """The ledger items of `election`: one per counted voter."""
        return [i for i in self.scan("ledger")
                if i.get("election", i.get("pk", {})).get("S", "").split("#")[0] == election]


def attr(item, name):
    """A DynamoDB item's attribute as a Python value (S and N only)."""
    v = item.get(name, {})
    if "S" in v:
        return v["S"]
    if "N" in v:
        return int(v["N"])
    return None


def cluster_from_args(**options):
    """The Cluster of a distributed e2e test, from the command line tests/CMakeLists.txt gives
    it (--urna, --kafka-mock, --node); `options` go to Cluster (ingest=, processors=, ...)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    ap.add_argument("--kafka-mock", required=True)
    ap.add_argument("--node", default="node")
    args = ap.parse_args()
    return Cluster(args.urna, args.kafka_mock, args.node, **options)


def create_open_on_both(c, election, options):
    """Creates and opens `election` through ingest node 1 and waits until node 2 sees it open
    (its catalog cache)."""
    c.ingest[0].client().create_open(election, options)
    wait_for(lambda: c.ingest[1].client().request("GET", f"/v1/elections/{election}")[1]
             .get("status") == "open", timeout=5, interval=0.05, what="open on node 2")


def wait_on_result_servers(c, election, timeout=20):
    """Waits until every result server of `c` knows `election` (each one's catalog cache is
    refreshed every 250 ms): asks on fresh connections to the shared port, which the kernel
    spreads over the servers, until 20 in a row find it. Reads only the election, not its
    tallies."""
    streak = {"n": 0}

    def known():
        s, _, _ = Client(c.results_port).request("GET", f"/v1/elections/{election}")
        streak["n"] = streak["n"] + 1 if s == 200 else 0
        return streak["n"] >= 20
    wait_for(known, timeout=timeout, interval=0.02, what=f"{election} on every result server")
