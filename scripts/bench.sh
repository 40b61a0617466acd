#!/usr/bin/env bash
# Wall time and peak memory of tshark with the plugin, against Wireshark's built-in WebSocket
# dissector and against the TCP floor (no WebSocket dissection at all). See docs/bench.md.
#
#   sudo scripts/bench.sh                 # captures (once), comparison, scaling
#   sudo scripts/bench.sh capture         # only make the captures (network namespaces: root)
#   scripts/bench.sh compare [FILE]       # comparison on the bulk capture (or FILE)
#   scripts/bench.sh scaling              # ns/message at 10k, 50k, 200k messages
#
# Captures are made with real peers (scripts/capture-peers/bench_ws.py, Python websockets) on a
# veth pair between two network namespaces (wsk-b-cli 10.80.0.1, wsk-b-srv 10.80.0.2, MTU 1500,
# offloads off), captured by dumpcap, and kept in .cache/bench/ (not committed).
#
# Environment: WSK_BENCH_ROUNDS (default 5), WSK_BENCH_SO (a prebuilt ws_keepalive.so: skips the
# build), WSK_BENCH_MESSAGES (bulk capture, default 50000), WSK_PYTHON (default /usr/bin/python3),
# WSK_BENCH_TSHARK_OPTS (given to every tshark run; default "-o tcp.reassemble_out_of_order:TRUE":
# the veth drops a few segments before dumpcap sees them and TCP retransmits them, and without
# this preference every WebSocket dissector loses sync at the first gap),
# WSK_BENCH_SCALING_WORKLOADS (default "plain fields"), WSK_BENCH_EXTRA=1 adds the variant "plugin, keepalive off" to the comparison.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
source "$HERE/common.sh"
PEERS="$HERE/capture-peers"
CACHE="$ROOT/.cache/bench"
PY="${WSK_PYTHON:-/usr/bin/python3}"
ROUNDS="${WSK_BENCH_ROUNDS:-5}"
BULK_N="${WSK_BENCH_MESSAGES:-50000}"

CLI_NS=wsk-b-cli
SRV_NS=wsk-b-srv
CLI_IF=wsk-b-veth-c
SRV_IF=wsk-b-veth-s
CLI_IP=10.80.0.1
SRV_IP=10.80.0.2
CLI_MAC=02:80:00:00:00:01
SRV_MAC=02:80:00:00:00:02
PORT=8765

