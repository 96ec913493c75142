#!/usr/bin/env bash
# Where a vote's CPU goes by thread: starts `urna serve` (each binary given, in turn, for each
# round) on a fresh data dir, sends wrk -t1 -c<conns> of first votes for S seconds, and prints per
# thread name the CPU time (utime+stime from /proc) and voluntary context switches per vote.
# Binaries alternate within each round, so a before/after pair shares the machine's state.
# Usage: bench/vote_threads.sh [--rounds N] [--seconds S] [--connections C] BIN [BIN ...]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=2 seconds=6 conns=64
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--rounds N] [--seconds S] [--connections C] BIN..." >&2; exit 2; }
work=$(mktemp -d /tmp/urna-threads.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export URNA_VOTER_SECRET=bench-secret URNA_ADMIN_TOKEN=bench-admin
python3 bench/make_tokens.py --secret bench-secret --count 200000 --out "$work/tokens"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# thread name -> "switches cpu_ticks", summed over the threads of that name
snap() {
  for t in /proc/"$pid"/task/*; do
    echo "$(cat "$t/comm") $(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status") $(awk '{print $14 + $15}' "$t/stat")"
  done | awk '{c[$1] += $2; u[$1] += $3} END {for (k in c) print k, c[k], u[k]}' | sort
}
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for bin in "$@"; do
    port=$(free_port)
    rm -rf "$work/data"
    "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" --no-rate-limits \
      >"$work/urna.log" 2>&1 & pid=$!
    for _ in $(seq 50); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    curl -sf -X POST "127.0.0.1:$port/v1/elections" -H "Authorization: Bearer bench-admin" \
      -d '{"id":"bench","title":"Bench","options":[{"id":"a","label":"A"},{"id":"b","label":"B"}]}' >/dev/null
    curl -sf -X POST "127.0.0.1:$port/v1/elections/bench/open" -H "Authorization: Bearer bench-admin" >/dev/null
    snap >"$work/a"
    out=$(wrk -t1 -c"$conns" -d"${seconds}s" -s bench/vote_load.lua "http://127.0.0.1:$port" -- "$work/tokens" bench a)
    snap >"$work/b"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    echo "round $r $bin: $(awk '/^Requests\/sec/ {print $2}' <<<"$out") votes/s"
    join "$work/a" "$work/b" | awk -v n="$n" -v tk="$(getconf CLK_TCK)" \
      '($5 - $3) > 0 {printf "  %-14s %6.1f us CPU/vote  %5.3f switches/vote\n", $1, ($5 - $3) * 1e6 / tk / n, ($4 - $2) / n}'
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
