#!/usr/bin/env bash
# False-positive measurement of WebSocket detection on the corpus of non-WebSocket captures made by
# real programs (tests/captures/neg_*): for each capture, how many TCP streams it has and how many
# the plugin claimed as WebSocket, with TCP's default heuristic order and with heuristics tried
# first (the most aggressive setting). Prints a table and a total; exits non-zero on any claim.
set -euo pipefail
source "$(dirname "$0")/common.sh"
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
[ "$total_claimed" -eq 0 ]
