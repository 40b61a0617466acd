#!/usr/bin/env bash
# Make the extra real-traffic captures tests/captures/m_* and the extra
# negatives tests/captures/neg_{ssh,postgres,smtp,...} (documented in
# tests/captures/MORE.md).
#
#   sudo scripts/captures/make-captures-more.sh                  # all scenarios
#   sudo scripts/captures/make-captures-more.sh m_deflate_py ... # a subset
#
# Same method as scripts/captures/make-captures.sh, with its own namespaces so both can
# run at once: wsk-m-cli (10.79.0.1) and wsk-m-srv (10.79.0.2), veth pair
# wsk-m-c / wsk-m-s (scripts/lib/netns.sh: MTU 1500, offloads off, no IPv6, static ARP).
# dumpcap captures on the client-side veth.  Peer programs:
# scripts/captures/peers/more_peers.py (Python websockets 10.x + plain sockets)
# and scripts/captures/peers/more_node.js (Node ws).
#
# Midstream scenarios start dumpcap late: the peers create <sync>/ready when
# they reach the point where the capture must begin and wait for <sync>/go.
#
# Environment overrides: WSK_PYTHON (default /usr/bin/python3, needs
# websockets 10.x), WSK_NODE (default: node on PATH).
set -euo pipefail

source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/scripts/lib/netns.sh"
VENV="$PEERS/.venv"   # paho-mqtt for m_mqtt_ws (git-ignored via .venv/.gitignore)
CLIENT_TIMEOUT=60 SERVER_TIMEOUT=90

ALL_SCENARIOS=(m_midstream_py m_midstream_8080 m_deflate_py m_deflate_py_nocontext
  m_deflate_node_frag m_json_subprotocol m_mqtt_ws m_abrupt_rst m_abrupt_fin
  m_close_then_fin m_close_then_fin_lws m_wss_443 m_wss_9443
  neg_ssh neg_postgres neg_smtp neg_http_keepalive_8080 neg_random neg_memcached
  neg_mqtt_tcp neg_tls_midstream)

need_tools ip ethtool dumpcap tshark ss timeout tc openssl
harness_init
chmod 0711 "$TMP"   # postgres (running as user postgres) needs to reach its dirs

wait_file() {  # wait_file PATH (up to 30 s)
  local i
  for i in $(seq 600); do
    [ -e "$1" ] && return 0
    sleep 0.05
  done
  die "timed out waiting for $1"
}

new_sync() { SYNC="$TMP/sync"; rm -rf "$SYNC"; mkdir -p "$SYNC"; }

make_cert() {  # throwaway self-signed P-256 certificate in $TMP/tls
  CERT_DIR="$TMP/tls"
  if [ ! -f "$CERT_DIR/cert.pem" ]; then
    mkdir -p "$CERT_DIR"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=wsk-test.invalid" -days 2 -keyout "$CERT_DIR/key.pem" -out "$CERT_DIR/cert.pem" 2>/dev/null
  fi
}

MP="$PEERS/more_peers.py"

