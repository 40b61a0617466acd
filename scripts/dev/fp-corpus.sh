#!/usr/bin/env bash
# False-positive measurement of WebSocket detection on the corpus of non-WebSocket captures made by
# real programs (tests/captures/neg_*): for each capture, how many TCP streams it has and how many
# the plugin claimed as WebSocket, with TCP's default heuristic order and with heuristics tried
# first (the most aggressive setting); then the same on cuts of each capture (the first K packets
# dropped with editcap, as a capture that begins mid-connection: every K, or WSK_FP_CUTS of them
# evenly spread). Prints a table and a total; exits non-zero on any claim.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
so="${WSK_PLUGIN:-$(build_plugin)}"
make_test_home "$so"
total_streams=0
total_claimed=0
printf '%-32s %8s %14s %14s\n' capture streams claimed claimed-heur1st
for cap in "$ROOT"/tests/captures/neg_*.pcapng; do
  f="$WSK_HOME/$(basename "$cap")"
  install -m 0644 "$cap" "$f"
  streams=$(run_tshark -r "$f" -T fields -e tcp.stream | sort -u | grep -c . || true)
  c1=$(run_tshark -r "$f" -Y 'ws' -T fields -e tcp.stream | sort -u | grep -c . || true)
  c2=$(run_tshark -r "$f" -o tcp.try_heuristic_first:TRUE -Y 'ws' -T fields -e tcp.stream | sort -u | grep -c . || true)
  printf '%-32s %8s %14s %14s\n' "$(basename "$cap")" "$streams" "$c1" "$c2"
  total_streams=$((total_streams + streams))
  total_claimed=$((total_claimed + c1 + c2))
done
echo "captures: $(ls "$ROOT"/tests/captures/neg_*.pcapng | wc -l)  streams tried: $total_streams (x2 settings)  streams claimed: $total_claimed"

# Mid-stream: cuts.
max_cuts="${WSK_FP_CUTS:-0}"
cut_runs=0
cut_claimed=0
printf '%-32s %8s %14s\n' capture cuts claimed
for cap in "$ROOT"/tests/captures/neg_*.pcapng; do
  f="$WSK_HOME/$(basename "$cap")"
  n=$(capinfos -c -M "$f" | awk '/Number of packets/{print $NF}')
  step=1
  if [ "$max_cuts" -gt 0 ] && [ "$n" -gt "$max_cuts" ]; then step=$(( (n + max_cuts - 1) / max_cuts )); fi
  cuts=0
  claimed=0
  for ((k = 1; k < n; k += step)); do
    c="$WSK_HOME/cut.pcapng"
    editcap -F pcapng "$f" "$c" "1-$k"
    chmod 0644 "$c"
    a=$(run_tshark -r "$c" -2 -Y 'ws' -T fields -e tcp.stream | sort -u | grep -c . || true)
    b=$(run_tshark -r "$c" -2 -o tcp.try_heuristic_first:TRUE -Y 'ws' -T fields -e tcp.stream | sort -u | grep -c . || true)
    [ $((a + b)) -gt 0 ] && echo "  claimed after dropping $k packets: $a (default) $b (heuristics first)"
    claimed=$((claimed + a + b))
    cuts=$((cuts + 1))
  done
  printf '%-32s %8s %14s\n' "$(basename "$cap")" "$cuts" "$claimed"
  cut_runs=$((cut_runs + cuts))
  cut_claimed=$((cut_claimed + claimed))
done
echo "cuts: $cut_runs (x2 settings, tshark -2)  streams claimed: $cut_claimed"
[ "$total_claimed" -eq 0 ] && [ "$cut_claimed" -eq 0 ]
