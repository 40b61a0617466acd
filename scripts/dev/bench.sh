#!/usr/bin/env bash
# CPU time, wall time and peak memory of tshark with the plugin, against Wireshark's built-in
# WebSocket dissector and against the TCP floor (no WebSocket dissection at all), on WebSocket
# and non-WebSocket captures. See docs/bench.md.
#
#   sudo scripts/dev/bench.sh                 # captures (once), comparison, growth
#   sudo scripts/dev/bench.sh capture         # only make the captures (network namespace: root)
#   scripts/dev/bench.sh compare [NAME...]    # the comparison table (all captures, or the ones named)
#   scripts/dev/bench.sh growth               # time and memory per message at 10k, 50k, 200k messages
#   scripts/dev/bench.sh smoke                # CI: one tiny committed capture, one round, no table check
#
# Captures are made with real peers (scripts/captures/peers/bulk_ws.js: Node `ws`;
# scripts/captures/peers/bench_plain.js: Node net/http/tls) on the loopback of a private network
# namespace (wsk-bench, created and deleted here), at MTU 1500 with TSO/GSO/GRO off (wire-sized
# segments, <= 1448 payload bytes) or at the loopback's own 64 KiB MTU, captured by dumpcap in the
# namespace, and kept in .cache/bench/ (not committed) with a <name>.recipe file each (peer,
# versions, sizes, packet count). The peers run on one CPU (see tests/captures/BULK.md: with two,
# the capture can show segments in an order TCP reports as lost).
#
# Environment: WSK_BENCH_ROUNDS (default 3), WSK_BENCH_SO (a prebuilt ws_keepalive.so: skips the
# build), WSK_BENCH_MESSAGES (messages of the WebSocket comparison captures, default 10000),
# WSK_BENCH_TSHARK_OPTS (given to every tshark run; default none), WSK_BENCH_RECAPTURE=1 makes
# the captures again, WSK_NODE (default: node on PATH).
set -euo pipefail

# shellcheck source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/scripts/lib/netns.sh"
CACHE="${WSK_BENCH_CACHE:-$ROOT/.cache/bench}"
ROUNDS="${WSK_BENCH_ROUNDS:-3}"
N_WS="${WSK_BENCH_MESSAGES:-10000}"
NODE="${WSK_NODE:-$(command -v node || true)}"
NS=wsk-bench
SEED=6455

PLUGIN_HOME=""
EMPTY_HOME=""
on_cleanup() { rm -rf ${PLUGIN_HOME:+"$PLUGIN_HOME"} ${EMPTY_HOME:+"$EMPTY_HOME"}; }
harness_init
SERVER_TIMEOUT=900 CLIENT_TIMEOUT=900

# ------------------------------------------------------------------ captures
# NAME LOOPBACK(mtu1500|lo) PORT UNITS PEER [ENV=VALUE...]: PEER is "ws" (bulk_ws.js) or
# "tcp"/"http"/"tls" (bench_plain.js). WebSocket captures first, then non-WebSocket, then growth.
CAPTURES=(
  "ws-mtu1500 mtu1500 8765 $N_WS ws"
  "ws-lo lo 8765 $N_WS ws"
  "ws-deflate mtu1500 8765 $((N_WS * 10)) ws WSK_BULK_DEFLATE=1"
  "ws-small mtu1500 8765 $((N_WS * 20)) ws WSK_BULK_MIX=small WSK_BULK_SLOW=none"
  "tcp-mtu1500 mtu1500 8765 $N_WS tcp"
  "http-mtu1500 mtu1500 8080 $N_WS http"
  "tls-mtu1500 mtu1500 443 $N_WS tls"
  "growth-10k mtu1500 8765 10000 ws WSK_BULK_SCALE=16"
  "growth-50k mtu1500 8765 50000 ws WSK_BULK_SCALE=16"
  "growth-200k mtu1500 8765 200000 ws WSK_BULK_SCALE=16"
)
is_ws() { case $1 in ws-*|growth-*) return 0 ;; *) return 1 ;; esac; }