die() { echo "bench: $*" >&2; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/wsk-bench.XXXXXX")"
chmod 0755 "$TMP"
DUMPCAP_PID=""
SERVER_PID=""
NETNS_UP=""
PLUGIN_HOME=""
EMPTY_HOME=""
cleanup() {
  set +e
  [ -n "$DUMPCAP_PID" ] && { kill -INT "$DUMPCAP_PID" 2>/dev/null; wait "$DUMPCAP_PID" 2>/dev/null; }
  [ -n "$SERVER_PID" ] && { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; }
  if [ -n "$NETNS_UP" ]; then ip netns del "$CLI_NS" 2>/dev/null; ip netns del "$SRV_NS" 2>/dev/null; fi
  rm -rf "$TMP" ${PLUGIN_HOME:+"$PLUGIN_HOME"} ${EMPTY_HOME:+"$EMPTY_HOME"}
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ captures
setup_netns() {
  ip netns del "$CLI_NS" 2>/dev/null || true
  ip netns del "$SRV_NS" 2>/dev/null || true
  ip netns add "$CLI_NS"
  ip netns add "$SRV_NS"
  NETNS_UP=1
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
    ip -n "$ns" neigh replace "$peer_ip" lladdr "$peer_mac" dev "$ifc" nud permanent
    for off in tso gso gro lro tx rx; do
      ip netns exec "$ns" ethtool -K "$ifc" "$off" off >/dev/null 2>&1 || true
    done
  done
}

# capture NAME MESSAGES SCALE: one connection, MESSAGES messages (half each way), sizes / SCALE
capture() {
  local name=$1 n=$2 scale=$3 pcap="$CACHE/$1.pcapng" i
  say "capture $name: $n messages, size scale 1/$scale"
  rm -f "$pcap" "$pcap.tmp"
  : >"$TMP/dumpcap.log"
  ip netns exec "$CLI_NS" dumpcap -q -B 256 -i "$CLI_IF" -w "$pcap.tmp" 2>"$TMP/dumpcap.log" &
  DUMPCAP_PID=$!
  for i in $(seq 100); do
    grep -q "Capturing on" "$TMP/dumpcap.log" && [ -s "$pcap.tmp" ] && break
    kill -0 "$DUMPCAP_PID" 2>/dev/null || { cat "$TMP/dumpcap.log" >&2; die "dumpcap died"; }
    sleep 0.1
  done
  sleep 0.3
  ip netns exec "$SRV_NS" "$PY" "$PEERS/bench_ws.py" server --host $SRV_IP --port $PORT \
    --messages "$n" --scale "$scale" </dev/null &
  SERVER_PID=$!
  for i in $(seq 100); do
    [ -n "$(ip netns exec "$SRV_NS" ss -Hltn "sport = :$PORT")" ] && break
    sleep 0.1
  done
  timeout 900 ip netns exec "$CLI_NS" "$PY" "$PEERS/bench_ws.py" client --host $SRV_IP \
    --port $PORT --messages "$n" --scale "$scale"
  wait "$SERVER_PID" || die "server failed"
  SERVER_PID=""
  sleep 0.5
  kill -INT "$DUMPCAP_PID"
  wait "$DUMPCAP_PID" || true
  DUMPCAP_PID=""
  grep -iE "dropped|captured" "$TMP/dumpcap.log" >&2 || true
  local dropped
  dropped=$(sed -n "s/.*received\/dropped on interface[^:]*: [0-9]*\/\([0-9]*\).*/\1/p" "$TMP/dumpcap.log")
  [ "${dropped:-0}" = 0 ] || die "dumpcap dropped $dropped packets"
  mv "$pcap.tmp" "$pcap"
  chmod 0644 "$pcap"
  echo "$n" >"$CACHE/$name.messages"
  say "$name: $(stat -c %s "$pcap") bytes"
}

# NAME MESSAGES SCALE
CAPTURES=(
  "bulk-50k $BULK_N 1"
  "flat-10k 10000 4"
  "flat-50k 50000 4"
  "flat-200k 200000 4"
)

make_captures() {
  [ "$(id -u)" -eq 0 ] || die "captures need root (network namespaces, dumpcap)"
  for t in ip ethtool dumpcap ss timeout; do command -v "$t" >/dev/null || die "missing tool: $t"; done
  mkdir -p "$CACHE"
  chmod a+rx "$CACHE"
  local missing=() c
  for c in "${CAPTURES[@]}"; do
    set -- $c
    [ -s "$CACHE/$1.pcapng" ] && [ "${WSK_BENCH_RECAPTURE:-0}" != 1 ] || missing+=("$c")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  setup_netns
  for c in "${missing[@]}"; do
    set -- $c
    capture "$1" "$2" "$3"
  done
  ip netns del "$CLI_NS"; ip netns del "$SRV_NS"; NETNS_UP=""
}

# ------------------------------------------------------------------ timing
setup_homes() {
  local so="${WSK_BENCH_SO:-}"
  [ -n "$so" ] || so="$(build_plugin)"
  make_test_home "$so"
  PLUGIN_HOME="$WSK_HOME"
  EMPTY_HOME="$(mktemp -d "${TMPDIR:-/tmp}/wsk-home-none.XXXXXX")"
  chmod a+rx "$EMPTY_HOME"
  [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$EMPTY_HOME"
  # the built-in baseline must not see the plugin: check
  if HOME_CHECK=$(WSK_HOME="$EMPTY_HOME" run_tshark -G plugins 2>/dev/null | grep -c ws_keepalive); then
    die "the plugin-free HOME still loads ws_keepalive ($HOME_CHECK)"
  fi
  WSK_HOME="$PLUGIN_HOME" run_tshark -G plugins 2>/dev/null | grep -q ws_keepalive ||
    die "the plugin HOME does not load ws_keepalive"
}

# Variants: name home extra-args. Workloads: plain, fields.
variant_home() { case $1 in plugin|plugin-noka) echo "$PLUGIN_HOME" ;; *) echo "$EMPTY_HOME" ;; esac; }
variant_args() {
  case $1 in
    plugin) ;;
    plugin-noka) echo "--disable-protocol keepalive" ;;
    builtin) ;;
    floor) echo "--disable-protocol websocket" ;;
  esac
}
workload_args() {  # VARIANT WORKLOAD
  [ "$2" = plain ] && return 0
  case $1 in
    plugin*) echo "-Y ws -T fields -e frame.number -e ws.opcode -e ws.len -e ws.msg.index -e ws.msg.len" ;;
    *) echo "-Y websocket -T fields -e frame.number -e websocket.opcode -e websocket.payload_length -e websocket.fin -e websocket.mask" ;;
  esac
}

