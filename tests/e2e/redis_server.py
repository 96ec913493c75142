"""A real redis-server for the distributed end-to-end tests and scripts/cluster (issue 10):
started on a free loopback port with no persistence (`--save '' --appendonly no`), so a restart
after kill9() is a Redis restarted EMPTY, as the tests want. URNA_REDIS_SERVER overrides the
binary (as for the C++ tests, src/adapters/redis/redis_test_server.h). A minimal RESP client
(`command`) lets a test read Redis itself, not through urna. Every wait is bounded.

    r = RedisServer()          # started
    r.url                      # "redis://127.0.0.1:P/0"
    r.command("DBSIZE")        # 0
    r.kill9(); r.start()       # the same port, empty
    r.stop()
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time


class RedisError(RuntimeError):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, port=None, log_dir=None):
        self.binary = os.environ.get("URNA_REDIS_SERVER") or shutil.which("redis-server")
        if not self.binary:
            raise RedisError("redis-server not found: run scripts/bootstrap "
                             "(apt-get install redis-server) or set URNA_REDIS_SERVER")
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="urna-redis-")
        self.log_path = os.path.join(log_dir or self.dir, "redis.log")
        self.proc = None
        self.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout=15):
        """Starts redis-server (empty) on self.port and waits until it answers PING."""
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RedisError(f"redis-server exited ({self.proc.returncode}): "
                                 f"see {self.log_path}")
            try:
                if self.command("PING") == "PONG":
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill9()
        raise RedisError(f"redis-server did not answer within {timeout} s: see {self.log_path}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.alive():
            self.proc.kill()
        if self.proc:
            self.proc.wait()

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()
        shutil.rmtree(self.dir, ignore_errors=True)

    def command(self, *args, timeout=5):
        """One command over a fresh connection; the reply as str/int/list/None (RESP2)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            req = f"*{len(args)}\r\n".encode()
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                req += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(req)
            f = s.makefile("rb")
            return _reply(f)


def _reply(f):
    line = f.readline()
    if not line:
        raise OSError("redis closed the connection")
    kind, rest = line[:1], line[1:].rstrip(b"\r\n")
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:n]
        return data.decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_reply(f) for _ in range(n)]
    raise OSError(f"unexpected reply from redis: {line!r}")