capture_one() {  # NAME LOOPBACK PORT UNITS PEER [ENV...]
  local name=$1 lb=$2 port=$3 units=$4 peer=$5; shift 5
  local pcap="$CACHE/$name.pcapng" cmd=() i
  if [ "$peer" = ws ]; then cmd=("$NODE" "$PEERS/bulk_ws.js")
  else cmd=("$NODE" "$PEERS/bench_plain.js" "$peer"); fi
  say "capture $name: $peer, $units units, loopback $lb, port $port${*:+, $*}"
  netns_loopback "$NS" "$lb" "4096 65536 262144"
  capture_start "$pcap.tmp" -B 512 -f "tcp port $port"
  local srv_args=(server 127.0.0.1 "$port" "$units" "$SEED") cli_args=(client 127.0.0.1 "$port" "$units" "$SEED")
  if [ "$peer" = ws ]; then srv_args+=("$TMP/srv.json"); cli_args+=("$TMP/cli.json"); fi
  if [ "$peer" = tls ]; then srv_args+=("$TMP/cert"); cli_args+=("$TMP/cert"); fi
  SERVER_LOG="$TMP/srv.log" start_server "$port" env "$@" taskset -c 0 "${cmd[@]}" "${srv_args[@]}"
  local t0=$SECONDS
  run_client env "$@" taskset -c 0 "${cmd[@]}" "${cli_args[@]}" </dev/null 2>"$TMP/cli.log" ||
    { cat "$TMP/cli.log" "$TMP/srv.log" >&2; die "$name: client failed"; }
  SERVER_LOG="$TMP/srv.log" wait_server
  capture_stop
  ip netns del "$NS"
  mv "$pcap.tmp" "$pcap"
  chmod 0644 "$pcap"
  local pkts lost
  pkts=$(capinfos -c -M "$pcap" | awk '/Number of packets/ {print $NF}')
  lost=$(tshark -r "$pcap" --disable-protocol websocket -Y tcp.analysis.lost_segment 2>/dev/null | wc -l)
  {
    echo "capture: $name ($(date -u +%F))"
    echo "peer: ${cmd[*]##*/} $peer, units $units, seed $SEED${*:+, env $*}"
    echo "network: loopback of a private namespace, $lb, port $port, peers on one CPU"
    echo "versions: kernel $(uname -r), node $("$NODE" --version), ws $(cd "$PEERS" && "$NODE" -p 'require("ws/package.json").version'), dumpcap $(dumpcap --version | head -1 | awk '{print $2}')"
    echo "packets: $pkts; bytes: $(stat -c %s "$pcap"); lost segments reported by tshark: $lost"
    echo "client: $(tail -1 "$TMP/cli.log")"
    echo "server: $(tail -1 "$TMP/srv.log")"
    [ "$peer" = ws ] && echo "client summary: $(cat "$TMP/cli.json")" && echo "server summary: $(cat "$TMP/srv.json")"
  } >"$CACHE/$name.recipe"
  echo "$units" >"$CACHE/$name.messages"
  [ "$lost" -eq 0 ] || say "$name: WARNING: tshark reports $lost lost segments"
  say "$name: $pkts packets, $(( $(stat -c %s "$pcap") / 1000000 )) MB, $((SECONDS - t0)) s"
}

make_captures() {
  need_tools ip ethtool dumpcap ss timeout taskset capinfos openssl
  [ -n "$NODE" ] || die "node not found"
  WSK_NODE="$NODE" need_node_peers
  mkdir -p "$CACHE" "$TMP/cert"
  chmod a+rx "$CACHE"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench.invalid \
    -keyout "$TMP/cert/key.pem" -out "$TMP/cert/cert.pem" 2>/dev/null
  local c
  for c in "${CAPTURES[@]}"; do
    set -- $c
    [ -s "$CACHE/$1.pcapng" ] && [ "${WSK_BENCH_RECAPTURE:-0}" != 1 ] && continue
    capture_one "$@"
  done
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
  # the built-in baseline must not see the plugin, the plugin variant must: check
  if WSK_HOME="$EMPTY_HOME" run_tshark -G plugins 2>/dev/null | grep -q ws_keepalive; then
    die "the plugin-free HOME still loads ws_keepalive"
  fi
  WSK_HOME="$PLUGIN_HOME" run_tshark -G plugins 2>/dev/null | grep -q ws_keepalive ||
    die "the plugin HOME does not load ws_keepalive"
}

