#!/usr/bin/env bash
# False-positive measurement of WebSocket detection on the corpus of non-WebSocket captures made by
# real programs (tests/captures/neg_*): for each capture, how many TCP streams it has and how many
# the plugin claimed as WebSocket, with TCP's default heuristic order and with heuristics tried
# first (the most aggressive setting); then the same on cuts of each capture (the first K packets
# dropped with editcap, as a capture that begins mid-connection: every K, or WSK_FP_CUTS of them
# evenly spread; WSK_FP_JOBS of them at a time). Prints a table and a total; exits non-zero on any
# claim. Usage: scripts/fp-corpus.sh [CAPTURE...] (default: every tests/captures/neg_*.pcapng).
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
so="${WSK_PLUGIN:-$(build_plugin)}"
make_test_home "$so"
caps=("$@")
[ ${#caps[@]} -eq 0 ] && caps=("$ROOT"/tests/captures/neg_*.pcapng)
total_streams=0
total_claimed=0
printf '%-32s %8s %14s %14s\n' capture streams claimed claimed-heur1st
for cap in "${caps[@]}"; do
  f="$WSK_HOME/$(basename "$cap")"
  install -m 0644 "$cap" "$f"
  streams=$(run_tshark -r "$f" -T fields -e tcp.stream | sort -u | grep -c . || true)
  c1=$(run_tshark -r "$f" -Y 'ws' -T fields -e tcp.stream | sort -u | grep -c . || true)
  c2=$(run_tshark -r "$f" -o tcp.try_heuristic_first:TRUE -Y 'ws' -T fields -e tcp.stream | sort -u | grep -c . || true)
  printf '%-32s %8s %14s %14s\n' "$(basename "$cap")" "$streams" "$c1" "$c2"
  total_streams=$((total_streams + streams))
  total_claimed=$((total_claimed + c1 + c2))
done
echo "captures: ${#caps[@]}  streams tried: $total_streams (x2 settings)  streams claimed: $total_claimed"

# Mid-stream: cuts, WSK_FP_JOBS (default 1) at a time.
max_cuts="${WSK_FP_CUTS:-0}"
jobs="${WSK_FP_JOBS:-1}"
cut_runs=0
cut_claimed=0
# One cut: drop the first $1 packets of $f; prints "K claimed-default claimed-heuristics-first".
one_cut() {
  local k="$1" c="$WSK_HOME/cut.$1.pcapng" a b
  editcap -F pcapng "$f" "$c" "1-$k"
  chmod 0644 "$c"
  a=$(run_tshark -r "$c" -2 -Y 'ws' -T fields -e tcp.stream | sort -u | grep -c . || true)
  b=$(run_tshark -r "$c" -2 -o tcp.try_heuristic_first:TRUE -Y 'ws' -T fields -e tcp.stream | sort -u | grep -c . || true)
  rm -f "$c"
  echo "$k $a $b"
}
export -f one_cut run_tshark
export WSK_HOME
printf '%-32s %8s %14s\n' capture cuts claimed
for cap in "${caps[@]}"; do
  f="$WSK_HOME/$(basename "$cap")"
  export f
  n=$(capinfos -c -M "$f" | awk '/Number of packets/{print $NF}')
  step=1
  if [ "$max_cuts" -gt 0 ] && [ "$n" -gt "$max_cuts" ]; then step=$(( (n + max_cuts - 1) / max_cuts )); fi
  cuts=0
  claimed=0
  while read -r k a b; do
    [ $((a + b)) -gt 0 ] && echo "  claimed after dropping $k packets: $a (default) $b (heuristics first)"
    claimed=$((claimed + a + b))
    cuts=$((cuts + 1))
  done < <(seq 1 "$step" $((n - 1)) | xargs -P "$jobs" -I{} bash -c 'one_cut {}' | sort -n)
  printf '%-32s %8s %14s\n' "$(basename "$cap")" "$cuts" "$claimed"
  cut_runs=$((cut_runs + cuts))
  cut_claimed=$((cut_claimed + claimed))
done
echo "cuts: $cut_runs (x2 settings, tshark -2)  streams claimed: $cut_claimed"
[ "$total_claimed" -eq 0 ] && [ "$cut_claimed" -eq 0 ]
