#!/usr/bin/env bash
# Interop check on loopback (the 64 KiB-MTU interface most people capture WebSocket tests on):
# aiohttp and Python websockets talk to each other in both roles, with and without
# permessage-deflate, over IPv4 and IPv6; dumpcap captures lo; the plugin's messages
# (scripts/ws-messages) are compared with what each peer logged as sent. Not part of CI (needs
# PyPI for aiohttp and the capture rights of root). Prints one line per run; exit 1 on a mismatch.
#
#   sudo scripts/dev/interop-loopback.sh [N-MESSAGES-PER-SIDE]     (default 300)
#
# Peers: scripts/captures/peers/interop_lo.py; comparison: scripts/captures/peers/interop_compare.py.
# Captures and truth files are kept in .cache/interop/.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/scripts/lib/netns.sh"
need_tools dumpcap tshark capinfos
harness_init
cd "$ROOT"
N="${1:-300}"
OUTDIR="$ROOT/.cache/interop"
VENV="$OUTDIR/venv"
mkdir -p "$OUTDIR"
if ! "$VENV/bin/python" -c "import aiohttp, websockets" 2>/dev/null; then
  say "creating $VENV (aiohttp, websockets 10.4)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q aiohttp 'websockets==10.4'
fi
export WSK_PLUGIN="${WSK_PLUGIN:-$(build_plugin)}"
fail=0
port=9300
seed=1
for host in 127.0.0.1 ::1; do
  for mode in aio-srv ws-srv; do
    for comp in plain deflate; do
      port=$((port + 1)) seed=$((seed + 1))
      name="$mode-$comp-$([ "$host" = ::1 ] && echo v6 || echo v4)"
      cap="$OUTDIR/$name.pcapng"
      CAPTURE_SETTLE=0 capture_start "$cap" -f "tcp port $port"
      timeout 300 "$VENV/bin/python" scripts/captures/peers/interop_lo.py "$mode" "$host" "$port" \
        "$seed" "$N" "$OUTDIR/$name.truth.jsonl" "$comp"
      sleep 0.5
      capture_stop
      scripts/ws-messages "$cap" >"$OUTDIR/$name.jsonl"
      echo "$name: $(capinfos -c -M "$cap" | awk '/Number of packets/ {print $NF}') packets"
      python3 scripts/captures/peers/interop_compare.py "$OUTDIR/$name.truth.jsonl" "$OUTDIR/$name.jsonl" || fail=1
    done
  done
done
[ "$fail" -eq 0 ] && echo "interop: all runs match what the peers sent" || echo "interop: MISMATCH" >&2
exit "$fail"
