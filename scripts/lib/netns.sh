# The capture harness of scripts/captures/*.sh, scripts/dev/bench.sh and
# scripts/dev/interop-loopback.sh (sourced after common.sh, as root): private network namespaces,
# dumpcap inside them, peers bounded by timeout, and one cleanup on exit.
#
#   harness_init                 a scratch dir $TMP; on exit: dumpcap stopped, background peers
#                                killed, the namespaces deleted, $TMP removed, on_cleanup run
#   netns_pair TAG NET           client namespace wsk-TAG-cli (10.NET.0.1) and server namespace
#                                wsk-TAG-srv (10.NET.0.2), joined by the veth pair wsk-TAG-c /
#                                wsk-TAG-s: MTU 1500, the offloads in $NETNS_OFFLOADS off (every
#                                captured segment is at most the MTU), no IPv6 (no ND/MLD noise),
#                                static neighbour entries (no ARP). Captures on the client side.
#   netns_loopback NS KIND [RMEM]  one namespace NS whose loopback carries both peers; KIND mtu1500
#                                (MTU 1500, TSO/GSO/GRO off: wire-sized segments) or lo (64 KiB
#                                MTU, offloads on); RMEM sets net.ipv4.tcp_rmem with autotuning off
#   (neither)                    the machine's own lo
#   capture_start FILE [DUMPCAP-ARGS...], capture_stop
#   start_server PORT CMD..., wait_server, stop_server
#   run_client CMD..., start_client_bg CMD..., wait_client
#   peer_pair FILE PORT SERVER-CMD... -- CLIENT-CMD...   the usual scenario: capture, server,
#                                client, both ended, capture closed
#   wait_listen PORT [NS], write_truth NAME FILE..., need_tools TOOL...
#   run_scenarios [NAME...]      each scenario sc_NAME (default: all of $ALL_SCENARIOS), after
#                                scenario_setup NAME when the script defines it
#
# Every script names its scenarios and writes its recipe (tests/captures/*.md) in one format:
# what the capture shows, the peers that made it, what their truth file holds.
# shellcheck shell=bash

die() { echo "${0##*/}: $*" >&2; exit 1; }

# need_tools TOOL...: as root, with every TOOL on PATH; a missing one is installed from its
# Debian package (apt_install, as ensure_deps does for the build's packages).
need_tools() {
  local t pkg missing=()
  [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, dumpcap)"
  for t in "$@"; do
    command -v "$t" >/dev/null && continue
    case "$t" in
      ip|ss|tc) pkg=iproute2 ;;
      dumpcap|capinfos|editcap|mergecap) pkg=wireshark-common ;;
      taskset) pkg=util-linux ;;
      timeout) pkg=coreutils ;;
      node) pkg=nodejs ;;
      *) pkg=$t ;;
    esac
    missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}" || die "could not install: ${missing[*]}"
  fi
  for t in "$@"; do command -v "$t" >/dev/null || die "missing tool: $t"; done
}

# dumpcap_start NETNS IFACE FILE [DUMPCAP-ARGS...]: capture IFACE of network namespace NETNS
# ("" = this one) into FILE; returns once dumpcap captures. Sets DUMPCAP_PID and DUMPCAP_LOG.
dumpcap_start() {
  local ns=$1 ifc=$2 file=$3 i; shift 3
  local pre=()
  [ -n "$ns" ] && pre=(ip netns exec "$ns")
  DUMPCAP_LOG="$(mktemp "${TMPDIR:-/tmp}/wsk-dumpcap.XXXXXX")"
  rm -f "$file"
  "${pre[@]}" dumpcap -q -i "$ifc" "$@" -w "$file" 2>"$DUMPCAP_LOG" &
  DUMPCAP_PID=$!
  for i in $(seq 100); do
    grep -q "Capturing on" "$DUMPCAP_LOG" && [ -s "$file" ] && return 0
    kill -0 "$DUMPCAP_PID" 2>/dev/null || { cat "$DUMPCAP_LOG" >&2; return 1; }
    sleep 0.1
  done
  echo "dumpcap did not start" >&2
  return 1
}

# dumpcap_stop: SIGINT, up to 10 s, then SIGKILL; fails if dumpcap reports dropped packets.
dumpcap_stop() {
  local pid=${DUMPCAP_PID:-} i dropped
  [ -n "$pid" ] || return 0
  kill -INT "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && { echo "dumpcap did not stop on SIGINT, killing it" >&2; kill -KILL "$pid"; }
  wait "$pid" 2>/dev/null || true
  DUMPCAP_PID=""
  dropped=$(sed -n 's/.*received\/dropped on interface[^:]*: [0-9]*\/\([0-9]*\).*/\1/p' "$DUMPCAP_LOG")
  rm -f "$DUMPCAP_LOG"
  [ "${dropped:-0}" = 0 ] || { echo "dumpcap dropped $dropped packets" >&2; return 1; }
}

