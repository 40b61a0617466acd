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

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PEERS="$HERE/peers"
OUT="$ROOT/tests/captures"
PY="${WSK_PYTHON:-/usr/bin/python3}"
NODE="${WSK_NODE:-$(command -v node || true)}"

CLI_NS=wsk-ka-cli
SRV_NS=wsk-ka-srv
CLI_IF=wsk-ka-c
SRV_IF=wsk-ka-s
CLI_IP=10.78.0.1
SRV_IP=10.78.0.2
CLI_MAC=02:78:00:00:00:01
SRV_MAC=02:78:00:00:00:02

ALL_SCENARIOS=(ka_answered ka_unanswered ka_heartbeat ka_onebyte ka_seed ka_gui)

die() { echo "make-keepalive-captures: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, dumpcap)"
for t in ip ethtool dumpcap tshark editcap ss timeout; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done

TMP="$(mktemp -d -t wsk-ka-captures.XXXXXX)"
DUMPCAP_PID=""
BG_PIDS=()

# stop dumpcap: SIGINT, wait up to 10 s, then SIGKILL
kill_dumpcap() {
  local pid=$1 i
  kill -INT "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "make-keepalive-captures: dumpcap did not stop on SIGINT, killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  set +e
  [ -n "$DUMPCAP_PID" ] && kill_dumpcap "$DUMPCAP_PID"
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  ip netns del "$CLI_NS" 2>/dev/null
  ip netns del "$SRV_NS" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_cli() { ip netns exec "$CLI_NS" "$@"; }
in_srv() { ip netns exec "$SRV_NS" "$@"; }

setup_netns() {
  ip netns del "$CLI_NS" 2>/dev/null || true
  ip netns del "$SRV_NS" 2>/dev/null || true
  ip netns add "$CLI_NS"
  ip netns add "$SRV_NS"
  ip link add "$CLI_IF" netns "$CLI_NS" type veth peer name "$SRV_IF" netns "$SRV_NS"
  local ns ifc ip mac peer_ip peer_mac side off
  for side in cli srv; do
    if [ $side = cli ]; then ns=$CLI_NS ifc=$CLI_IF ip=$CLI_IP mac=$CLI_MAC peer_ip=$SRV_IP peer_mac=$SRV_MAC
    else ns=$SRV_NS ifc=$SRV_IF ip=$SRV_IP mac=$SRV_MAC peer_ip=$CLI_IP peer_mac=$CLI_MAC; fi
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$ifc" address "$mac" mtu 1500
    ip -n "$ns" addr add "$ip/24" dev "$ifc"
    ip -n "$ns" link set "$ifc" up
    # static neighbour entry: no ARP in the captures
    ip -n "$ns" neigh replace "$peer_ip" lladdr "$peer_mac" dev "$ifc" nud permanent
    for off in tso gso gro lro tx rx sg; do
      ip netns exec "$ns" ethtool -K "$ifc" "$off" off >/dev/null 2>&1 || true
    done
  done
}

start_capture() {  # start_capture FILE
  PCAP=$1
  rm -f "$PCAP"
  : >"$TMP/dumpcap.log"
  ip netns exec "$CLI_NS" dumpcap -q -i "$CLI_IF" -w "$PCAP" 2>"$TMP/dumpcap.log" &
  DUMPCAP_PID=$!
  local i
  for i in $(seq 100); do
    if grep -q "Capturing on" "$TMP/dumpcap.log" && [ -s "$PCAP" ]; then break; fi
    kill -0 "$DUMPCAP_PID" 2>/dev/null || { cat "$TMP/dumpcap.log" >&2; die "dumpcap died"; }
    sleep 0.1
  done
  sleep 0.3
}

stop_capture() {
  sleep 0.5
  kill_dumpcap "$DUMPCAP_PID"
  DUMPCAP_PID=""
  # the file must be complete and readable
  tshark -r "$PCAP" -q >/dev/null 2>"$TMP/tshark.err" || { cat "$TMP/tshark.err" >&2; die "$PCAP is unreadable"; }
  # (tshark warns about running as root; anything else is a problem)
  if grep -v 'Running as user "root"' "$TMP/tshark.err" | grep -q .; then
    cat "$TMP/tshark.err" >&2; die "$PCAP: tshark complained"
  fi
  chmod 0644 "$PCAP"
}

wait_listen() {  # wait until something listens on $1 in the server namespace
  local port=$1 i
  for i in $(seq 100); do
    if [ -n "$(in_srv ss -Hltn "sport = :$port")" ]; then return 0; fi
    sleep 0.1
  done
  die "server did not listen on port $port"
}

start_server() {  # start_server PORT CMD...
  local port=$1; shift
  timeout 60 ip netns exec "$SRV_NS" "$@" </dev/null &
  SERVER_PID=$!
  BG_PIDS+=("$SERVER_PID")
  wait_listen "$port"
}

wait_server() { wait "$SERVER_PID" || die "server exited with status $?"; }

kill_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }

run_client() { timeout 60 ip netns exec "$CLI_NS" "$@"; }

truth() {  # truth NAME SETTINGS_JSON LOG...
  local name=$1 settings=$2; shift 2
  "$PY" "$PEERS/ka_truth.py" "$OUT/$name.truth.json" "$settings" "$@"
  chmod 0644 "$OUT/$name.truth.json"
}

need_node() {
  [ -n "$NODE" ] || die "node not found"
  if [ ! -f "$PEERS/node_modules/ws/package.json" ]; then
    log "installing node peer dependencies (npm ci)"
    (cd "$PEERS" && npm ci --no-audit --no-fund >&2)
  fi
}

py_versions() {
  "$PY" -c 'import sys, websockets; print("python %s, websockets %s" % (sys.version.split()[0], websockets.__version__))'
}

# ------------------------------------------------------------------ scenarios
sc_ka_answered() {
  start_capture "$OUT/ka_answered.pcapng"
  start_server 8765 "$PY" "$PEERS/ka_peers.py" server --host $SRV_IP --port 8765 --log "$TMP/srv.jsonl"
  run_client "$PY" "$PEERS/ka_peers.py" client --host $SRV_IP --port 8765 --log "$TMP/cli.jsonl" \
    --idle 8 --keepalive 2,1,3
  wait_server
  stop_capture
  truth ka_answered "{\"scenario\":\"ka_answered\",\"programs\":\"ka_peers.py server/client ($(py_versions))\",
    \"server\":\"$SRV_IP:8765\",\"keepalive_side\":\"client\",
    \"SO_KEEPALIVE\":1,\"keepidle\":2,\"keepintvl\":1,\"keepcnt\":3,\"idle_seconds\":8,
    \"kernel\":\"$(uname -r)\",
    \"expected\":\"2 text messages echoed, ~8 s idle during which the client kernel sends a zero-length keep-alive probe (seq = snd_nxt - 1, len 0) 2 s (KEEPIDLE) after the last segment; each probe is answered by the server kernel with an ACK, and since every answer restarts the idle timer the next probe follows 2 s later, not KEEPINTVL (4 probe/ACK pairs in 8 s); then 1 more text message + echo, normal close 1000\"}" \
    "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_ka_unanswered() {
  start_capture "$OUT/ka_unanswered.pcapng"
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
  kill_server
  ip -n "$SRV_NS" route del blackhole "$CLI_IP/32"
  stop_capture
  truth ka_unanswered "{\"scenario\":\"ka_unanswered\",\"programs\":\"ka_peers.py server/client ($(py_versions))\",
    \"server\":\"$SRV_IP:8765\",\"keepalive_side\":\"client\",
    \"SO_KEEPALIVE\":1,\"keepidle\":2,\"keepintvl\":1,\"keepcnt\":3,
    \"cut_off\":{\"t\":$cut_t,\"how\":\"ip -n $SRV_NS route add blackhole $CLI_IP/32 (server's replies dropped in the server namespace; its RX still works)\"},
    \"kernel\":\"$(uname -r)\",
    \"expected\":\"2 text messages echoed, nothing in flight; then the server is cut off; the client kernel sends 3 unanswered keep-alive probes (2 s after the last segment, then 1 s apart) and 1 s after the 3rd gives up: it sends a RST and the client app gets ETIMEDOUT (websockets ConnectionClosedError 1006). The server app is killed afterwards (its FIN is black-holed)\"}" \
    "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_ka_heartbeat() {
  need_node
  start_capture "$OUT/ka_heartbeat.pcapng"
  start_server 8080 "$NODE" "$PEERS/ka_heartbeat.js" server $SRV_IP 8080 "$TMP/srv.jsonl"
  run_client "$NODE" "$PEERS/ka_heartbeat.js" client $SRV_IP 8080 "$TMP/cli.jsonl"
  wait_server
  stop_capture
  local wsv; wsv=$("$NODE" -p "require('$PEERS/node_modules/ws/package.json').version")
  truth ka_heartbeat "{\"scenario\":\"ka_heartbeat\",\"programs\":\"ka_heartbeat.js (node $("$NODE" --version), ws $wsv, perMessageDeflate false)\",
    \"server\":\"$SRV_IP:8080\",\"tcp_keepalive\":false,
    \"expected\":\"client pings hb1..hb6 every 500 ms, each answered by an automatic pong with the same payload; 2 text messages (+2 echoes) between hb3 and hb4; one unsolicited server pong 'unsolicited' 1.2 s after the connection opened (between hb2 and hb3); client close 1000 'done' after pong hb6; no TCP keep-alive\"}" \
    "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_ka_gui() {
  need_node
  start_capture "$OUT/ka_gui.pcapng"
  start_server 8080 "$NODE" "$PEERS/ka_gui.js" server $SRV_IP 8080 "$TMP/srv.jsonl"
  run_client "$NODE" "$PEERS/ka_gui.js" client $SRV_IP 8080 "$TMP/cli.jsonl"
  wait_server
  stop_capture
  # The peers' logs, as they are (no truth file: this capture feeds the GUI screenshots).
  cat "$TMP/cli.jsonl" "$TMP/srv.jsonl" >"$TMP/ka_gui.log.jsonl"
  log "ka_gui: $(grep -c send_ping "$TMP/cli.jsonl") pings, $(grep -c send_text "$TMP/cli.jsonl") client texts, $(grep -c send_binary "$TMP/srv.jsonl") server binaries"
}

sc_ka_onebyte() {
  start_capture "$TMP/onebyte_raw.pcapng"
  start_server 8765 "$PY" "$PEERS/ka_peers.py" server --host $SRV_IP --port 8765 --log "$TMP/srv.jsonl"
  run_client "$PY" "$PEERS/ka_peers.py" client --host $SRV_IP --port 8765 --log "$TMP/cli.jsonl" --idle 3
  wait_server
  stop_capture
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
mkdir -p "$OUT"
if [ $# -eq 0 ]; then set -- "${ALL_SCENARIOS[@]}"; fi
for name in "$@"; do
  declare -F "sc_$name" >/dev/null || die "unknown scenario: $name (known: ${ALL_SCENARIOS[*]})"
done
for name in "$@"; do
  log "$name"
  if [ "$name" != ka_seed ]; then setup_netns; fi
  rm -f "$TMP"/*.jsonl
  "sc_$name"
  ls -l "$OUT/$name".* >&2
done
