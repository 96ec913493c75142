#!/bin/bash
# Recount before/after, alternated in one run: runs each binary ROUNDS times in turn (A B A B ...)
# and prints its own figures plus the CPU time of its recount threads, measured from outside with
# `perf stat -t` on the main thread (new threads inherit the counter) from the end of processing
# to the exit: the recount (both passes), the close and the bench's bare-iteration baseline, the
# same work for both binaries. CPU time survives a loaded machine; wall rates do not.
# Usage: bench/recount_ab.sh BEFORE_BIN AFTER_BIN [VOTES (2000000)] [ROUNDS (2)]
set -u
before=$1 after=$2 votes=${3:-2000000} rounds=${4:-2}
run() {  # run BIN LABEL
  local out; out=$(mktemp)
  stdbuf -oL "$1" --votes "$votes" >"$out" 2>&1 &
  local pid=$!
  until grep -q '^process:' "$out" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  local stat; stat=$(mktemp)
  perf stat -e task-clock -t "$pid" -o "$stat" 2>/dev/null &
  local perf=$!
  wait "$pid"
  sleep 0.2; kill -INT "$perf" 2>/dev/null; wait "$perf" 2>/dev/null
  echo "== $2 ($1)"
  grep -E '^(baseline|recount):' "$out"
  local ms; ms=$(awk '/task-clock/ {gsub(",", "", $1); print $1}' "$stat")
  local rows; rows=$(sed -n 's/.* for \([0-9]*\) ledger rows.*/\1/p' "$out")
  awk -v ms="$ms" -v rows="$rows" 'BEGIN { printf "cpu:       recount thread(s), perf stat -t: %.2f s -> %.0f ledger entries per CPU-second\n", ms / 1000, rows / (ms / 1000) }'
  rm -f "$out" "$stat"
}
for ((i = 0; i < rounds; ++i)); do
  run "$before" before
  run "$after" after
done
