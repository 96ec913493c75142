#!/usr/bin/env bash
# Where a single vote's round trip goes: starts `urna serve` with URNA_VOTE_PROBE=1
# (src/sync/vote_probe.h) on a fresh data dir, sends wrk -t1 -c<conns> of votes for S seconds,
# stops the server and prints its per-stage histogram (count, mean, p50, p90, p99 in us) next to
# wrk's round trip, and per thread name the CPU time and the time spent runnable but waiting for
# a CPU (/proc/<pid>/task/*/schedstat), per vote. The probe is the same binary, switched on by
# the environment: the stages are of the binary given.
# Usage: bench/vote_rtt.sh [--seconds S] [--connections "64 256"] [BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=6 conn_list="64 256"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --connections) conn_list=$2; shift 2 ;;
    *) break ;;
  esac
done
bin=${1:-build/release/src/urna}
work=$(mktemp -d /tmp/urna-rtt.XXXXXX)
pid="" wrk_pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  [ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export URNA_VOTER_SECRET=bench-secret URNA_ADMIN_TOKEN=bench-admin
python3 bench/make_tokens.py --secret bench-secret --count 200000 --out "$work/tokens"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# "name cpu_ns wait_ns" per thread of the processes given, summed by thread name
snap() {
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      echo "$(cat "$t/comm" | tr ' ' '_') $(cat "$t/schedstat" 2>/dev/null || echo '0 0 0')"
    done
  done | awk '{c[$1] += $2; w[$1] += $3} END {for (k in c) print k, c[k], w[k]}' | sort
}
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for conns in $conn_list; do
  port=$(free_port)
  rm -rf "$work/data"
  URNA_VOTE_PROBE=1 "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" \
    --no-rate-limits >"$work/urna.log" 2>&1 & pid=$!
  for _ in $(seq 50); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -sf -X POST "127.0.0.1:$port/v1/elections" -H "Authorization: Bearer bench-admin" \
    -d '{"id":"bench","title":"Bench","options":[{"id":"a","label":"A"},{"id":"b","label":"B"}]}' >/dev/null
  curl -sf -X POST "127.0.0.1:$port/v1/elections/bench/open" -H "Authorization: Bearer bench-admin" >/dev/null
  wrk -t1 -c"$conns" -d"${seconds}s" -s bench/vote_load.lua "http://127.0.0.1:$port" -- \
    "$work/tokens" bench a >"$work/wrk.out" & wrk_pid=$!
  sleep 0.2
  snap "$pid" "$wrk_pid" >"$work/a"
  wait "$wrk_pid"
  snap "$pid" >"$work/b"
  wrk_pid=""
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  n=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  echo
  echo "== $conns connections: $(awk '/^Requests\/sec/ {print $2}' "$work/wrk.out") votes/s; wrk round trip $(sed -n 's/LAT p50_us=\([0-9]*\) p99_us=\([0-9]*\)/p50 \1 us, p99 \2 us/p' "$work/wrk.out")"
  sed -n '/^vote probe/,$p' "$work/urna.log"
  echo "per vote, by thread (wrk: its CPU is counted until its last snapshot, before the end)"
  join "$work/a" "$work/b" | awk -v n="$n" \
    '($4 - $2) > 0 {printf "  %-14s %6.1f us CPU  %6.1f us waiting for a CPU\n", $1, ($4 - $2) / 1e3 / n, ($5 - $3) / 1e3 / n}'
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