# timed_run TAG HOME ARGS...: appends "TAG wall_s user_s sys_s maxrss_kB lines" to $RESULTS
timed_run() {
  local tag=$1 home=$2; shift 2
  local priv=()
  [ "$(id -u)" -eq 0 ] && priv=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  local t0 t1
  # shellcheck disable=SC2086
  set -- ${WSK_BENCH_TSHARK_OPTS--o tcp.reassemble_out_of_order:TRUE} "$@"
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$TMP/time" \
    "${priv[@]}" env -i PATH="$PATH" HOME="$home" TZ=UTC LANG=C.UTF-8 tshark "$@" \
    >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; die "tshark failed: $*"; }
  t1=$(date +%s%N)
  local lines; lines=$(wc -l <"$TMP/out")
  echo "$tag $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}') $(tail -1 "$TMP/time") $lines" >>"$RESULTS"
  tail -1 "$RESULTS" | awk '{printf "  %-28s wall %7.2fs  cpu %7.2fs  %6d MB  %s lines\n", $1, $2, $3+$4, $5/1024, $6}' >&2
}

# stats TAG COL: "median min max" of column COL (2 = wall, cpu = user+sys, 5 = maxrss) of TAG
stats() {
  awk -v t="$1" -v c="${2:-2}" '$1==t{print (c=="cpu") ? $3+$4 : $c}' "$RESULTS" | sort -g |
    awk '{v[NR]=$1} END{ if (NR==0) {print "- - -"; exit}
      m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; print m, v[1], v[NR] }'
}
med() { stats "$@" | awk '{print $1}'; }

compare() {
  local file="${1:-$CACHE/bulk-50k.pcapng}"
  [ -s "$file" ] || die "no capture $file (run: sudo scripts/bench.sh capture)"
  mkdir -p "$CACHE"
  RESULTS="$CACHE/results-compare.txt"; : >"$RESULTS"
  local variants=(plugin builtin floor)
  [ "${WSK_BENCH_EXTRA:-0}" = 1 ] && variants=(plugin plugin-noka builtin floor)
  local size; size=$(stat -L -c %s "$file")
  say "comparison on $(basename "$file") ($((size / 1000000)) MB), $ROUNDS rounds, interleaved"
  # warm the page cache
  cat "$file" >/dev/null
  local r v w
  for r in $(seq "$ROUNDS"); do
    say "round $r/$ROUNDS"
    for w in plain fields; do
      for v in "${variants[@]}"; do
        # shellcheck disable=SC2046
        timed_run "$v/$w" "$(variant_home "$v")" -r "$file" $(variant_args "$v") $(workload_args "$v" "$w")
      done
    done
  done
  echo
  echo "### $(basename "$file"): $((size / 1000000)) MB, $(awk -v t="floor/plain" '$1==t{print $6; exit}' "$RESULTS") packets, $ROUNDS rounds (median, min-max)"
  echo
  echo "| workload | variant | wall s (min-max) | CPU s, user+sys (min-max) | peak RSS MB (min-max) | output lines |"
  echo "|---|---|---|---|---|---|"
  for w in plain fields; do
    for v in "${variants[@]}"; do
      local s m l
      s=$(stats "$v/$w" 2); c=$(stats "$v/$w" cpu); m=$(stats "$v/$w" 5)
      l=$(awk -v t="$v/$w" '$1==t{print $6; exit}' "$RESULTS")
      echo "| $w | $v | $(echo "$s" | awk '{printf "%.2f (%.2f-%.2f)", $1, $2, $3}') | $(echo "$c" | awk '{printf "%.2f (%.2f-%.2f)", $1, $2, $3}') | $(echo "$m" | awk '{printf "%d (%d-%d)", $1/1024, $2/1024, $3/1024}') | $l |"
    done
  done
  echo
  echo "| workload | measure | plugin/built-in (target <= 0.8) | plugin/floor (target <= 2.0) | built-in/floor |"
  echo "|---|---|---|---|---|"
  local col
  for w in plain fields; do
    for col in 2 cpu 5; do
      awk -v p="$(med plugin/$w $col)" -v b="$(med builtin/$w $col)" -v f="$(med floor/$w $col)" -v w="$w" \
          -v what="$(case $col in 2) echo wall time;; cpu) echo CPU time;; 5) echo "peak memory (target <= 1.0)";; esac)" \
        'BEGIN{printf "| %s | %s | %.2f | %.2f | %.2f |\n", w, what, p/b, p/f, b/f}'
    done
  done
  # Per-round ratios: how much the shared machine moved the numbers
  echo
  echo "Per-round plugin/built-in ratios (same round, adjacent runs), wall | CPU:"
  for w in plain fields; do
    printf '  %s:' "$w"
    paste <(awk -v t="plugin/$w" '$1==t{print $2, $3+$4}' "$RESULTS") <(awk -v t="builtin/$w" '$1==t{print $2, $3+$4}' "$RESULTS") |
      awk '{printf " %.2f|%.2f", $1/$3, $2/$4}'
    echo
  done
  echo
  echo "(raw runs: ${RESULTS#"$ROOT"/}: tag wall_s user_s sys_s maxrss_kB output_lines)"
}

