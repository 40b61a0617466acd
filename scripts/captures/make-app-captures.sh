#!/usr/bin/env bash
# Record the push-service captures (tests/captures/APP.md): real libraries on loopback, one TCP
# port per scenario, each peer writing what its library reported into <name>.truth.jsonl.
# Usage: sudo scripts/captures/make-app-captures.sh [socketio graphql signalr stomp mqtt wsping]
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/scripts/lib/netns.sh"
need_tools dumpcap tshark ss node npm
harness_init
PEERS="$ROOT/scripts/captures/peers/app"
OUT="$ROOT/tests/captures"
if [ ! -f "$PEERS/node_modules/socket.io/package.json" ]; then
  (cd "$PEERS" && npm ci --no-audit --no-fund >&2)
fi

# run_scenario NAME PORT SERVER-CMD CLIENT-CMD: capture lo (tcp port PORT) while both run, into
# app_NAME.pcapng (NAME given as file:BASE: BASE.pcapng).
run_scenario() {
  local name=$1 port=$2 server=$3 client=$4 spid base
  case "$name" in file:*) base="${name#file:}" ;; *) base="app_$name" ;; esac
  local cap="$OUT/$base.pcapng" truth="$OUT/$base.truth.jsonl"
  rm -f "$truth"
  CAPTURE_SETTLE=0 capture_start "$cap" -f "tcp port $port"
  (cd "$PEERS" && eval "$server") & spid=$!
  # Wait until the server listens (ss, not a probe connection: that would be in the capture).
  wait_listen "$port" ""
  sleep 0.2
  (cd "$PEERS" && eval "$client")
  wait "$spid" || true
  capture_stop
  chmod 0644 "$truth"
  say "$base: $(tshark -r "$cap" | wc -l) frames"
}

scenario_socketio() {
  run_scenario socketio 3011 "SERVER_LIFETIME_MS=12000 node sio_server.js 3011 $OUT/app_socketio.truth.jsonl" \
    "node sio_client.js http://127.0.0.1:3011 $OUT/app_socketio.truth.jsonl"
}
scenario_graphql() {
  run_scenario graphql 3012 "node gql_server.js 3012 $OUT/app_graphql.truth.jsonl" \
    "node gql_client.js ws://127.0.0.1:3012/graphql $OUT/app_graphql.truth.jsonl"
}
scenario_signalr() {
  run_scenario signalr 3013 "node signalr_server.js 3013 $OUT/app_signalr.truth.jsonl" \
    "node signalr_client.js http://127.0.0.1:3013/chathub $OUT/app_signalr.truth.jsonl"
}
scenario_stomp() {
  "$PEERS/rabbitmq.sh" start
  run_scenario stomp 15674 "sleep 0.1" \
    "node stomp_client.js ws://127.0.0.1:15674/ws $OUT/app_stomp.truth.jsonl"
  "$PEERS/rabbitmq.sh" stop
}
scenario_mqtt() {
  local conf venv="$PEERS/.venv"; conf="$(mktemp)"
  if ! "$venv/bin/python" -c 'import paho.mqtt' 2>/dev/null; then
    /usr/bin/python3 -m venv "$venv" && printf '*\n' >"$venv/.gitignore"
    "$venv/bin/pip" install -q paho-mqtt==2.1.0 >&2
  fi
  # mosquitto 2.0.11 refuses to start with only a websockets listener ("Unable to start any
  # listening sockets"): a plain MQTT listener on another port keeps it happy.
  printf 'listener 3016 127.0.0.1\nlistener 3015\nprotocol websockets\nallow_anonymous true\n' >"$conf"
  run_scenario mqtt 3015 "timeout 16 mosquitto -v -c $conf 2>$OUT/app_mqtt.mosquitto.log" \
    "$venv/bin/python mqtt_client.py 127.0.0.1 3015 $OUT/app_mqtt.truth.jsonl"
  rm -f "$conf"
  sed -i 's/^\([0-9]*: Config loaded\) from .*/\1./' "$OUT/app_mqtt.mosquitto.log"
  chmod 0644 "$OUT/app_mqtt.mosquitto.log"
}

# Not an application protocol: WebSocket pings on a cadence, one late (tests/captures/KEEPALIVE.md).
scenario_wsping() {
  run_scenario file:ka_ping_late 3031 "node ws_ping_late.js server 3031 $OUT/ka_ping_late.truth.jsonl" \
    "node ws_ping_late.js client ws://127.0.0.1:3031/ $OUT/ka_ping_late.truth.jsonl"
}

for s in "${@:-socketio graphql signalr stomp mqtt wsping}"; do
  for one in $s; do "scenario_$one"; done
done