# Variants: plugin (installed as a user installs it: keep-alive analysis on), builtin (no plugin:
# Wireshark's own WebSocket dissector), floor (no plugin, --disable-protocol websocket).
variant_home() { case $1 in plugin) echo "$PLUGIN_HOME" ;; *) echo "$EMPTY_HOME" ;; esac; }
variant_args() { [ "$1" = floor ] && echo "--disable-protocol websocket"; return 0; }
# Workloads: plain (tshark -r), fields (-Y + -T fields, the matching fields of each dissector),
# twopass (-2, as the GUI: a first pass, then every packet dissected again).
workload_args() {  # VARIANT WORKLOAD
  case $2 in
    plain) ;;
    twopass) echo "-2" ;;
    fields)
      case $1 in
        plugin) echo "-Y ws -T fields -e frame.number -e ws.opcode -e ws.len -e ws.fin -e ws.mask" ;;
        *) echo "-Y websocket -T fields -e frame.number -e websocket.opcode -e websocket.payload_length -e websocket.fin -e websocket.mask" ;;
      esac ;;
  esac
}

# rotate R A B C...: the variants, starting at the (R-1)-th (mod their count). Rounds rotate the
# order so that no variant always runs in the same place, right after the same other run (what ran
# just before can move a run's system time: page clearing on captures that need much memory).
rotate() {
  local r=$1; shift
  local n=$# i
  for i in $(seq 0 $((n - 1))); do
    local j=$(( (r - 1 + i) % n + 1 ))
    echo "${!j}"
  done
}

# timed_run TAG HOME ARGS...: appends "TAG wall_s user_s sys_s maxrss_kB lines" to $RESULTS
timed_run() {
  local tag=$1 home=$2; shift 2
  local priv=()
  [ "$(id -u)" -eq 0 ] && priv=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  local t0 t1
  # shellcheck disable=SC2086
  set -- ${WSK_BENCH_TSHARK_OPTS:-} "$@"
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$TMP/time" \
    "${priv[@]}" env -i PATH="$PATH" HOME="$home" TZ=UTC LANG=C.UTF-8 tshark "$@" \
    >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; die "tshark failed: $*"; }
  t1=$(date +%s%N)
  if grep -qE "Dissector bug|WARNING|CRITICAL" "$TMP/err"; then cat "$TMP/err" >&2; die "tshark warned: $*"; fi
  local lines; lines=$(wc -l <"$TMP/out")
  echo "$tag $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}') $(tail -1 "$TMP/time") $lines" >>"$RESULTS"
  tail -1 "$RESULTS" | awk '{printf "  %-34s wall %7.2fs  cpu %7.2fs  %6d MB  %s lines\n", $1, $2, $3+$4, $5/1024, $6}' >&2
}

# stats TAG COL: "median min max" of column COL (2 = wall, cpu = user+sys, 5 = maxrss) of TAG
stats() {
  awk -v t="$1" -v c="${2:-2}" '$1==t{print (c=="cpu") ? $3+$4 : $c}' "$RESULTS" | sort -g |
    awk '{v[NR]=$1} END{ if (NR==0) {print "0 0 0"; exit}
      m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; print m, v[1], v[NR] }'
}
med() { stats "$@" | awk '{print $1}'; }

# Start-up and the first packet: subtracted nowhere, shown so that small captures can be read.
startup() {
  timed_run "startup/plugin" "$PLUGIN_HOME" -r "$1" -c 1
  timed_run "startup/builtin" "$EMPTY_HOME" -r "$1" -c 1
}