scaling() {
  mkdir -p "$CACHE"
  RESULTS="$CACHE/results-scaling.txt"; : >"$RESULTS"
  local names=(flat-10k flat-50k flat-200k) n r w
  local workloads=(${WSK_BENCH_SCALING_WORKLOADS:-plain fields})
  for n in "${names[@]}"; do [ -s "$CACHE/$n.pcapng" ] || die "no capture $n (run: sudo scripts/bench.sh capture)"; done
  say "scaling: ${names[*]}, $ROUNDS rounds, interleaved"
  for r in $(seq "$ROUNDS"); do
    say "round $r/$ROUNDS"
    # fixed cost: start-up (plugin registration, epan init) and one packet
    timed_run "startup/plugin" "$PLUGIN_HOME" -r "$CACHE/${names[0]}.pcapng" -c 1
    # shellcheck disable=SC2046
    timed_run "startup/floor" "$EMPTY_HOME" -r "$CACHE/${names[0]}.pcapng" -c 1 $(variant_args floor)
    for n in "${names[@]}"; do
      for w in "${workloads[@]}"; do
        # shellcheck disable=SC2046
        timed_run "$n/plugin/$w" "$PLUGIN_HOME" -r "$CACHE/$n.pcapng" $(workload_args plugin "$w")
        # shellcheck disable=SC2046
        timed_run "$n/floor/$w" "$EMPTY_HOME" -r "$CACHE/$n.pcapng" $(variant_args floor) $(workload_args floor "$w")
      done
    done
  done
  echo
  echo "### Time per message, same size mix (1/4 of the bulk sizes), plugin; $ROUNDS rounds"
  echo
  local su; su=$(med startup/plugin cpu)
  echo "Start-up (tshark -c 1), CPU s: plugin $su, floor $(med startup/floor cpu)"
  echo
  echo "| capture | messages | MB | workload | plugin wall s (min-max) | plugin CPU s | plugin ns/message (wall) | plugin ns/message (CPU) | plugin ns/message (CPU - start-up) | floor ns/message (CPU) | (plugin - floor) ns/message (CPU) | plugin peak RSS MB | floor peak RSS MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  local base_plain="" base_fields=""
  for n in "${names[@]}"; do
    local msgs mb; msgs=$(cat "$CACHE/$n.messages"); mb=$(( $(stat -L -c %s "$CACHE/$n.pcapng") / 1000000 ))
    for w in "${workloads[@]}"; do
      local s c f m fm
      s=$(stats "$n/plugin/$w" 2); c=$(med "$n/plugin/$w" cpu); f=$(med "$n/floor/$w" cpu)
      m=$(med "$n/plugin/$w" 5); fm=$(med "$n/floor/$w" 5)
      echo "$s" | awk -v n="$n" -v msgs="$msgs" -v mb="$mb" -v w="$w" -v c="$c" -v f="$f" -v m="$m" -v fm="$fm" -v su="$su" \
        '{printf "| %s | %d | %d | %s | %.2f (%.2f-%.2f) | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f | %d | %d |\n", n, msgs, mb, w, $1, $2, $3, c, $1*1e9/msgs, c*1e9/msgs, (c-su)*1e9/msgs, f*1e9/msgs, (c-f)*1e9/msgs, m/1024, fm/1024}'
    done
  done
  echo
  local col
  for w in "${workloads[@]}"; do
    for col in 2 cpu cpu-startup; do
      local lo hi per
      per=$(for n in "${names[@]}"; do
        awk -v m="$(med "$n/plugin/$w" "${col%-startup}")" -v su="$([ $col = cpu-startup ] && echo "$su" || echo 0)" \
          -v c="$(cat "$CACHE/$n.messages")" 'BEGIN{print (m-su)*1e9/c}'; done | sort -g)
      lo=$(echo "$per" | head -1); hi=$(echo "$per" | tail -1)
      awk -v lo="$lo" -v hi="$hi" -v w="$w" -v col="$(case $col in 2) echo wall;; cpu) echo CPU;; *) echo "CPU minus start-up";; esac)" \
        'BEGIN{printf "%s, %s: plugin ns/message max/min = %.2f (target <= 1.20)\n", w, col, hi/lo}'
    done
  done
  echo
  echo "(raw runs: ${RESULTS#"$ROOT"/}: tag wall_s user_s sys_s maxrss_kB output_lines)"
}

# ------------------------------------------------------------------ main
cmd="${1:-all}"
case $cmd in
  capture) make_captures ;;
  compare) setup_homes; compare "${2:-}" ;;
  scaling) setup_homes; scaling ;;
  all) make_captures; setup_homes; compare; scaling ;;
  *) die "usage: bench.sh [all|capture|compare [FILE]|scaling]" ;;
esac
