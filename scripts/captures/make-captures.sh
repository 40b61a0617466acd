#!/usr/bin/env bash
# Regenerate the real-traffic test captures in tests/captures/.
#
#   sudo scripts/captures/make-captures.sh              # all scenarios
#   sudo scripts/captures/make-captures.sh py_basic ... # a subset
#
# Two network namespaces (wsk-ws-cli 10.77.0.1, wsk-ws-srv 10.77.0.2) joined by a veth
# pair (MTU 1500, all offloads off so every captured segment is <= MTU; scripts/lib/netns.sh).
# dumpcap captures on the client-side veth.  Peer programs live in
# scripts/captures/peers/ and write the ground truth (*.truth.jsonl) themselves.
#
# Environment overrides: WSK_PYTHON (default /usr/bin/python3, needs
# websockets 10.x), WSK_NODE (default: node on PATH).
set -euo pipefail

source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/scripts/lib/netns.sh"
CLIENT_TIMEOUT=60 SERVER_TIMEOUT=60

ALL_SCENARIOS=(py_basic node_frag node_port80 neg_refused neg_http neg_tls neg_binary neg_redis)

need_tools ip ethtool dumpcap tshark ss timeout
harness_init

# ------------------------------------------------------------------ scenarios
sc_py_basic() {
  peer_pair "$OUT/py_basic.pcapng" 8765 "$PY" "$PEERS/py_ws.py" basic-server --host $SRV_IP --port 8765 --truth "$TMP/srv.jsonl" \
    -- "$PY" "$PEERS/py_ws.py" basic-client --host $SRV_IP --port 8765 --truth "$TMP/cli.jsonl"
  write_truth py_basic "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

# node_pair NAME PORT MODE: node_ws.js MODE-server and MODE-client on PORT, each logging what it sent.
node_pair() {
  need_node_peers
  peer_pair "$OUT/$1.pcapng" "$2" "$NODE" "$PEERS/node_ws.js" "$3-server" $SRV_IP "$2" "$TMP/srv.jsonl" \
    -- "$NODE" "$PEERS/node_ws.js" "$3-client" $SRV_IP "$2" "$TMP/cli.jsonl"
  write_truth "$1" "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}
sc_node_frag() { node_pair node_frag 8080 frag; }
sc_node_port80() { node_pair node_port80 80 p80; }

sc_neg_refused() {
  peer_pair "$OUT/neg_refused.pcapng" 8765 "$PY" "$PEERS/py_ws.py" refuse-server --host $SRV_IP --port 8765 \
    -- "$PY" "$PEERS/py_ws.py" refuse-client --host $SRV_IP --port 8765
  write_truth neg_refused /dev/null
}

sc_neg_http() {
  peer_pair "$OUT/neg_http.pcapng" 8000 "$PY" "$PEERS/neg_peers.py" http-server --host $SRV_IP --port 8000 \
    -- "$PY" "$PEERS/neg_peers.py" http-client --host $SRV_IP --port 8000
  write_truth neg_http /dev/null
}

sc_neg_tls() {
  command -v openssl >/dev/null || die "openssl not installed"
  local d="$TMP/tls"
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=wsk-test.invalid" -days 2 -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
  capture_start "$OUT/neg_tls.pcapng"
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
  capture_stop
  write_truth neg_tls /dev/null
}

sc_neg_binary() {
  peer_pair "$OUT/neg_binary.pcapng" 9000 "$PY" "$PEERS/neg_peers.py" binary-server --host $SRV_IP --port 9000 \
    -- "$PY" "$PEERS/neg_peers.py" binary-client --host $SRV_IP --port 9000
  write_truth neg_binary /dev/null
}

sc_neg_redis() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    say "redis-server/redis-cli not installed: skipping neg_redis"
    return 0
  fi
  capture_start "$OUT/neg_redis.pcapng"
  start_server 6379 redis-server --bind $SRV_IP --port 6379 --save '' --appendonly no \
    --daemonize no --protected-mode no --dir "$TMP" --loglevel warning >/dev/null
  # one redis-cli invocation (= one TCP connection) per command: when fed
  # commands on stdin, redis-cli 7 first downloads COMMAND DOCS (~180 kB)
  run_client redis-cli -h $SRV_IP -p 6379 SET greeting "hello websocket" >&2
  run_client redis-cli -h $SRV_IP -p 6379 GET greeting >&2
  run_client redis-cli -h $SRV_IP -p 6379 PING >&2
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" || true
  capture_stop
  write_truth neg_redis /dev/null
}

# ---------------------------------------------------------------- main
netns_pair ws 77
run_scenarios "$@"