# Where the generators find their peers and put their captures; the Python and Node they run
# (WSK_PYTHON needs websockets 10.x; WSK_NODE defaults to node on PATH).
PEERS="$ROOT/scripts/captures/peers"
OUT="$ROOT/tests/captures"
PY="${WSK_PYTHON:-/usr/bin/python3}"
NODE="${WSK_NODE:-$(command -v node || true)}"
export WSK_NODE="$NODE"

NETNS_LIST=()
BG_PIDS=()
DUMPCAP_PID=""
SERVER_PID=""
CLI_NS="" SRV_NS="" CAPTURE_NS="" CAPTURE_IF=lo
NETNS_OFFLOADS="${NETNS_OFFLOADS:-tso gso gro lro tx rx}"
SERVER_TIMEOUT="${SERVER_TIMEOUT:-120}"
CLIENT_TIMEOUT="${CLIENT_TIMEOUT:-90}"

harness_cleanup() {
  set +e
  dumpcap_stop 2>/dev/null
  local p ns
  for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for ns in "${NETNS_LIST[@]}"; do ip netns del "$ns" 2>/dev/null; done
  declare -F on_cleanup >/dev/null && on_cleanup
  rm -rf "$TMP"
}

harness_init() {
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/wsk-${0##*/}.XXXXXX")"
  chmod 0755 "$TMP"  # peers that drop privileges (postgres) reach their dirs
  trap harness_cleanup EXIT
  trap 'exit 130' INT TERM
}

in_cli() { ip netns exec "$CLI_NS" "$@"; }
in_srv() { ip netns exec "$SRV_NS" "$@"; }

netns_pair() {  # netns_pair TAG NET
  local tag=$1 net=$2 side ns ifc ip mac peer_ip peer_mac off
  CLI_NS=wsk-$tag-cli SRV_NS=wsk-$tag-srv CLI_IF=wsk-$tag-c SRV_IF=wsk-$tag-s
  CLI_IP=10.$net.0.1 SRV_IP=10.$net.0.2 CLI_MAC=02:$net:00:00:00:01 SRV_MAC=02:$net:00:00:00:02
  CAPTURE_NS=$CLI_NS CAPTURE_IF=$CLI_IF
  [[ " ${NETNS_LIST[*]} " == *" $CLI_NS "* ]] || NETNS_LIST+=("$CLI_NS" "$SRV_NS")
  ip netns del "$CLI_NS" 2>/dev/null || true
  ip netns del "$SRV_NS" 2>/dev/null || true
  ip netns add "$CLI_NS"
  ip netns add "$SRV_NS"
  ip link add "$CLI_IF" netns "$CLI_NS" type veth peer name "$SRV_IF" netns "$SRV_NS"
  for side in cli srv; do
    if [ $side = cli ]; then ns=$CLI_NS ifc=$CLI_IF ip=$CLI_IP mac=$CLI_MAC peer_ip=$SRV_IP peer_mac=$SRV_MAC
    else ns=$SRV_NS ifc=$SRV_IF ip=$SRV_IP mac=$SRV_MAC peer_ip=$CLI_IP peer_mac=$CLI_MAC; fi
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$ifc" address "$mac" mtu 1500
    ip -n "$ns" addr add "$ip/24" dev "$ifc"
    ip -n "$ns" link set "$ifc" up
    ip -n "$ns" neigh replace "$peer_ip" lladdr "$peer_mac" dev "$ifc" nud permanent
    for off in $NETNS_OFFLOADS; do
      ip netns exec "$ns" ethtool -K "$ifc" "$off" off >/dev/null 2>&1 || true
    done
  done
}

netns_loopback() {  # netns_loopback NS mtu1500|lo [RMEM]
  local ns=$1 kind=$2 rmem=${3:-}
  CLI_NS=$ns SRV_NS=$ns CAPTURE_NS=$ns CAPTURE_IF=lo CLI_IP=127.0.0.1 SRV_IP=127.0.0.1
  [[ " ${NETNS_LIST[*]} " == *" $ns "* ]] || NETNS_LIST+=("$ns")
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
  if [ "$kind" = mtu1500 ]; then
    ip -n "$ns" link set lo mtu 1500
    ip netns exec "$ns" ethtool -K lo tso off gso off gro off
  fi
  ip -n "$ns" link set lo up
  # small receive buffers: windows fill while a reader is paused
  [ -z "$rmem" ] || ip netns exec "$ns" sysctl -qw net.ipv4.tcp_rmem="$rmem" net.ipv4.tcp_moderate_rcvbuf=0
}

# capture_start FILE [DUMPCAP-ARGS...]: dumpcap on $CAPTURE_IF of $CAPTURE_NS, then
# $CAPTURE_SETTLE seconds (default 0.3) before the peers start. Sets PCAP.
capture_start() {
  PCAP=$1; shift
  dumpcap_start "$CAPTURE_NS" "$CAPTURE_IF" "$PCAP" "$@" || die "dumpcap did not start"
  sleep "${CAPTURE_SETTLE:-0.3}"
}

# capture_stop: half a second for the last packets, dumpcap stopped (no drops), the file
# readable by tshark, mode 0644.
capture_stop() {
  sleep 0.5
  dumpcap_stop || die "$PCAP: capture incomplete"
  tshark -r "$PCAP" -q >/dev/null 2>"$TMP/tshark.err" || { cat "$TMP/tshark.err" >&2; die "$PCAP is unreadable"; }
  # (tshark warns about running as root; anything else is a problem)
  if grep -v 'Running as user "root"' "$TMP/tshark.err" | grep -q .; then
    cat "$TMP/tshark.err" >&2; die "$PCAP: tshark complained"
  fi
  chmod 0644 "$PCAP"
}

wait_listen() {  # wait_listen PORT [NS]: until something listens on PORT (default: server side)
  local port=$1 ns=${2-$SRV_NS} i pre=()
  [ -n "$ns" ] && pre=(ip netns exec "$ns")
  for i in $(seq 150); do
    [ -n "$("${pre[@]}" ss -Hltn "sport = :$port")" ] && return 0
    sleep 0.1
  done
  die "nothing listens on port $port"
}

# start_server PORT CMD...: CMD in the server namespace (stdin $SERVER_STDIN, default /dev/null;
# output to $SERVER_LOG when set), once it listens on PORT.
start_server() {
  local port=$1; shift
  if [ -n "${SERVER_LOG:-}" ]; then
    timeout "$SERVER_TIMEOUT" ip netns exec "$SRV_NS" "$@" <"${SERVER_STDIN:-/dev/null}" >"$SERVER_LOG" 2>&1 &
  else
    timeout "$SERVER_TIMEOUT" ip netns exec "$SRV_NS" "$@" <"${SERVER_STDIN:-/dev/null}" &
  fi
  SERVER_PID=$!
  BG_PIDS+=("$SERVER_PID")
  wait_listen "$port"
}
wait_server() {
  local st=0
  wait "$SERVER_PID" || st=$?
  SERVER_PID=""
  [ "$st" -eq 0 ] || { [ -n "${SERVER_LOG:-}" ] && cat "$SERVER_LOG" >&2; die "server exited with status $st"; }
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

run_client() { timeout "$CLIENT_TIMEOUT" ip netns exec "$CLI_NS" "$@"; }
start_client_bg() {
  timeout "$CLIENT_TIMEOUT" ip netns exec "$CLI_NS" "$@" </dev/null &
  CLIENT_PID=$!
  BG_PIDS+=("$CLIENT_PID")
}
wait_client() { wait "$CLIENT_PID" || die "client exited with status $?"; }

# peer_pair FILE PORT SERVER-CMD... -- CLIENT-CMD...: FILE captures the server (once it listens
# on PORT) and the client, until both have ended.
peer_pair() {
  local file=$1 port=$2 srv=()
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do srv+=("$1"); shift; done
  [ "${1:-}" = -- ] || die "peer_pair: no -- before the client command"
  shift
  capture_start "$file"
  start_server "$port" "${srv[@]}"
  run_client "$@"
  wait_server
  capture_stop
}

# write_truth NAME FILE...: tests/captures/NAME.truth.jsonl = the files (client's, then server's)
write_truth() {
  local name=$1; shift
  cat "$@" >"$OUT/$name.truth.jsonl"
  chmod 0644 "$OUT/$name.truth.jsonl"
}

# run_scenarios [NAME...]: sc_NAME for each (default: every one of ALL_SCENARIOS), each after
# scenario_setup NAME when defined; then the frames and bytes of what it wrote.
run_scenarios() {
  local s f
  [ $# -gt 0 ] || set -- "${ALL_SCENARIOS[@]}"
  for s in "$@"; do
    declare -F "sc_$s" >/dev/null || die "unknown scenario '$s' (known: ${ALL_SCENARIOS[*]})"
  done
  mkdir -p "$OUT"
  for s in "$@"; do
    say "scenario $s"
    if declare -F scenario_setup >/dev/null; then scenario_setup "$s"; fi
    rm -f "$TMP"/*.jsonl
    "sc_$s"
    for f in "$OUT/$s".pcap*; do
      [ -f "$f" ] || continue
      tshark -r "$f" >/dev/null 2>"$TMP/tshark.err" || { cat "$TMP/tshark.err" >&2; die "$s: tshark cannot read $f"; }
      say "$s: $(tshark -r "$f" 2>/dev/null | wc -l) frames, $(stat -c %s "$f") bytes"
    done
  done
}