compare() {
  local names=("$@") c n
  if [ ${#names[@]} -eq 0 ]; then
    for c in "${CAPTURES[@]}"; do set -- $c; case $1 in growth-*) ;; *) names+=("$1") ;; esac; done
  fi
  for n in "${names[@]}"; do [ -s "$CACHE/$n.pcapng" ] || die "no capture $n (run: sudo scripts/dev/bench.sh capture)"; done
  RESULTS="$CACHE/results-compare.txt"; : >"$RESULTS"
  say "comparison: ${names[*]}; $ROUNDS rounds, variants interleaved"
  local r v w
  for r in $(seq "$ROUNDS"); do
    say "round $r/$ROUNDS"
    startup "$CACHE/${names[0]}.pcapng"
    for n in "${names[@]}"; do
      cat "$CACHE/$n.pcapng" >/dev/null
      for w in plain fields twopass; do
        if ! is_ws "$n"; then [ "$w" = fields ] && continue; fi
        for v in $(rotate "$r" plugin builtin floor); do
          if ! is_ws "$n"; then [ "$v" = floor ] && continue; fi
          # shellcheck disable=SC2046
          timed_run "$n/$v/$w" "$(variant_home "$v")" -r "$CACHE/$n.pcapng" $(variant_args "$v") $(workload_args "$v" "$w")
        done
      done
    done
  done
  report_compare "${names[@]}"
}

report_compare() {
  local n w
  echo
  echo "### Plugin against Wireshark's own dissector: $(date -u +%F), commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo '+changes'), $(tshark --version | head -1 | awk '{print $3}'), $ROUNDS rounds, medians (CPU = user+sys)"
  echo
  echo "Start-up (tshark -c 1), CPU s: plugin $(med startup/plugin cpu), built-in $(med startup/builtin cpu)"
  echo
  echo "| capture | packets | MB | workload | plugin CPU s (min-max) | built-in CPU s (min-max) | floor CPU s | **plugin / built-in, CPU** | plugin / built-in, wall | above floor: plugin / built-in | plugin RSS MB | built-in RSS MB | RSS plugin / built-in | lines plugin / built-in |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for n in "$@"; do
    local pk mb; pk=$(awk -v t="$n/builtin/plain" '$1==t{print $6; exit}' "$RESULTS"); mb=$(( $(stat -L -c %s "$CACHE/$n.pcapng") / 1000000 ))
    for w in plain fields twopass; do
      if ! is_ws "$n"; then [ "$w" = fields ] && continue; fi
      local p b f pw bw pm bm pl bl
      p=$(stats "$n/plugin/$w" cpu); b=$(stats "$n/builtin/$w" cpu); f=$(med "$n/floor/$w" cpu)
      pw=$(med "$n/plugin/$w" 2); bw=$(med "$n/builtin/$w" 2)
      pm=$(med "$n/plugin/$w" 5); bm=$(med "$n/builtin/$w" 5)
      pl=$(awk -v t="$n/plugin/$w" '$1==t{print $6; exit}' "$RESULTS"); bl=$(awk -v t="$n/builtin/$w" '$1==t{print $6; exit}' "$RESULTS")
      awk -v n="$n" -v pk="$pk" -v mb="$mb" -v w="$w" -v p="$p" -v b="$b" -v f="$f" -v pw="$pw" -v bw="$bw" \
          -v pm="$pm" -v bm="$bm" -v pl="$pl" -v bl="$bl" -v ws="$(is_ws "$n" && echo 1 || echo 0)" 'BEGIN{
        split(p, P, " "); split(b, B, " ");
        floor = ws ? sprintf("%.2f", f) : "-";
        above = (ws && B[1] - f > 0) ? sprintf("%.2f", (P[1] - f) / (B[1] - f)) : "-";
        printf "| %s | %d | %d | %s | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %s | **%.3f** | %.3f | %s | %d | %d | %.3f | %d / %d |\n",
          n, pk, mb, w, P[1], P[2], P[3], B[1], B[2], B[3], floor, P[1]/B[1], pw/bw, above, pm/1024, bm/1024, pm/bm, pl, bl }'
    done
  done
  echo
  echo "Targets: no WebSocket: plugin / built-in <= 1.02 (plain, twopass). WebSocket: plugin / built-in <= 1.00 (all workloads), above floor <= 0.8, RSS <= 1.00."
  echo "(raw runs: ${RESULTS#"$ROOT"/}: tag wall_s user_s sys_s maxrss_kB output_lines)"
}

