#!/usr/bin/env bash
# Processor before/after: runs two processor_bench binaries alternately, ROUNDS times each, and
# prints each run's votes per CPU-second of the processor threads (and without the log read:
# dedupe + count + commit) and their medians. CPU-seconds hold on a loaded machine, where the
# wall-clock rate does not.
# Usage: bench/processor_ab.sh BEFORE AFTER [ROUNDS=3] [VOTES=2000000] [extra processor_bench flags]
set -euo pipefail
before=$1 after=$2 rounds=${3:-3} votes=${4:-2000000}
shift $(($# < 4 ? $# : 4))
declare -A all=() dcc=()
for ((r = 1; r <= rounds; r++)); do
  for which in before after; do
    bin=${!which}
    out=$("$bin" --votes "$votes" "$@")
    grep -q 'check:.*ok' <<<"$out" || { echo "$which: wrong count" >&2; echo "$out" >&2; exit 1; }
    a=$(sed -n 's/.*processor threads .* -> \([0-9]*\) votes per CPU-second.*/\1/p' <<<"$out")
    d=$(sed -n 's/.*(dedupe + count + commit): .* -> \([0-9]*\) votes per CPU-second.*/\1/p' <<<"$out")
    all[$which]+="$a "
    dcc[$which]+="$d "
    echo "round $r $which: $a votes per CPU-second (processor threads), $d without the log read"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for which in before after; do
  echo "median $which: $(median <<<"${all[$which]}") votes per CPU-second," \
    "$(median <<<"${dcc[$which]}") without the log read"
done
