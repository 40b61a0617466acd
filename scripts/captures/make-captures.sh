#!/usr/bin/env bash
# Regenerate the real-traffic test captures in tests/captures/.
#
#   sudo scripts/captures/make-captures.sh              # all scenarios
#   sudo scripts/captures/make-captures.sh py_basic ... # a subset
#
# Two network namespaces (wsk-cli 10.77.0.1, wsk-srv 10.77.0.2) joined by a veth
# pair (MTU 1500, all offloads off so every captured segment is <= MTU).
# dumpcap captures on the client-side veth.  Peer programs live in
# scripts/captures/peers/ and write the ground truth (*.truth.jsonl) themselves.
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

CLI_NS=wsk-cli
SRV_NS=wsk-srv
CLI_IF=wsk-veth-c
SRV_IF=wsk-veth-s
CLI_IP=10.77.0.1
SRV_IP=10.77.0.2
CLI_MAC=02:77:00:00:00:01
SRV_MAC=02:77:00:00:00:02

ALL_SCENARIOS=(py_basic node_frag node_port80 neg_refused neg_http neg_tls neg_binary neg_redis)

die() { echo "make-captures: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, dumpcap)"
for t in ip ethtool dumpcap tshark ss timeout; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done

TMP="$(mktemp -d -t wsk-captures.XXXXXX)"
DUMPCAP_PID=""
BG_PIDS=()

cleanup() {
  set +e
  if [ -n "$DUMPCAP_PID" ]; then kill -INT "$DUMPCAP_PID" 2>/dev/null; wait "$DUMPCAP_PID" 2>/dev/null; fi
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
  local ns ifc ip mac peer_ip peer_mac
  for side in cli srv; do
    if [ $side = cli ]; then ns=$CLI_NS ifc=$CLI_IF ip=$CLI_IP mac=$CLI_MAC peer_ip=$SRV_IP peer_mac=$SRV_MAC
    else ns=$SRV_NS ifc=$SRV_IF ip=$SRV_IP mac=$SRV_MAC peer_ip=$CLI_IP peer_mac=$CLI_MAC; fi
    # no IPv6 (no ND/MLD/RS noise in the captures)
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$ifc" address "$mac" mtu 1500
    ip -n "$ns" addr add "$ip/24" dev "$ifc"
    ip -n "$ns" link set "$ifc" up
    # static neighbour entry: no ARP in the captures
    ip -n "$ns" neigh replace "$peer_ip" lladdr "$peer_mac" dev "$ifc" nud permanent
    for off in tso gso gro lro tx rx; do
      ip netns exec "$ns" ethtool -K "$ifc" "$off" off >/dev/null 2>&1 || true
    done
  done
}

start_capture() {
  local name=$1
  PCAP="$OUT/$name.pcapng"
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
  kill -INT "$DUMPCAP_PID"
  wait "$DUMPCAP_PID" || true
  DUMPCAP_PID=""
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
  # (an async command's stdin would be /dev/null: pass SERVER_STDIN explicitly)
  timeout 60 ip netns exec "$SRV_NS" "$@" <"${SERVER_STDIN:-/dev/null}" &
  SERVER_PID=$!
  BG_PIDS+=("$SERVER_PID")
  wait_listen "$port"
}

wait_server() {
  wait "$SERVER_PID" || die "server exited with status $?"
}

run_client() { timeout 60 ip netns exec "$CLI_NS" "$@"; }

# ground truth = client lines then server lines (each in send order)
write_truth() {
  local name=$1; shift
  cat "$@" >"$OUT/$name.truth.jsonl"
  chmod 0644 "$OUT/$name.truth.jsonl"
}

need_node() {
  [ -n "$NODE" ] || die "node not found"
  if [ ! -f "$PEERS/node_modules/ws/package.json" ]; then
    log "installing node peer dependencies (npm ci)"
    (cd "$PEERS" && npm ci --no-audit --no-fund >&2)
  fi
}

# ------------------------------------------------------------------ scenarios
sc_py_basic() {
  start_capture py_basic
  start_server 8765 "$PY" "$PEERS/py_ws.py" basic-server --host $SRV_IP --port 8765 --truth "$TMP/srv.jsonl"
  run_client "$PY" "$PEERS/py_ws.py" basic-client --host $SRV_IP --port 8765 --truth "$TMP/cli.jsonl"
  wait_server
  stop_capture
  write_truth py_basic "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_node_frag() {
  need_node
  start_capture node_frag
  start_server 8080 "$NODE" "$PEERS/node_ws.js" frag-server $SRV_IP 8080 "$TMP/srv.jsonl"
  run_client "$NODE" "$PEERS/node_ws.js" frag-client $SRV_IP 8080 "$TMP/cli.jsonl"
  wait_server
  stop_capture
  write_truth node_frag "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_node_port80() {
  need_node
  start_capture node_port80
  start_server 80 "$NODE" "$PEERS/node_ws.js" p80-server $SRV_IP 80 "$TMP/srv.jsonl"
  run_client "$NODE" "$PEERS/node_ws.js" p80-client $SRV_IP 80 "$TMP/cli.jsonl"
  wait_server
  stop_capture
  write_truth node_port80 "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_neg_refused() {
  start_capture neg_refused
  start_server 8765 "$PY" "$PEERS/py_ws.py" refuse-server --host $SRV_IP --port 8765
  run_client "$PY" "$PEERS/py_ws.py" refuse-client --host $SRV_IP --port 8765
  wait_server
  stop_capture
  write_truth neg_refused /dev/null
}

sc_neg_http() {
  start_capture neg_http
  start_server 8000 "$PY" "$PEERS/neg_peers.py" http-server --host $SRV_IP --port 8000
  run_client "$PY" "$PEERS/neg_peers.py" http-client --host $SRV_IP --port 8000
  wait_server
  stop_capture
  write_truth neg_http /dev/null
}

sc_neg_tls() {
  command -v openssl >/dev/null || die "openssl not installed"
  local d="$TMP/tls"
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=wsk-test.invalid" -days 2 -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
  start_capture neg_tls
  # server: sends two lines after the handshake, exits after one connection
  # s_server sends what it reads on stdin; stdin must stay open until the client is done
  mkfifo "$d/srv-stdin"
  { sleep 1.0; printf 'server line 1: hello from s_server\nserver line 2: still TLS\n'; sleep 3; } >"$d/srv-stdin" &
  BG_PIDS+=("$!")
  SERVER_STDIN="$d/srv-stdin" start_server 8443 openssl s_server -quiet -tls1_3 -naccept 1 \
    -accept $SRV_IP:8443 -cert "$d/cert.pem" -key "$d/key.pem"
  { sleep 0.5; printf 'client line 1: GET / HTTP/1.1\nclient line 2: Upgrade: websocket\n'; sleep 1.5; } |
    run_client openssl s_client -quiet -tls1_3 -connect $SRV_IP:8443 -servername wsk-test.invalid >/dev/null 2>&1 || true
  wait "$SERVER_PID" || true
  stop_capture
  write_truth neg_tls /dev/null
}

sc_neg_binary() {
  start_capture neg_binary
  start_server 9000 "$PY" "$PEERS/neg_peers.py" binary-server --host $SRV_IP --port 9000
  run_client "$PY" "$PEERS/neg_peers.py" binary-client --host $SRV_IP --port 9000
  wait_server
  stop_capture
  write_truth neg_binary /dev/null
}

sc_neg_redis() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    log "redis-server/redis-cli not installed: skipping neg_redis"
    return 0
  fi
  start_capture neg_redis
  start_server 6379 redis-server --bind $SRV_IP --port 6379 --save '' --appendonly no \
    --daemonize no --protected-mode no --dir "$TMP" --loglevel warning >/dev/null
  # one redis-cli invocation (= one TCP connection) per command: when fed
  # commands on stdin, redis-cli 7 first downloads COMMAND DOCS (~180 kB)
  run_client redis-cli -h $SRV_IP -p 6379 SET greeting "hello websocket" >&2
  run_client redis-cli -h $SRV_IP -p 6379 GET greeting >&2
  run_client redis-cli -h $SRV_IP -p 6379 PING >&2
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" || true
  stop_capture
  write_truth neg_redis /dev/null
}

# ---------------------------------------------------------------- main
if [ $# -gt 0 ]; then SCENARIOS=("$@"); else SCENARIOS=("${ALL_SCENARIOS[@]}"); fi
for s in "${SCENARIOS[@]}"; do
  declare -F "sc_$s" >/dev/null || die "unknown scenario '$s' (known: ${ALL_SCENARIOS[*]})"
done

mkdir -p "$OUT"
setup_netns
for s in "${SCENARIOS[@]}"; do
  log "scenario $s"
  "sc_$s"
  if [ -f "$OUT/$s.pcapng" ]; then
    log "$s: $(tshark -r "$OUT/$s.pcapng" 2>/dev/null | wc -l) frames, $(stat -c %s "$OUT/$s.pcapng") bytes"
  fi
done
