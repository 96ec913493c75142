"""Test servers for the distributed-mode tests, started and stopped by the tests themselves:
librdkafka's mock Kafka cluster (tests/servers/kafka_mock.cc, a process of its own with a
control channel on stdin) and dynalite (tests/servers/dynalite_server.js, npm, pinned by
tests/servers/package-lock.json). Both listen on free loopback ports; every wait is bounded.

    with KafkaMock(path, topics={"urna.votes": 12}) as kafka, Dynalite(node, script) as ddb:
        kafka.bootstrap   # "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"
        kafka.down(2); kafka.up(2)
        ddb.endpoint      # "http://127.0.0.1:P"
"""
import os
import re
import select
import subprocess
import tempfile
import time

SERVERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers")
DYNALITE_SCRIPT = os.path.join(SERVERS_DIR, "dynalite_server.js")


class ServerError(RuntimeError):
    pass


class _LineProcess:
    """A child process whose stdout is read one line at a time with a deadline. Its stderr goes
    to a temp file, shown in errors. Owned by one test thread."""

    def __init__(self, argv, name):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        # A session of its own: a Ctrl-C meant for scripts/cluster reaches only the script,
        # which stops the servers after the clients.
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, bufsize=1,
                                     start_new_session=True)
        self._buf = ""

    def read_line(self, timeout):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while "\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServerError(f"{self.name}: no answer within {timeout} s{self._stderr()}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096).decode()
                if not chunk:
                    raise ServerError(f"{self.name} exited ({self.proc.poll()}){self._stderr()}")
                self._buf += chunk
        line, self._buf = self._buf.split("\n", 1)
        return line

    def first_line(self, pattern, timeout):
        """The server's first line (where it listens), which must match `pattern`; on anything
        else the process is stopped and ServerError raised."""
        try:
            line = self.read_line(timeout).strip()
            if not re.fullmatch(pattern, line):
                raise ServerError(f"{self.name}: unexpected first line {line!r}")
            return line
        except BaseException:
            self.stop()
            raise

    def _stderr(self):
        with open(self.log.name, errors="replace") as f:
            tail = f.read()[-2000:]
        return f"; stderr: {tail}" if tail else ""

    def stop(self, timeout=15):
        """Closes stdin (both servers stop on EOF), then SIGTERM, then SIGKILL; returns the exit
        code. Idempotent."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self.proc.stdout.close()
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        if not self.log.closed:
            self.log.close()
            os.unlink(self.log.name)
        return self.proc.returncode


class _Server:
    """A test server process (`_p`, a _LineProcess): stop() and use as a context manager."""

    def stop(self):
        return self._p.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class KafkaMock(_Server):
    """librdkafka's mock cluster: `brokers` brokers (ids 1..N), the given topics created with
    their partition counts (leaders spread round-robin over the brokers)."""

    def __init__(self, binary, brokers=3, topics=None, start_timeout=30):
        argv = [binary, "--brokers", str(brokers)]
        for name, partitions in (topics or {}).items():
            argv += ["--topic", f"{name}:{partitions}"]
        self.brokers = brokers
        self._p = _LineProcess(argv, "kafka_mock")
        self.bootstrap = self._p.first_line(r"127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*",
                                            start_timeout)

    def command(self, line, timeout=10):
        """Sends one control command, returns on its "ok"; raises ServerError on an error."""
        self._p.proc.stdin.write(line + "\n")
        self._p.proc.stdin.flush()
        answer = self._p.read_line(timeout)
        if answer != "ok":
            raise ServerError(f"kafka_mock: {line!r}: {answer}")

    def down(self, broker):
        self.command(f"down {broker}")

    def up(self, broker):
        self.command(f"up {broker}")

    def set_leader(self, topic, partition, broker):
        self.command(f"leader {topic} {partition} {broker}")

    def create_topic(self, name, partitions):
        self.command(f"topic {name} {partitions}")



class Dynalite(_Server):
    """dynalite in memory (or on `path`), on a free loopback port; `endpoint` is its URL."""

    def __init__(self, node="node", script=DYNALITE_SCRIPT, path=None, start_timeout=30):
        argv = [node, script, "--exit-on-stdin-eof"]
        if path:
            argv += ["--path", path]
        self._p = _LineProcess(argv, "dynalite")
        self.endpoint = self._p.first_line(r"http://127\.0\.0\.1:\d+", start_timeout)