growth() {
  local names=(growth-10k growth-50k growth-200k) n r w
  for n in "${names[@]}"; do [ -s "$CACHE/$n.pcapng" ] || die "no capture $n (run: sudo scripts/dev/bench.sh capture)"; done
  RESULTS="$CACHE/results-growth.txt"; : >"$RESULTS"
  say "growth: ${names[*]}, $ROUNDS rounds, interleaved"
  for r in $(seq "$ROUNDS"); do
    say "round $r/$ROUNDS"
    startup "$CACHE/${names[0]}.pcapng"
    for n in "${names[@]}"; do
      for w in plain fields; do
        for v in $(rotate "$r" plugin builtin); do
          # shellcheck disable=SC2046
          timed_run "$n/$v/$w" "$(variant_home "$v")" -r "$CACHE/$n.pcapng" $(workload_args "$v" "$w")
        done
      done
    done
  done
  echo
  echo "### Growth: $(date -u +%F), commit $(git -C "$ROOT" rev-parse --short HEAD), $ROUNDS rounds, medians; per message = (CPU - start-up) / messages"
  echo
  local su sb; su=$(med startup/plugin cpu); sb=$(med startup/builtin cpu)
  echo "| capture | messages | MB | workload | plugin CPU s | plugin µs/message | built-in µs/message | plugin RSS MB | plugin RSS KB/message | built-in RSS MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for n in "${names[@]}"; do
    local msgs mb; msgs=$(cat "$CACHE/$n.messages"); mb=$(( $(stat -L -c %s "$CACHE/$n.pcapng") / 1000000 ))
    for w in plain fields; do
      awk -v n="$n" -v msgs="$msgs" -v mb="$mb" -v w="$w" -v p="$(med "$n/plugin/$w" cpu)" -v b="$(med "$n/builtin/$w" cpu)" \
          -v pm="$(med "$n/plugin/$w" 5)" -v bm="$(med "$n/builtin/$w" 5)" -v su="$su" -v sb="$sb" 'BEGIN{
        printf "| %s | %d | %d | %s | %.2f | %.1f | %.1f | %d | %.2f | %d |\n", n, msgs, mb, w, p, (p-su)*1e6/msgs, (b-sb)*1e6/msgs, pm/1024, pm/msgs, bm/1024 }'
    done
  done
  echo
  for w in plain fields; do
    local per
    per=$(for n in "${names[@]}"; do awk -v m="$(med "$n/plugin/$w" cpu)" -v su="$su" -v c="$(cat "$CACHE/$n.messages")" 'BEGIN{print (m-su)/c}'; done | sort -g)
    awk -v lo="$(echo "$per" | head -1)" -v hi="$(echo "$per" | tail -1)" -v w="$w" 'BEGIN{printf "%s: plugin CPU per message, max/min = %.2f (target <= 1.15)\n", w, hi/lo}'
    per=$(for n in "${names[@]}"; do awk -v m="$(med "$n/plugin/$w" 5)" -v c="$(cat "$CACHE/$n.messages")" 'BEGIN{print m/c}'; done | sort -g)
  done
  echo "(raw runs: ${RESULTS#"$ROOT"/})"
}

# CI smoke: the bench's own code paths on a committed capture (one round; no targets checked).
smoke() {
  local f="$ROOT/tests/captures/py_basic.pcapng"
  mkdir -p "$TMP/smoke"
  CACHE="$TMP/smoke"
  cp "$f" "$CACHE/ws-smoke.pcapng"
  ROUNDS=1
  compare ws-smoke
}

# ------------------------------------------------------------------ main
cmd="${1:-all}"
case $cmd in
  capture) make_captures ;;
  compare) shift; setup_homes; compare "$@" ;;
  growth) setup_homes; growth ;;
  smoke) setup_homes; smoke ;;
  all) make_captures; setup_homes; compare; growth ;;
  *) die "usage: bench.sh [all|capture|compare [NAME...]|growth|smoke]" ;;
esac
