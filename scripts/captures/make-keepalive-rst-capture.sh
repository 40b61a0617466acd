#!/usr/bin/env bash
# Make tests/captures/ka_rst.pcapng (+ ka_rst.truth.json): a TCP keep-alive
# probe answered by a RST, because the server's kernel forgot the connection
# (what a peer that rebooted does), recorded from real traffic.
#
#   sudo scripts/captures/make-keepalive-rst-capture.sh
#
# Same method as scripts/captures/make-keepalive-captures.sh (see
# tests/captures/KEEPALIVE.md), with its own namespaces so both can run at
# once: wsk-kar-cli (10.81.0.1) and wsk-kar-srv (10.81.0.2), veth pair
# wsk-kar-c / wsk-kar-s, MTU 1500, offloads off, no IPv6, static ARP.  dumpcap
# captures on the client-side veth.
#
# The client (scripts/captures/peers/ka_rst.py, websockets 10.x) sets
# SO_KEEPALIVE with TCP_KEEPIDLE=2, TCP_KEEPINTVL=1, TCP_KEEPCNT=3, exchanges
# two messages and waits.  Its kernel's first probe is answered by an ACK (the
# script sees the ACK arrive in `ss -ti`'s lastack).  Then the server's kernel
# forgets the connection without a packet reaching the client:
#   1. ip -n wsk-kar-srv route add blackhole 10.81.0.1/32   (server -> client dropped)
#   2. ip netns exec wsk-kar-srv ss -K ...                   (socket destroyed; its RST is dropped)
#   3. ip -n wsk-kar-srv route del blackhole 10.81.0.1/32
# The server program keeps listening on the port (a service that came back).
# The client's next probe gets a RST from the server's kernel; the client
# application logs the error and its errno (ECONNRESET expected) as the truth.
#
# Environment overrides: WSK_PYTHON (default /usr/bin/python3, needs
# websockets 10.x).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PEERS="$HERE/peers"
OUT="$ROOT/tests/captures"
PY="${WSK_PYTHON:-/usr/bin/python3}"
NAME=ka_rst
PORT=8765

CLI_NS=wsk-kar-cli
SRV_NS=wsk-kar-srv
CLI_IF=wsk-kar-c
SRV_IF=wsk-kar-s
CLI_IP=10.81.0.1
SRV_IP=10.81.0.2
CLI_MAC=02:81:00:00:00:01
SRV_MAC=02:81:00:00:00:02