# ------------------------------------------------------------------ WebSocket
sc_m_midstream_py() {
  new_sync
  start_server 9001 "$PY" "$MP" midstream-server --host $SRV_IP --port 9001 --truth "$TMP/srv.jsonl"
  start_client_bg "$PY" "$MP" midstream-client --host $SRV_IP --port 9001 --truth "$TMP/cli.jsonl" --sync "$SYNC"
  wait_file "$SYNC/ready"          # handshake + 3 warm-up messages done
  capture_start "$OUT/m_midstream_py.pcapng"
  touch "$SYNC/go"
  wait_client
  wait_server
  capture_stop
  write_truth m_midstream_py "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_m_midstream_8080() {
  need_node_peers
  new_sync
  start_server 8080 "$NODE" "$PEERS/more_node.js" midstream-server $SRV_IP 8080 "$TMP/srv.jsonl"
  start_client_bg "$NODE" "$PEERS/more_node.js" midstream-client $SRV_IP 8080 "$TMP/cli.jsonl" "$SYNC"
  wait_file "$SYNC/ready"
  # throttle the client's egress so that its 100 kB message takes ~2 s to leave
  in_cli tc qdisc add dev "$CLI_IF" root tbf rate 400kbit burst 16kbit latency 3s
  touch "$SYNC/go1"
  wait_file "$SYNC/sending"
  sleep 0.3
  CAPTURE_SETTLE=0 capture_start "$OUT/m_midstream_8080.pcapng"
  touch "$SYNC/go2"
  wait_client
  wait_server
  capture_stop
  in_cli tc qdisc del dev "$CLI_IF" root
  write_truth m_midstream_8080 "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

py_pair() {  # py_pair NAME PORT SERVER-MODE CLIENT-MODE [extra args...]
  local name=$1 port=$2 smode=$3 cmode=$4; shift 4
  peer_pair "$OUT/$name.pcapng" "$port" "$PY" "$MP" "$smode" --host $SRV_IP --port "$port" --truth "$TMP/srv.jsonl" "$@" \
    -- "$PY" "$MP" "$cmode" --host $SRV_IP --port "$port" --truth "$TMP/cli.jsonl" "$@"
  write_truth "$name" "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

sc_m_deflate_py() { py_pair m_deflate_py 9002 deflate-server deflate-client; }
sc_m_deflate_py_nocontext() { py_pair m_deflate_py_nocontext 9002 deflate-nc-server deflate-nc-client; }
sc_m_json_subprotocol() { py_pair m_json_subprotocol 9004 json-server json-client; }
sc_m_abrupt_rst() { py_pair m_abrupt_rst 9005 abrupt-server abrupt-rst-client; }
sc_m_abrupt_fin() { py_pair m_abrupt_fin 9005 abrupt-server abrupt-fin-client; }

# A Close answered after the closer's TCP FIN (scripts/captures/peers/close_fin_peers.py).
CF="$PEERS/close_fin_peers.py"
sc_m_close_then_fin() {
  peer_pair "$OUT/m_close_then_fin.pcapng" 9006 "$PY" "$CF" server --host $SRV_IP --port 9006 --truth "$TMP/srv.jsonl" \
    --result "$TMP/server-result.json" \
    -- "$PY" "$CF" client --host $SRV_IP --port 9006 --truth "$TMP/cli.jsonl"
  write_truth m_close_then_fin "$TMP/cli.jsonl" "$TMP/srv.jsonl"
  say "m_close_then_fin: the server application saw $(cat "$TMP/server-result.json")"
}

sc_m_close_then_fin_lws() {
  command -v cc >/dev/null && pkg-config --exists libwebsockets ||
    { say "libwebsockets-dev (or cc) not installed: skipping m_close_then_fin_lws"; return 0; }
  cc -O2 -o "$TMP/lws_close_client" "$PEERS/lws_close_client.c" \
    $(pkg-config --cflags --libs libwebsockets) || die "cannot build lws_close_client"
  peer_pair "$OUT/m_close_then_fin_lws.pcapng" 9007 "$PY" "$CF" server --host $SRV_IP --port 9007 --truth "$TMP/srv.jsonl" \
    --result "$TMP/server-result.json" \
    -- "$TMP/lws_close_client" $SRV_IP 9007 "$TMP/lws.log"
  "$PY" "$CF" lws-truth "$TMP/lws.log" "$TMP/cli.jsonl"
  write_truth m_close_then_fin_lws "$TMP/cli.jsonl" "$TMP/srv.jsonl"
  say "m_close_then_fin_lws: libwebsockets $(dpkg-query -W -f '${Version}' libwebsockets17 2>/dev/null || pkg-config --modversion libwebsockets); the server application saw $(cat "$TMP/server-result.json")"
}

sc_m_deflate_node_frag() {
  need_node_peers
  peer_pair "$OUT/m_deflate_node_frag.pcapng" 9003 "$NODE" "$PEERS/more_node.js" deflate-frag-server $SRV_IP 9003 "$TMP/srv.jsonl" \
    -- "$NODE" "$PEERS/more_node.js" deflate-frag-client $SRV_IP 9003 "$TMP/cli.jsonl"
  write_truth m_deflate_node_frag "$TMP/cli.jsonl" "$TMP/srv.jsonl"
}

wss() {
  local port=$1 name=m_wss_$1
  make_cert
  rm -f "$OUT/$name.keys"
  py_pair "$name" "$port" wss-server wss-client --cert "$CERT_DIR/cert.pem" --key "$CERT_DIR/key.pem" \
    --keylog "$OUT/$name.keys"
  chmod 0644 "$OUT/$name.keys"
}
sc_m_wss_443() { wss 443; }
sc_m_wss_9443() { wss 9443; }

mosquitto_conf() {
  command -v mosquitto >/dev/null || return 1
  cat >"$TMP/mosquitto.conf" <<EOF
per_listener_settings false
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
listener 8083 $SRV_IP
protocol websockets
listener 1883 $SRV_IP
protocol mqtt
EOF
  chmod 0644 "$TMP/mosquitto.conf"
}

need_venv() {
  if ! "$VENV/bin/python" -c 'import paho.mqtt, websockets' 2>/dev/null; then
    say "creating $VENV with paho-mqtt 2.1.0"
    "$PY" -m venv --system-site-packages "$VENV"
    echo '*' >"$VENV/.gitignore"
    "$VENV/bin/pip" install -q paho-mqtt==2.1.0 >&2
  fi
}

sc_m_mqtt_ws() {
  mosquitto_conf || { say "mosquitto not installed: skipping m_mqtt_ws"; return 0; }
  need_venv
  capture_start "$OUT/m_mqtt_ws.pcapng"
  start_server 8083 mosquitto -c "$TMP/mosquitto.conf"
  run_client "$VENV/bin/python" "$MP" mqtt-ws-client --host $SRV_IP --port 8083 --truth "$TMP/cli.jsonl"
  sleep 0.3
  stop_server
  capture_stop
  write_truth m_mqtt_ws "$TMP/cli.jsonl"
}

# ------------------------------------------------------------------ negatives
sc_neg_mqtt_tcp() {
  mosquitto_conf || { say "mosquitto not installed: skipping neg_mqtt_tcp"; return 0; }
  capture_start "$OUT/neg_mqtt_tcp.pcapng"
  start_server 1883 mosquitto -c "$TMP/mosquitto.conf"
  run_client mosquitto_pub -h $SRV_IP -p 1883 -i wsk-pub -q 1 -r -t wsk/status -m '{"state":"online","upgrade":"websocket"}'
  run_client mosquitto_sub -h $SRV_IP -p 1883 -i wsk-sub -q 1 -t wsk/status -C 1 >&2
  run_client mosquitto_pub -h $SRV_IP -p 1883 -i wsk-pub2 -q 0 -t wsk/data -m 'GET / HTTP/1.1'
  sleep 0.2
  stop_server
  capture_stop
  write_truth neg_mqtt_tcp /dev/null
}

sc_neg_ssh() {
  command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || { say "sshd not installed: skipping neg_ssh"; return 0; }
  local d="$TMP/ssh"
  mkdir -p "$d" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519" -C wsk-host
  ssh-keygen -q -t ed25519 -N '' -f "$d/id_ed25519" -C wsk-client
  cp "$d/id_ed25519.pub" "$d/authorized_keys"
  cat >"$d/sshd_config" <<EOF
ListenAddress $SRV_IP
Port 22
HostKey $d/host_ed25519
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
  capture_start "$OUT/neg_ssh.pcapng"
  start_server 22 /usr/sbin/sshd -D -e -f "$d/sshd_config"
  run_client ssh -F /dev/null -i "$d/id_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes -o LogLevel=ERROR root@$SRV_IP 'echo hello from ssh; true' >&2
  sleep 0.3
  stop_server
  capture_stop
  write_truth neg_ssh /dev/null
}

sc_neg_postgres() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$bin" ] && [ -x "$bin/initdb" ] && command -v psql >/dev/null ||
    { say "postgresql not installed: skipping neg_postgres"; return 0; }
  local d="$TMP/pg"
  mkdir -p "$d/data" "$d/sock"
  chown -R postgres:postgres "$d"
  runuser -u postgres -- "$bin/initdb" -D "$d/data" -A trust -U postgres >/dev/null
  echo "host all all 10.79.0.0/24 trust" >>"$d/data/pg_hba.conf"
  capture_start "$OUT/neg_postgres.pcapng"
  start_server 5432 runuser -u postgres -- "$bin/postgres" -D "$d/data" -c listen_addresses=$SRV_IP \
    -c port=5432 -c unix_socket_directories="$d/sock" -c logging_collector=off
  run_client env PGCONNECT_TIMEOUT=10 psql -X -h $SRV_IP -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE TABLE t (id int, msg text)" \
    -c "INSERT INTO t VALUES (1, 'hello'), (2, 'GET / HTTP/1.1 Upgrade: websocket')" \
    -c "SELECT * FROM t ORDER BY id" >&2
  sleep 0.2
  stop_server
  capture_stop
  write_truth neg_postgres /dev/null
}

neg_py_pair() {  # neg_py_pair NAME PORT SERVER-MODE CLIENT-MODE [extra]
  local name=$1 port=$2 smode=$3 cmode=$4; shift 4
  peer_pair "$OUT/$name.pcapng" "$port" "$PY" "$MP" "$smode" --host $SRV_IP --port "$port" "$@" \
    -- "$PY" "$MP" "$cmode" --host $SRV_IP --port "$port" "$@"
  write_truth "$name" /dev/null
}

sc_neg_smtp() { neg_py_pair neg_smtp 2525 smtp-server smtp-client; }
sc_neg_http_keepalive_8080() { neg_py_pair neg_http_keepalive_8080 8080 http-ka-server http-ka-client; }
sc_neg_random() { neg_py_pair neg_random 7777 random-server random-client; }

sc_neg_memcached() {
  command -v memcached >/dev/null || { say "memcached not installed: skipping neg_memcached"; return 0; }
  capture_start "$OUT/neg_memcached.pcapng"
  start_server 11211 memcached -u memcache -l $SRV_IP -p 11211 -U 0 -m 16
  run_client "$PY" "$MP" memcached-client --host $SRV_IP --port 11211
  sleep 0.2
  stop_server
  capture_stop
  write_truth neg_memcached /dev/null
}

sc_neg_tls_midstream() {
  make_cert
  new_sync
  start_server 4433 "$PY" "$MP" tls-mid-server --host $SRV_IP --port 4433 --cert "$CERT_DIR/cert.pem" --key "$CERT_DIR/key.pem"
  start_client_bg "$PY" "$MP" tls-mid-client --host $SRV_IP --port 4433 --sync "$SYNC"
  wait_file "$SYNC/ready"
  capture_start "$OUT/neg_tls_midstream.pcapng"
  touch "$SYNC/go"
  wait_client
  wait_server
  capture_stop
  write_truth neg_tls_midstream /dev/null
}

# ---------------------------------------------------------------- main
netns_pair m 79
run_scenarios "$@"
