#!/bin/bash
# Recount before/after, alternated in one run: runs each binary ROUNDS times in turn (A B A B ...)
# and prints its own figures plus the CPU time of its recount threads, measured from outside with
# `perf stat -t` on the main thread (new threads inherit the counter) from the end of processing
# to the exit: the recount (both passes), the close and the bench's bare-iteration baseline, the
# same work for both binaries. CPU time survives a loaded machine; wall rates do not.
# Usage: bench/recount_ab.sh BEFORE_BIN AFTER_BIN [VOTES (2000000)] [ROUNDS (2)]
set -u
before=$1 after=$2 votes=${3:-2000000} rounds=${4:-2}
# Whatever is running when the script stops (error, Ctrl-C) is stopped, its files removed.
pid="" perf="" out="" stat=""
cleanup() {
  [ -n "$perf" ] && kill -INT "$perf" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -f "$out" "$stat"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
run() {  # run BIN LABEL
  out=$(mktemp) stat=$(mktemp)
  stdbuf -oL "$1" --votes "$votes" >"$out" 2>&1 &
  pid=$!
  # Bounded: the fill of 10 M votes takes minutes on a loaded machine, not an hour.
  local deadline=$((SECONDS + 3600))
  until grep -q '^process:' "$out" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS > deadline)); then
      echo "$2: no 'process:' line within an hour" >&2
      exit 1
    fi
    sleep 0.05
  done
  perf stat -e task-clock -t "$pid" -o "$stat" 2>/dev/null &
  perf=$!
  wait "$pid"
  local rc=$?
  pid=""
  sleep 0.2; kill -INT "$perf" 2>/dev/null; wait "$perf" 2>/dev/null
  perf=""
  echo "== $2 ($1)"
  grep -E '^(baseline|recount):' "$out"
  local ms; ms=$(awk '/task-clock/ {gsub(",", "", $1); print $1}' "$stat")
  local rows; rows=$(sed -n 's/.* for \([0-9]*\) ledger rows.*/\1/p' "$out")
  if [ "$rc" -ne 0 ] || [ -z "$rows" ] || ! awk -v ms="$ms" 'BEGIN { exit !(ms > 0) }'; then
    echo "cpu:       no figure (exit $rc; perf stat gave '${ms}' ms, the bench '${rows}' rows)"
  else
    awk -v ms="$ms" -v rows="$rows" 'BEGIN { printf "cpu:       recount thread(s), perf stat -t: %.2f s -> %.0f ledger entries per CPU-second\n", ms / 1000, rows / (ms / 1000) }'
  fi
  rm -f "$out" "$stat"
  out="" stat=""
}
for ((i = 0; i < rounds; ++i)); do
  run "$before" before
  run "$after" after
done
