#!/usr/bin/env bash
# Where a gateway batch's CPU goes by thread: starts `urna serve` (each binary given, in turn, for
# each round) on a fresh data dir with one open election and one gateway, sends wrk -t1 -c<conns>
# of <size>-vote batches (bench/batch_load.lua: every vote a new voter and ref) for S seconds,
# waits until the processor has counted every durable vote, and prints per thread name the CPU
# time (utime+stime from /proc) per durable vote, so ingest's and the processor's cost are both
# whole. Binaries alternate within each round (in the order given on odd rounds, reversed on even
# ones, so none always runs first), so a before/after pair shares the machine's state;
# CPU per vote survives a loaded machine better than votes/s does.
# Usage: bench/batch_threads.sh [--rounds N] [--seconds S] [--connections C] [--size V] BIN...
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=2 seconds=6 conns=8 size=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) conns=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--rounds N] [--seconds S] [--connections C] [--size V] BIN..." >&2; exit 2; }
work=$(mktemp -d /tmp/urna-batch-threads.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export URNA_VOTER_SECRET=bench-secret URNA_ADMIN_TOKEN=bench-admin
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
metric() { curl -s "127.0.0.1:$port/metrics" | awk -v m="$1" '$1==m {print $2}'; }
# thread name -> cpu ticks, summed over the threads of that name (numbers in names dropped)
snap() {
  for t in /proc/"$pid"/task/*; do
    # unnamed threads (the API pool) carry the binary's name: "pool"
    echo "$(sed 's/[0-9]*$//; s/^'"$(basename "$bin" | cut -c1-15)"'$/pool/' "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"
  done | awk '{u[$1] += $2} END {for (k in u) print k, u[k]}' | sort
}
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $size votes per request, -c$conns, ${seconds}s"
bins=("$@") reversed=()
for ((i = $# - 1; i >= 0; i--)); do reversed+=("${bins[i]}"); done
for r in $(seq "$rounds"); do
  order=("${bins[@]}")
  [ $((r % 2)) = 1 ] || order=("${reversed[@]}")
  for bin in "${order[@]}"; do
    port=$(free_port)
    rm -rf "$work/data"
    "$bin" serve --data-dir "$work/data" --listen "127.0.0.1:$port" --no-rate-limits \
      >"$work/urna.log" 2>&1 & pid=$!
    for _ in $(seq 50); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    curl -sf -X POST "127.0.0.1:$port/v1/elections" -H "Authorization: Bearer bench-admin" \
      -d '{"id":"bench","title":"Bench","options":[{"id":"a","label":"A"},{"id":"b","label":"B"}]}' >/dev/null
    curl -sf -X POST "127.0.0.1:$port/v1/elections/bench/open" -H "Authorization: Bearer bench-admin" >/dev/null
    secret=$(curl -sf -X POST "127.0.0.1:$port/v1/gateways" -H "Authorization: Bearer bench-admin" \
      -d '{"id":"bench-gw"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
    snap >"$work/a"
    t0=$(date +%s.%N)
    out=$(wrk -t1 -c"$conns" -d"${seconds}s" --timeout 10s -s bench/batch_load.lua \
      "http://127.0.0.1:$port" -- "$secret" bench "$size")
    t1=$(date +%s.%N)
    durable=$(metric urna_votes_durable_total)
    lag=$((durable - $(metric urna_votes_counted_total)))
    for _ in $(seq 600); do  # the processor's catch-up (and wrk's last requests), bounded: 60 s
      d=$(metric urna_votes_durable_total)
      [ "$(metric urna_votes_counted_total)" = "$d" ] && break; sleep 0.1
    done
    durable=$d
    snap >"$work/b"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    p99=$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' <<<"$out")
    printf 'round %s %s: %.0f durable votes/s, p99 %s ms/request, lag at end %s\n' "$r" "$bin" \
      "$(bc -l <<<"$durable/($t1-$t0)")" "$(bc -l <<<"$p99/1000" | xargs printf %.1f)" "$lag"
    join "$work/a" "$work/b" | awk -v n="$durable" -v tk="$(getconf CLK_TCK)" \
      '($3 - $2) > 0 {s += $3 - $2; printf "  %-14s %6.2f us CPU/vote\n", $1, ($3 - $2) * 1e6 / tk / n}
       END {printf "  %-14s %6.2f us CPU/vote\n", "total", s * 1e6 / tk / n}'
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
