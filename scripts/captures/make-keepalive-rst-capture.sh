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

source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/scripts/lib/netns.sh"
NAME=ka_rst
PORT=8765
NETNS_OFFLOADS="tso gso gro lro tx rx sg"
CLIENT_TIMEOUT=60 SERVER_TIMEOUT=60

need_tools ip ethtool dumpcap tshark ss timeout
"$PY" -c 'import websockets' 2>/dev/null || die "$PY has no websockets module (apt-get install python3-websockets)"
harness_init

# ms since the client's socket last received an ACK (ss -ti "lastack:"), or empty
client_lastack() {
  in_cli ss -Htin state established "dport = :$PORT" | grep -o 'lastack:[0-9]*' | head -1 | cut -d: -f2
}

now() { date +%s.%N; }

# ------------------------------------------------------------------ scenario
netns_pair kar 81
capture_start "$OUT/$NAME.pcapng"
start_server $PORT "$PY" "$PEERS/ka_rst.py" server --host $SRV_IP --port $PORT --log "$TMP/srv.jsonl"
start_client_bg "$PY" "$PEERS/ka_rst.py" client --host $SRV_IP --port $PORT \
  --log "$TMP/cli.jsonl" --keepalive 2,1,3 --idle-flag "$TMP/idle" --wait 15

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
say "probe 1 answered (client lastack went from ${prev} ms to ${cur} ms)"

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
say "server socket destroyed: $(tail -n +2 "$TMP/ss-K.txt" | tr -s ' ')"

wait_client
stop_server
capture_stop

# The capture must show: probe, its ACK, probe, the server's RST (nothing from the server
# between the cut and the RST).
probes=$(tshark -r "$PCAP" -Y tcp.analysis.keep_alive -T fields -e frame.number 2>/dev/null | xargs)
acks=$(tshark -r "$PCAP" -Y tcp.analysis.keep_alive_ack -T fields -e frame.number 2>/dev/null | xargs)
rsts=$(tshark -r "$PCAP" -Y "tcp.flags.reset == 1" -T fields -e frame.number -e ip.src 2>/dev/null | tr '\t' ':' | xargs)
last=$(tshark -r "$PCAP" 2>/dev/null | wc -l)
say "probes: $probes; probe ACKs: $acks; RSTs: $rsts; $last frames"
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
