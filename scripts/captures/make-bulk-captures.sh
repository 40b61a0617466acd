#!/usr/bin/env bash
# Bulk captures: one Node `ws` connection where both sides send at once a seeded mix of messages
# (60% < 126 B text, 30% 126 B..64 KiB binary, 10% 64..96 KiB binary) to receivers that stop
# reading now and then, so that windows fill and zero-window probes happen. See
# tests/captures/BULK.md.
#
#   sudo scripts/captures/make-bulk-captures.sh            # CI size: tests/captures/bulk_{mtu1500,lo}.pcapng.gz
#   sudo scripts/captures/make-bulk-captures.sh bench DIR  # 20,000 messages: DIR/bulk20k_{mtu1500,lo}.pcapng
#
# Each capture is made on the loopback of a private network namespace (wsk-bulk, created and
# deleted here; the machine's own lo is not touched): "mtu1500" sets that lo to MTU 1500 with
# TSO/GSO/GRO off, so segments are wire-sized (<= 1448 payload bytes); "lo" keeps the 64 KiB
# loopback MTU and its offloads. dumpcap captures lo in the namespace (every segment once, before
# the receiver can drop it, so TCP's sequence numbers stay contiguous in the capture). Committed
# captures larger than 8 MB are gzipped (bulk_*.pcapng.gz); tshark and tests/oracle.rs read both.
#
# Next to each capture: <name>.truth.json, what each peer logged (messages sent by kind and
# length form, payload bytes, sha256 of the payloads, messages received).
#
# The peers run on one CPU: with them on two, a pure ACK built on one CPU can reach lo before data
# segments still being sent from the other, with a sequence number past them; TCP's analysis then
# reports a lost segment that is not lost and hands the data behind it to no dissector.
#
# Environment: WSK_BULK_MESSAGES (default 2400; bench 20000), WSK_BULK_SEED (default 20240),
# WSK_BULK_RMEM (net.ipv4.tcp_rmem in the namespace, autotuning off; default "4096 65536 262144",
# "" = the kernel's), WSK_BULK_SLOW (how receivers fall behind: pause, the default; busy; none;
# see bulk_ws.js), WSK_BULK_CPUS (taskset CPU list for the peers, default 0; "" = no pinning),
# WSK_BULK_PORT (server port, default 8765: not an HTTP port, see BULK.md), WSK_NODE (default: node
# on PATH).
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/scripts/lib/netns.sh"
PEER="$ROOT/scripts/captures/peers/bulk_ws.js"
NODE="${WSK_NODE:-$(command -v node || true)}"
SEED="${WSK_BULK_SEED:-20240}"
RMEM="${WSK_BULK_RMEM-4096 65536 262144}"
PIN=()
[ -n "${WSK_BULK_CPUS-0}" ] && PIN=(taskset -c "${WSK_BULK_CPUS-0}")
NS=wsk-bulk
PORT="${WSK_BULK_PORT:-8765}"
MAX_PLAIN=$((8 * 1000 * 1000))

case "${1:-ci}" in
  ci) N="${WSK_BULK_MESSAGES:-2400}" OUT="$ROOT/tests/captures" PREFIX=bulk GZIP_BIG=1 ;;
  bench)
    [ -n "${2:-}" ] || die "usage: make-bulk-captures.sh bench DIR"
    N="${WSK_BULK_MESSAGES:-20000}" OUT="$2" PREFIX=bulk20k GZIP_BIG=0 ;;
  *) die "usage: make-bulk-captures.sh [ci | bench DIR]" ;;
esac

need_tools ip ethtool dumpcap tshark capinfos ss timeout gzip taskset
[ -n "$NODE" ] || die "node not found"
WSK_NODE="$NODE" need_node_peers
mkdir -p "$OUT"

harness_init
SERVER_TIMEOUT=900 CLIENT_TIMEOUT=900

# analysis_counts CAP FIELD...: "field=count", the number of TCP packets of CAP with each field
analysis_counts() {
  local cap=$1; shift
  local args=() f
  for f in "$@"; do args+=(-e "$f"); done
  tshark -r "$cap" --disable-protocol websocket -Y tcp -T fields -E occurrence=f "${args[@]}" 2>/dev/null |
    awk -F'\t' -v names="$*" 'BEGIN{n=split(names, nm, " ")}
      {for (i = 1; i <= n; i++) if ($i != "") c[i]++}
      END{for (i = 1; i <= n; i++) printf "%s=%d ", nm[i], c[i]; print ""}'
}

capture() {  # capture mtu1500|lo
  local kind=$1 name="${PREFIX}_$1" cap
  cap="$OUT/$name.pcapng"
  rm -f "$cap" "$cap.gz" "$OUT/$name.truth.json"
  say "$name: $N messages, seed $SEED, loopback ${kind}"
  netns_loopback "$NS" "$kind" "$RMEM"
  capture_start "$cap" -B 512 -f "tcp port $PORT"
  start_server "$PORT" "${PIN[@]}" "$NODE" "$PEER" server 127.0.0.1 $PORT "$N" "$SEED" "$TMP/srv.json"
  local t0=$SECONDS
  run_client "${PIN[@]}" "$NODE" "$PEER" client 127.0.0.1 $PORT "$N" "$SEED" "$TMP/cli.json" </dev/null ||
    die "client failed"
  wait_server
  capture_stop
  ip netns del "$NS"

  local lost
  lost=$(tshark -r "$cap" --disable-protocol websocket -Y tcp.analysis.lost_segment 2>/dev/null | wc -l)
  [ "$lost" -eq 0 ] || say "$name: WARNING: tshark reports $lost lost segments (the oracle will skip it)"
  {
    printf '{"capture":"%s","messages":%d,"seed":%d,"loopback":"%s","kernel":"%s","node":"%s","ws":"%s",\n' \
      "$name" "$N" "$SEED" "$kind" "$(uname -r)" "$("$NODE" --version)" \
      "$(cd "$ROOT/scripts/captures/peers" && "$NODE" -p 'require("ws/package.json").version')"
    printf ' "client":%s,\n "server":%s}\n' "$(cat "$TMP/cli.json")" "$(cat "$TMP/srv.json")"
  } >"$OUT/$name.truth.json"
  chmod 0644 "$OUT/$name.truth.json"

  say "$name: $(stat -c %s "$cap") bytes, $(capinfos -c -M "$cap" | awk '/Number of packets/ {print $NF}') packets, $((SECONDS - t0)) s"
  say "$name: $(analysis_counts "$cap" tcp.analysis.zero_window tcp.analysis.zero_window_probe \
    tcp.analysis.keep_alive tcp.analysis.window_full tcp.analysis.retransmission tcp.analysis.fast_retransmission \
    tcp.analysis.spurious_retransmission tcp.analysis.duplicate_ack tcp.analysis.out_of_order \
    tcp.analysis.lost_segment tcp.options.sack.dsack)"
  if [ "$GZIP_BIG" = 1 ] && [ "$(stat -c %s "$cap")" -gt "$MAX_PLAIN" ]; then
    gzip -9n "$cap"
    chmod 0644 "$cap.gz"
    say "$name: gzipped to $(stat -c %s "$cap.gz") bytes"
  fi
}

capture mtu1500
capture lo
