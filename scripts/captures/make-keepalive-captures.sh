#!/usr/bin/env bash
# Regenerate the TCP keep-alive / WebSocket heartbeat captures tests/captures/ka_*.
#
#   sudo scripts/captures/make-keepalive-captures.sh              # all scenarios
#   sudo scripts/captures/make-keepalive-captures.sh ka_answered  # a subset
#
# Scenarios: ka_answered ka_unanswered ka_heartbeat ka_onebyte ka_seed ka_gui
# (see tests/captures/KEEPALIVE.md).
#
# Two private network namespaces (wsk-ka-cli 10.78.0.1, wsk-ka-srv 10.78.0.2)
# joined by a veth pair (MTU 1500, offloads off).  dumpcap captures on the
# client-side veth.  The peers (scripts/captures/peers/ka_*) log their own
# actions; the logs become tests/captures/ka_<name>.truth.json.
#
# Environment overrides: WSK_PYTHON (default /usr/bin/python3, needs
# websockets 10.x), WSK_NODE (default: node on PATH).
set -euo pipefail

source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/scripts/lib/netns.sh"
NETNS_OFFLOADS="tso gso gro lro tx rx sg"
CLIENT_TIMEOUT=60 SERVER_TIMEOUT=60

ALL_SCENARIOS=(ka_answered ka_unanswered ka_heartbeat ka_onebyte ka_seed ka_gui)

need_tools ip ethtool dumpcap tshark editcap ss timeout
harness_init

truth() {  # truth NAME SETTINGS_JSON LOG...
  local name=$1 settings=$2; shift 2
  "$PY" "$PEERS/ka_truth.py" "$OUT/$name.truth.json" "$settings" "$@"
  chmod 0644 "$OUT/$name.truth.json"
}

py_versions() {
  "$PY" -c 'import sys, websockets; print("python %s, websockets %s" % (sys.version.split()[0], websockets.__version__))'
}