die() { echo "make-keepalive-rst-capture: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, dumpcap)"
for t in ip ethtool dumpcap tshark ss timeout; do
  command -v "$t" >/dev/null || die "missing tool: $t"
done
"$PY" -c 'import websockets' 2>/dev/null || die "$PY has no websockets module (apt-get install python3-websockets)"

TMP="$(mktemp -d -t wsk-ka-rst.XXXXXX)"
DUMPCAP_PID=""
BG_PIDS=()

kill_dumpcap() {  # SIGTERM, wait up to 10 s, then SIGKILL
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "make-keepalive-rst-capture: dumpcap did not stop on SIGTERM, killing it" >&2
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
    # static neighbour entry: no ARP in the capture
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
  in_cli dumpcap -q -i "$CLI_IF" -w "$PCAP" 2>"$TMP/dumpcap.log" &
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
  tshark -r "$PCAP" -q >/dev/null 2>"$TMP/tshark.err" || { cat "$TMP/tshark.err" >&2; die "$PCAP is unreadable"; }
  if grep -v 'Running as user "root"' "$TMP/tshark.err" | grep -q .; then
    cat "$TMP/tshark.err" >&2; die "$PCAP: tshark complained"
  fi
  chmod 0644 "$PCAP"
}

wait_listen() {
  local i
  for i in $(seq 100); do
    if [ -n "$(in_srv ss -Hltn "sport = :$PORT")" ]; then return 0; fi
    sleep 0.1
  done
  die "server did not listen on port $PORT"
}

# ms since the client's socket last received an ACK (ss -ti "lastack:"), or empty
client_lastack() {
  in_cli ss -Htin state established "dport = :$PORT" | grep -o 'lastack:[0-9]*' | head -1 | cut -d: -f2
}

now() { date +%s.%N; }

# ------------------------------------------------------------------ scenario
setup_netns
start_capture "$OUT/$NAME.pcapng"
timeout 60 ip netns exec "$SRV_NS" "$PY" "$PEERS/ka_rst.py" server --host $SRV_IP --port $PORT \
  --log "$TMP/srv.jsonl" </dev/null &
SERVER_PID=$!
BG_PIDS+=("$SERVER_PID")
wait_listen
timeout 60 ip netns exec "$CLI_NS" "$PY" "$PEERS/ka_rst.py" client --host $SRV_IP --port $PORT \
  --log "$TMP/cli.jsonl" --keepalive 2,1,3 --idle-flag "$TMP/idle" --wait 15 </dev/null &
CLIENT_PID=$!
BG_PIDS+=("$CLIENT_PID")

for i in $(seq 200); do [ -e "$TMP/idle" ] && break; sleep 0.02; done
[ -e "$TMP/idle" ] || die "client never went idle"

# The first probe goes out KEEPIDLE (2 s) after the last segment; its ACK resets the client's
# lastack. Wait for that (up to 6 s).
prev=$(client_lastack)
[ -n "$prev" ] || die "no established client socket"
answered=""
for i in $(seq 120); do
  sleep 0.05
  cur=$(client_lastack)
  [ -n "$cur" ] || die "client socket gone before the first probe"
  if [ "$cur" -lt "$prev" ]; then answered=$(now); break; fi
  prev=$cur
done
[ -n "$answered" ] || die "the first keep-alive probe was never answered"
log "probe 1 answered (client lastack went from ${prev} ms to ${cur} ms)"

# Make the server's kernel forget the connection, with no packet reaching the client.
t_cut=$(now)
ip -n "$SRV_NS" route add blackhole "$CLI_IP/32"
in_srv ss -K -tn state established "dst $CLI_IP" >"$TMP/ss-K.txt"
t_killed=$(now)
left=$(in_srv ss -Htn state established "dst $CLI_IP" | wc -l)
[ "$left" -eq 0 ] || die "ss -K left $left established socket(s) in the server namespace"
grep -q "$CLI_IP" "$TMP/ss-K.txt" || { cat "$TMP/ss-K.txt" >&2; die "ss -K destroyed no socket (kernel without CONFIG_INET_DIAG_DESTROY?)"; }
sleep 0.1
ip -n "$SRV_NS" route del blackhole "$CLI_IP/32"
t_restored=$(now)
log "server socket destroyed: $(tail -n +2 "$TMP/ss-K.txt" | tr -s ' ')"

wait "$CLIENT_PID" || die "client failed"
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
stop_capture

# The capture must show: probe, its ACK, probe, the server's RST (nothing from the server
# between the cut and the RST).
probes=$(tshark -r "$PCAP" -Y tcp.analysis.keep_alive -T fields -e frame.number 2>/dev/null | xargs)
acks=$(tshark -r "$PCAP" -Y tcp.analysis.keep_alive_ack -T fields -e frame.number 2>/dev/null | xargs)
rsts=$(tshark -r "$PCAP" -Y "tcp.flags.reset == 1" -T fields -e frame.number -e ip.src 2>/dev/null | tr '\t' ':' | xargs)
last=$(tshark -r "$PCAP" 2>/dev/null | wc -l)
log "probes: $probes; probe ACKs: $acks; RSTs: $rsts; $last frames"
[ "$(wc -w <<<"$probes")" -eq 2 ] || die "expected 2 keep-alive probes, got: $probes"
[ "$(wc -w <<<"$acks")" -eq 1 ] || die "expected 1 keep-alive ACK, got: $acks"
set -- $probes
p2=$2
[ "$rsts" = "$((p2 + 1)):$SRV_IP" ] || die "expected the server's RST right after probe 2 (frame $((p2 + 1))), got: $rsts"
[ "$last" -eq "$((p2 + 1))" ] || die "frames after the RST"
grep -q '"errno_name": "ECONNRESET"' "$TMP/cli.jsonl" || { cat "$TMP/cli.jsonl" >&2; die "the client did not get ECONNRESET"; }

pyv=$("$PY" -c 'import sys, websockets; print("python %s, websockets %s" % (sys.version.split()[0], websockets.__version__))')
"$PY" "$PEERS/ka_truth.py" "$OUT/$NAME.truth.json" "{\"scenario\":\"$NAME\",\"programs\":\"ka_rst.py server/client ($pyv)\",
  \"server\":\"$SRV_IP:$PORT\",\"keepalive_side\":\"client\",
  \"SO_KEEPALIVE\":1,\"keepidle\":2,\"keepintvl\":1,\"keepcnt\":3,
  \"first_probe_answered\":{\"t\":$answered,\"how\":\"the client socket's lastack (ss -ti) went from $prev ms to $cur ms\"},
  \"forget\":{\"t\":$t_cut,\"socket_destroyed_t\":$t_killed,\"restored_t\":$t_restored,
    \"how\":\"ip -n $SRV_NS route add blackhole $CLI_IP/32; ip netns exec $SRV_NS ss -K -tn state established dst $CLI_IP (the server kernel destroys its socket; the RST it sends is black-holed); ip -n $SRV_NS route del blackhole $CLI_IP/32. The server program keeps listening on port $PORT.\"},
  \"kernel\":\"$(uname -r)\",
  \"expected\":\"2 text messages echoed; the client kernel's first keep-alive probe (2 s after the last segment) is answered by the server kernel's ACK (alive); then the server kernel forgets the connection without any packet reaching the client; the client's second probe (2 s after that ACK) is answered within microseconds by a RST from the server kernel (seq = the probe's ack number, no ACK flag: RFC 793 reset generation for a segment of no connection); the client application gets ECONNRESET (websockets ConnectionClosedError, close code 1006). No FIN, no Close frame.\",
  \"frames\":{\"probes\":\"$probes\",\"probe_acks\":\"$acks\",\"rst\":\"$((p2 + 1))\",\"total\":$last}}" \
  "$TMP/cli.jsonl" "$TMP/srv.jsonl"
chmod 0644 "$OUT/$NAME.truth.json"
ls -l "$OUT/$NAME".* >&2
