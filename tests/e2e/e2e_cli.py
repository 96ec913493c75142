#!/usr/bin/env python3
"""The command line as a user meets it (issue 12.13 and 12.10's logs):
- `urna --version` prints the version, exit 0; an unknown subcommand says so, exit 2;
- `urna token --data-dir` on a directory without secrets refuses (exit 2) and creates nothing;
- the `urna serve --demo` banner (what scripts/run shows) holds shell lines that work as printed
  from another directory: they set $TOKEN, and the vote they send is accepted;
- log lines go to stderr, never stdout; `--log-format json` (or URNA_LOG_FORMAT=json) makes each
  one a JSON object; a bad format is refused with exit 2;
- stream pacing flags that do not fit in a results tick are refused with exit 2."""
import argparse
import json
import os
import re
import signal
import subprocess
import threading

from harness import Checks, TempDataDir

CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("URNA_")}


def run(args, env=None, cwd=None):
    return subprocess.run(args, capture_output=True, text=True, env=env or CLEAN_ENV, cwd=cwd,
                          timeout=60)


class DemoServer:
    """`urna serve --demo` with stdout and stderr kept apart, each read to the end by a thread."""

    def __init__(self, urna, data_dir, extra=(), env=None):
        self.proc = subprocess.Popen(
            [urna, "serve", "--demo", "--data-dir", data_dir, "--listen", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or CLEAN_ENV)
        self.out, self.err = [], []
        self.banner_done = threading.Event()
        threading.Thread(target=self._read, args=(self.proc.stdout, self.out, True),
                         daemon=True).start()
        self.err_thread = threading.Thread(target=self._read, args=(self.proc.stderr, self.err),
                                           daemon=True)
        self.err_thread.start()

    def _read(self, pipe, lines, banner=False):
        for line in pipe:
            lines.append(line)
            if banner and "results/stream" in line:
                self.banner_done.set()
        self.banner_done.set()  # the end of output: whatever came is all there is

    def banner(self):
        self.banner_done.wait(timeout=60)
        return "".join(self.out)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        self.err_thread.join(timeout=10)
        return rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urna", required=True)
    args = ap.parse_args()
    urna = os.path.abspath(args.urna)
    t = Checks("e2e_cli")

    r = run([urna, "--version"])
    t.check(r.returncode == 0 and re.fullmatch(r"urna \d+\.\d+\.\d+\n", r.stdout),
            f"urna --version prints the version: {r.returncode} {r.stdout!r} {r.stderr!r}")

    r = run([urna, "frobnicate", "--data-dir", "x"])
    t.check(r.returncode == 2 and 'unknown subcommand "frobnicate"' in r.stderr
            and "serve" in r.stderr, f"an unknown subcommand says so, exit 2: {r.returncode} "
            f"{r.stderr!r}")
    r = run([urna, "serve", "--no-such-flag"])
    t.check(r.returncode == 2 and "--no-such-flag" in r.stderr,
            f"an unknown flag is a usage error, exit 2: {r.returncode} {r.stderr!r}")
    # The read side's pacing is per results tick: a spread of a tick or more, or a CPU budget
    # above the tick, is refused before anything is created (serve, ingest and results alike).
    with TempDataDir() as d:
        data = os.path.join(d, "never")
        for role, flags, bad in (
                ("serve", ["--tick-ms", "100", "--stream-spread-ms", "100"], "--stream-spread-ms"),
                ("serve", ["--stream-budget-ms", "300"], "--stream-budget-ms"),
                ("results", ["--redis", "redis://127.0.0.1:1", "--tick-ms", "50",
                             "--stream-spread-ms", "60"], "--stream-spread-ms")):
            extra = ["--data-dir", data] if role == "serve" else []
            r = run([urna, role, *extra, "--listen", "127.0.0.1:0", *flags])
            t.check(r.returncode == 2 and bad in r.stderr and "--tick-ms" in r.stderr
                    and not os.path.exists(data),
                    f"urna {role} {' '.join(flags)}: refused, exit 2, says why, creates nothing: "
                    f"{r.returncode} {r.stderr!r}")
        # The read side's scheduling is one of two words; anything else is refused the same way.
        for role in ("serve", "results"):
            extra = (["--data-dir", data] if role == "serve"
                     else ["--redis", "redis://127.0.0.1:1"])
            r = run([urna, role, *extra, "--listen", "127.0.0.1:0", "--stream-sched", "batch"])
            t.check(r.returncode == 2 and "--stream-sched" in r.stderr and "idle" in r.stderr
                    and not os.path.exists(data),
                    f"urna {role} --stream-sched batch: refused, exit 2, names the choices: "
                    f"{r.returncode} {r.stderr!r}")

    with TempDataDir() as d:
        empty = os.path.join(d, "empty")
        os.mkdir(empty)
        missing = os.path.join(d, "missing")
        for where in (empty, missing):
            r = run([urna, "token", "--data-dir", where, "--voter", "alice"])
            t.check(r.returncode == 2 and r.stdout == "" and "no voter secret" in r.stderr,
                    f"urna token refuses a dir without secrets ({where}): {r.returncode} "
                    f"{r.stdout!r} {r.stderr!r}")
        t.check(os.listdir(empty) == [] and not os.path.exists(missing),
                "urna token created nothing in a dir without secrets")

        # The banner, run as printed from another directory by a shell without urna's variables.
        data = os.path.join(d, "data")
        srv = DemoServer(urna, data)
        try:
            banner = srv.banner()
            lines = banner.splitlines()
            start = next((i for i, l in enumerate(lines) if l.startswith("export U=")), None)
            t.check(start is not None, f"the banner has shell lines: {banner!r}")
            if start is not None:
                script = "\n".join(lines[start:start + 3])  # U/ADMIN, TOKEN, the vote
                t.check("export TOKEN=$(" in script, f"the banner sets $TOKEN: {script!r}")
                r = subprocess.run(["bash", "-ec", script + '\necho; echo "TOKEN=$TOKEN"'],
                                   capture_output=True, text=True, env=CLEAN_ENV, cwd="/",
                                   timeout=60)
                vote = r.stdout.splitlines()[0] if r.stdout else ""
                t.check(r.returncode == 0 and '"status":"accepted"' in vote,
                        f"the banner's vote works as printed: {r.returncode} {r.stdout!r} "
                        f"{r.stderr!r}")
                tok = re.search(r"TOKEN=(\S+)", r.stdout)
                t.check(tok is not None and tok.group(1).count(".") == 2,
                        f"the banner's lines set $TOKEN to a token: {r.stdout!r}")
                admin = re.search(r"admin token:\s+(\S+)", banner)
                r = subprocess.run(["bash", "-ec", lines[start] +
                                    '\ncurl -s -o /dev/null -w "%{http_code}" -X POST '
                                    '"$U/v1/elections" -H "$ADMIN" -d \'{}\''],
                                   capture_output=True, text=True, env=CLEAN_ENV, timeout=60)
                t.check(admin is not None and r.stdout == "400",
                        f"the banner's $ADMIN header is accepted (400 for an empty body, not "
                        f"401/403): {r.stdout!r}")
        finally:
            rc = srv.stop()
        t.check(rc == 0, "the demo server drains and exits 0")
        out, err = "".join(srv.out), "".join(srv.err)
        t.check("signal 15: draining" in err and "draining" not in out,
                f"log lines go to stderr, not stdout: out={out!r} err={err!r}")

        # JSON log lines, chosen by the flag or by the environment.
        for extra, env in ((["--log-format", "json"], None),
                           ([], dict(CLEAN_ENV, URNA_LOG_FORMAT="json"))):
            srv = DemoServer(urna, data, extra, env)
            srv.banner()
            rc = srv.stop()
            err_lines = [l for l in srv.err if l.strip()]
            parsed = []
            for l in err_lines:
                try:
                    parsed.append(json.loads(l))
                except ValueError:
                    parsed.append(None)
            t.check(rc == 0 and err_lines and all(isinstance(p, dict) and p.get("level")
                                                  and p.get("msg") and p.get("time")
                                                  for p in parsed),
                    f"every log line is a JSON object ({extra or 'URNA_LOG_FORMAT'}): {srv.err!r}")
            t.check(any(p and p["msg"].startswith("signal 15") for p in parsed),
                    f"the JSON lines carry the messages: {srv.err!r}")

        r = run([urna, "serve", "--data-dir", data, "--log-format", "xml"])
        t.check(r.returncode == 2 and "xml" in r.stderr,
                f"a bad log format is refused, exit 2: {r.returncode} {r.stderr!r}")
    t.finish()


if __name__ == "__main__":
    main()