# ------------------------------------------------------------------ scenarios
sc_ka_answered() {
  peer_pair "$OUT/ka_answered.pcapng" 8765 "$PY" "$PEERS/ka_peers.py" server --host $SRV_IP --port 8765 --log "$TMP/srv.jsonl" \
    -- "$PY" "$PEERS/ka_peers.py" client --host $SRV_IP --port 8765 --log "$TMP/cli.jsonl" \
    --idle 8 --keepalive 2,1,3
  truth ka_answered "{\"scenario\":\"ka_answered\",\"programs\":\"ka_peers.py server/client ($(py_versions))\",
    \"server\":\"$SRV_IP:8765\",\"keepalive_side\":\"client\",
    \"SO_KEEPALIVE\":1,\"keepidle\":2,\"keepintvl\":1,\"keepcnt\":3,\"idle_seconds\":8,
    \"kernel\":\"$(uname -r)\",
    \"expected\":\"2 text messages echoed, ~8 s idle during which the client kernel sends a zero-length keep-alive probe (seq = snd_nxt - 1, len 0) 2 s (KEEPIDLE) after the last segment; each probe is answered by the server kernel with an ACK, and since every answer restarts the idle timer the next probe follows 2 s later, not KEEPINTVL (4 probe/ACK pairs in 8 s); then 1 more text message + echo, normal close 1000\"}" \
    "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_ka_unanswered() {
  capture_start "$OUT/ka_unanswered.pcapng"
  start_server 8765 "$PY" "$PEERS/ka_peers.py" server --host $SRV_IP --port 8765 --log "$TMP/srv.jsonl"
  rm -f "$TMP/idle" "$TMP/cut"
  run_client "$PY" "$PEERS/ka_peers.py" client --host $SRV_IP --port 8765 --log "$TMP/cli.jsonl" \
    --idle 10 --keepalive 2,1,3 --idle-flag "$TMP/idle" --cut-flag "$TMP/cut" &
  local cpid=$!
  BG_PIDS+=("$cpid")
  local i
  for i in $(seq 200); do [ -e "$TMP/idle" ] && break; sleep 0.02; done
  [ -e "$TMP/idle" ] || die "client never went idle"
  # cut the server off: everything it sends to the client is black-holed
  # (the client's probes still reach the wire where dumpcap sees them)
  ip -n "$SRV_NS" route add blackhole "$CLI_IP/32"
  local cut_t; cut_t=$(date +%s.%N)
  : >"$TMP/cut"
  wait "$cpid" || die "client failed"
  stop_server
  ip -n "$SRV_NS" route del blackhole "$CLI_IP/32"
  capture_stop
  truth ka_unanswered "{\"scenario\":\"ka_unanswered\",\"programs\":\"ka_peers.py server/client ($(py_versions))\",
    \"server\":\"$SRV_IP:8765\",\"keepalive_side\":\"client\",
    \"SO_KEEPALIVE\":1,\"keepidle\":2,\"keepintvl\":1,\"keepcnt\":3,
    \"cut_off\":{\"t\":$cut_t,\"how\":\"ip -n $SRV_NS route add blackhole $CLI_IP/32 (server's replies dropped in the server namespace; its RX still works)\"},
    \"kernel\":\"$(uname -r)\",
    \"expected\":\"2 text messages echoed, nothing in flight; then the server is cut off; the client kernel sends 3 unanswered keep-alive probes (2 s after the last segment, then 1 s apart) and 1 s after the 3rd gives up: it sends a RST and the client app gets ETIMEDOUT (websockets ConnectionClosedError 1006). The server app is killed afterwards (its FIN is black-holed)\"}" \
    "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_ka_heartbeat() {
  need_node_peers
  peer_pair "$OUT/ka_heartbeat.pcapng" 8080 "$NODE" "$PEERS/ka_heartbeat.js" server $SRV_IP 8080 "$TMP/srv.jsonl" \
    -- "$NODE" "$PEERS/ka_heartbeat.js" client $SRV_IP 8080 "$TMP/cli.jsonl"
  local wsv; wsv=$("$NODE" -p "require('$PEERS/node_modules/ws/package.json').version")
  truth ka_heartbeat "{\"scenario\":\"ka_heartbeat\",\"programs\":\"ka_heartbeat.js (node $("$NODE" --version), ws $wsv, perMessageDeflate false)\",
    \"server\":\"$SRV_IP:8080\",\"tcp_keepalive\":false,
    \"expected\":\"client pings hb1..hb6 every 500 ms, each answered by an automatic pong with the same payload; 2 text messages (+2 echoes) between hb3 and hb4; one unsolicited server pong 'unsolicited' 1.2 s after the connection opened (between hb2 and hb3); client close 1000 'done' after pong hb6; no TCP keep-alive\"}" \
    "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_ka_gui() {
  need_node_peers
  peer_pair "$OUT/ka_gui.pcapng" 8080 "$NODE" "$PEERS/ka_gui.js" server $SRV_IP 8080 "$TMP/srv.jsonl" \
    -- "$NODE" "$PEERS/ka_gui.js" client $SRV_IP 8080 "$TMP/cli.jsonl"
  # The peers' logs, as they are (no truth file: this capture feeds the GUI screenshots).
  cat "$TMP/cli.jsonl" "$TMP/srv.jsonl" >"$TMP/ka_gui.log.jsonl"
  say "ka_gui: $(grep -c send_ping "$TMP/cli.jsonl") pings, $(grep -c send_text "$TMP/cli.jsonl") client texts, $(grep -c send_binary "$TMP/srv.jsonl") server binaries"
}

sc_ka_onebyte() {
  peer_pair "$TMP/onebyte_raw.pcapng" 8765 "$PY" "$PEERS/ka_peers.py" server --host $SRV_IP --port 8765 --log "$TMP/srv.jsonl" \
    -- "$PY" "$PEERS/ka_peers.py" client --host $SRV_IP --port 8765 --log "$TMP/cli.jsonl" --idle 3
  editcap -F pcap "$TMP/onebyte_raw.pcapng" "$TMP/onebyte_raw.pcap"
  "$PY" "$PEERS/ka_onebyte.py" "$TMP/onebyte_raw.pcap" "$OUT/ka_onebyte.pcap" "$TMP/onebyte.json"
  chmod 0644 "$OUT/ka_onebyte.pcap"
  local settings
  settings=$("$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); d["programs"] += " (" + sys.argv[2] + ")"; print(json.dumps(d))' \
    "$TMP/onebyte.json" "$(py_versions)")
  truth ka_onebyte "$settings" "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_ka_seed() {
  "$PY" "$PEERS/ka_seed.py" "$OUT/ka_seed.pcap" "$TMP/seed.json"
  chmod 0644 "$OUT/ka_seed.pcap"
  tshark -r "$OUT/ka_seed.pcap" -q >/dev/null 2>&1 || die "ka_seed.pcap unreadable"
  truth ka_seed "$(cat "$TMP/seed.json")"
}

# ------------------------------------------------------------------ main
# Fresh namespaces for every scenario (ka_seed is written, not captured).
scenario_setup() { [ "$1" = ka_seed ] || netns_pair ka 78; }
run_scenarios "$@"
