#!/usr/bin/env bash
# Whole-plugin fuzzing under the real tshark: mutate the test captures with `editcap -E` and
# dissect each mutant with the plugin loaded.
#
#   scripts/dev/fuzz-tshark.sh [RUNS] [SECONDS-PER-RUN]      (defaults: 300 runs, 20 s limit)
#
# Run i takes capture i mod N of tests/captures/*.pcap*, error rate 0.001 / 0.01 / 0.05 (cycling
# per round over the captures), editcap seed $FUZZ_SEED_BASE+i (default 1), and one of four
# variants: plain, -2, -V, and -2 -o tcp.try_heuristic_first:TRUE. wss captures get their key
# log. $JOBS runs go in parallel (default 2). The plugin is $WSK_PLUGIN, else a fresh release
# build.
#
# Every run's stderr and stdout are scanned. A run fails if any of these happens:
#   crash     tshark killed by a signal (exit > 128)
#   hang      the time limit hit
#   panic     a Rust panic the plugin contained ("panic contained in", logged as a warning)
#   dissector-bug  "Dissector bug" / "failed assertion" on stderr ("[Epan WARNING] -- Dissector
#             bug, protocol X, in packet N: ...": a DISSECTOR_ASSERT, e.g. two dissectors handing
#             the same bytes to each other until epan stops them at gui.max_tree_depth; tshark
#             still exits 0) or in the output ("[Dissector bug, protocol X: ...]" in the Info
#             column and the -V tree; only these two markers are looked for in stdout, which also
#             holds payload text)
#   critical  any other stderr line with CRITICAL, ERROR level, or "assertion" (GLib assertions)
#   warning   any other log line at WARNING level on stderr ("[Epan WARNING] -- ...", etc.)
# Other non-zero exits (e.g. a mutant editcap made unreadable) are counted but do not fail.
# (Clean runs of every capture in every variant print nothing on stderr.)
#
# The summary gives counts per category (runs and lines), dissector bugs per protocol, and the
# distinct messages seen. The mutant of every failing run is kept in tests/fuzz/artifacts/tshark/
# as <category>-<i>-<capture>, with <...>.txt holding the commands that reproduce it, the matched
# lines and stderr. Exit status 1 if any run failed.
#
# Knobs, mainly to check that the detection works (see docs/robustness.md):
#   FUZZ_CAPTURES="a.pcapng b.pcap"  captures to mutate (default tests/captures/*.pcap*)
#   FUZZ_RATES="0"                   editcap error rates to cycle through (default
#                                    "0.001 0.01 0.05"; 0 dissects the captures unchanged)
#   FUZZ_BUILTIN=1                   run without the plugin (Wireshark's own dissectors), to see
#                                    whether a failure is the plugin's
#   FUZZ_KEEP=DIR                    where failing inputs go (default tests/fuzz/artifacts/tshark)
#   FUZZ_TSHARK_RESULTS=FILE         copy of the per-run results table
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
RUNS="${1:-300}"
LIMIT="${2:-20}"
JOBS="${JOBS:-2}"
SEED_BASE="${FUZZ_SEED_BASE:-1}"
RATES="${FUZZ_RATES:-0.001 0.01 0.05}"
keep="${FUZZ_KEEP:-$ROOT/tests/fuzz/artifacts/tshark}"

# Classify stderr lines: prints "panics dissector_bugs criticals warnings protocols", where
# protocols lists the protocols named in "Dissector bug, protocol X" lines (X:n,...; "-" if none).
# With -v show=1, prints each matched line prefixed by its category instead.
CLASSIFY_AWK='
  /panic contained in/                               { c = "panic" }
  !c && /Dissector bug|failed assertion/             { c = "dissector-bug" }
  !c && (/CRITICAL/ || /[[ ]ERROR\]/ || /assertion/) { c = "critical" }
  !c && /WARNING/                                    { c = "warning" }
  c {
    n[c]++
    if (c == "dissector-bug" && match($0, /Dissector bug, protocol [^,:]+/)) {
      p = substr($0, RSTART + 24, RLENGTH - 24); gsub(/ /, "_", p); protos[p]++
    }
    if (show) print c ": " $0
    c = ""
  }
  END {
    if (show) exit
    s = ""; for (p in protos) s = s (s == "" ? "" : ",") p ":" protos[p]
    printf "%d %d %d %d %s\n", n["panic"], n["dissector-bug"], n["critical"], n["warning"], (s == "" ? "-" : s)
  }'
# The markers epan puts into the output (Info column, -V tree) for a dissector bug.
OUT_MARKERS='Dissector bug|failed assertion'

# The classifier must recognise the lines Wireshark and the plugin really print: check it on
# samples first (a broken pattern would make every run look clean).
selftest() {
  local got want="1 2 3 2 HTTP:1,WS:1"
  got="$(awk "$CLASSIFY_AWK" <<'EOF'
 ** (tshark:14665) 22:23:39.208716 [Epan WARNING] -- Dissector bug, protocol HTTP, in packet 9: ./epan/packet.c:869: failed assertion "saved_layers_len < prefs.gui_max_tree_depth"
 ** (tshark:14665) 22:23:39.208716 [Epan WARNING] -- Dissector bug, protocol WS, in packet 9: ./epan/packet.c:869: failed assertion "saved_layers_len < prefs.gui_max_tree_depth"
 ** (tshark:1) 00:00:00.000001 [ws-keepalive WARNING] -- ws-keepalive: panic contained in wsk_rs_pdu: index out of bounds
 ** (tshark:1) 00:00:00.000002 [GLib CRITICAL] -- g_hash_table_lookup: assertion 'hash_table != NULL' failed
(tshark:1): GLib-CRITICAL **: 00:00:00.000: g_string_append_len: assertion 'string != NULL' failed
 ** (tshark:1) 00:00:00.000003 [Main ERROR] -- something fatal
 ** (tshark:1) 00:00:00.000004 [Epan WARNING] -- Unregistered hf! index=12345
 ** (tshark:1) 00:00:00.000005 [TLS WARNING] -- ssl_load_keyfile: something
tshark: The file "x.pcapng" appears to be damaged or corrupt.
thread '<unnamed>' panicked at src/core/frame.rs:1:1:
EOF
)"
  # The protocol list comes from a hash: sort it.
  local head="${got% *}" protos="${got##* }"
  protos="$(tr ',' '\n' <<<"$protos" | sort | paste -sd, -)"
  if [ "$head $protos" != "$want" ]; then
    echo "fuzz-tshark.sh: classifier self-test failed: got '$head $protos', want '$want'" >&2
    exit 2
  fi
  local o
  o="$(printf '%s\n' '    9 0.1 a → b TCP 70 80 → 47414 [PSH, ACK] Len=4[Dissector bug, protocol HTTP: x]' \
    'WebSocket text: "a payload"' | grep -c -E "$OUT_MARKERS")"
  [ "$o" = 1 ] || { echo "fuzz-tshark.sh: output-marker self-test failed ($o)" >&2; exit 2; }
}
selftest

if [ "${FUZZ_BUILTIN:-0}" = 1 ]; then
  WSK_HOME="$(mktemp -d "${TMPDIR:-/tmp}/wsk-home.XXXXXX")"
  chmod 0755 "$WSK_HOME"
  [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$WSK_HOME"
  export WSK_HOME
  what="Wireshark's built-in dissectors (no plugin)"
else
  so="${WSK_PLUGIN:-$(build_plugin)}"
  make_test_home "$so"
  what="plugin ${so#"$ROOT"/}"
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/wsk-fuzz.XXXXXX")"
mkdir -p "$keep"
trap 'rm -rf "$work" "$WSK_HOME"' EXIT
chmod 0755 "$work"
if [ -n "${FUZZ_CAPTURES:-}" ]; then
  # Separated by spaces or newlines (e.g. "$(ls ...)").
  read -r -d '' -a CAPS < <(printf '%s' "$FUZZ_CAPTURES") || true
else
  mapfile -t CAPS < <(ls tests/captures/*.pcap*)
fi
export ROOT WSK_HOME LIMIT work keep SEED_BASE RATES CLASSIFY_AWK OUT_MARKERS
export CAPS_LIST="${CAPS[*]}"

one_run() {
  local i="$1"
  local -a caps rates
  read -r -a caps <<<"$CAPS_LIST"
  read -r -a rates <<<"$RATES"
  local n=${#caps[@]}
  local cap="${caps[$((i % n))]}"
  local rate="${rates[$(((i / n) % ${#rates[@]}))]}"
  local seed=$((SEED_BASE + i))
  local base; base="$(basename "$cap")"
  local ext="${base#*.}"
  local mut="$work/$i.$ext"
  editcap -E "$rate" --seed "$seed" "$cap" "$mut" >/dev/null 2>&1
  chmod 0644 "$mut"
  local -a args=(-r "$mut")
  case $((i % 4)) in
    0) ;;
    1) args+=(-2) ;;
    2) args+=(-V) ;;
    3) args+=(-2 -o tcp.try_heuristic_first:TRUE) ;;
  esac
  local keys; keys="$(dirname "$cap")/${base%%.*}.keys"
  if [ -f "$keys" ]; then
    cp "$keys" "$work/$i.keys"
    chmod 0644 "$work/$i.keys"
    args+=(-o "tls.keylog_file:$work/$i.keys")
  fi
  local -a run=(env HOME="$WSK_HOME" TZ=UTC LANG=C.UTF-8 tshark "${args[@]}")
  if [ "$(id -u)" -eq 0 ]; then
    run=(setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH="$PATH" "${run[@]:1}")
  fi
  # stdout goes through a filter that keeps the first 50 marker lines and counts them all (it
  # reads to the end, so tshark never gets SIGPIPE).
  local rc t0 t1
  t0=$(date +%s%N)
  timeout -k 5 "$LIMIT" "${run[@]}" 2>"$work/$i.err" |
    awk -v cnt="$work/$i.ocount" -v re="$OUT_MARKERS" \
      '$0 ~ re { k++; if (k <= 50) print } END { print k + 0 > cnt }' >"$work/$i.out"
  rc=${PIPESTATUS[0]}
  t1=$(date +%s%N)
  local panics dbugs crits warns protos outhits
  read -r panics dbugs crits warns protos < <(awk "$CLASSIFY_AWK" "$work/$i.err")
  outhits="$(cat "$work/$i.ocount" 2>/dev/null || echo 0)"
  local kind=ok
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then kind=hang
  elif [ "$rc" -gt 128 ]; then kind=crash
  elif [ "$rc" -ne 0 ]; then kind=error
  fi
  # The category a kept input is named after: the most serious one seen.
  local tag=""
  if [ "$kind" = crash ] || [ "$kind" = hang ]; then tag="$kind"
  elif [ "$panics" -gt 0 ]; then tag=panic
  elif [ "$dbugs" -gt 0 ] || [ "$outhits" -gt 0 ]; then tag=dissector-bug
  elif [ "$crits" -gt 0 ]; then tag=critical
  elif [ "$warns" -gt 0 ]; then tag=warning
  fi
  if [ -n "$tag" ]; then
    local name="$tag-$i-$base"
    cp "$mut" "$keep/$name"
    [ -f "$work/$i.keys" ] && cp "$work/$i.keys" "$keep/$name.keys"
    local -a shown=("${args[@]}")
    shown[1]="$name"
    {
      echo "# from $cap: editcap -E $rate --seed $seed $cap $name"
      echo "# tshark exit $rc ($kind); panics $panics, dissector bugs $dbugs (+$outhits in output), critical $crits, warnings $warns"
      echo "# reproduce (as an unprivileged user whose HOME has the plugin, see scripts/lib/common.sh run_tshark):"
      echo "tshark ${shown[*]}"
      echo "# matched stderr lines:"
      awk -v show=1 "$CLASSIFY_AWK" "$work/$i.err" | head -n 50
      echo "# matched output lines (first 50 of $outhits):"
      cat "$work/$i.out"
      echo "# stderr (first 200 lines):"
      head -n 200 "$work/$i.err"
    } >"$keep/$name.txt"
  fi
  # Distinct messages, for the summary (process id, time and packet numbers removed).
  awk -v show=1 "$CLASSIFY_AWK" "$work/$i.err" |
    sed -E 's/\*\* \([^)]*\) [0-9:.]+ //; s/in packet [0-9]+/in packet N/' >"$work/msgs.$i"
  [ -s "$work/msgs.$i" ] || rm -f "$work/msgs.$i"
  printf '%s %s %s %s %s %s %s %s %s %s %s %s %s\n' "$i" "$base" "$rate" "$((i % 4))" "$rc" \
    "$kind" "$panics" "$dbugs" "$outhits" "$crits" "$warns" "$protos" "$(((t1 - t0) / 1000000))"
  rm -f "$mut" "$work/$i.err" "$work/$i.out" "$work/$i.ocount" "$work/$i.keys"
}
export -f one_run

say "fuzzing tshark ($what): $RUNS runs over ${#CAPS[@]} captures, rates $RATES, limit ${LIMIT}s, $JOBS in parallel"
start=$(date +%s)
seq 0 $((RUNS - 1)) | xargs -P "$JOBS" -I{} bash -c 'one_run {}' >"$work/results"
secs=$(($(date +%s) - start))
# Columns: run capture rate variant exit kind panics dbug-lines dbug-output crit-lines
#          warn-lines dbug-protocols ms
awk -v secs="$secs" '
  { runs++; kinds[$6]++; ms += $13; if ($13 > max) max = $13
    panics += $7; if ($7 > 0) prun++
    dbug += $8; dout += $9; if ($8 > 0 || $9 > 0) drun++
    crit += $10; if ($10 > 0) crun++
    warn += $11; if ($11 > 0) wrun++
    if ($6 == "crash" || $6 == "hang" || $7 + $8 + $9 + $10 + $11 > 0) bad++
    if ($12 != "-") { m = split($12, ps, ","); for (k = 1; k <= m; k++) { split(ps[k], pv, ":"); proto[pv[1]] += pv[2] } }
  }
  END {
    printf "runs %d in %ds (mean %.2fs, max %.1fs per run)\n", runs, secs, (runs ? ms / runs / 1000 : 0), max / 1000
    printf "crashes %d  hangs %d  other non-zero exits %d\n", kinds["crash"], kinds["hang"], kinds["error"]
    printf "contained panics %d (in %d runs)\n", panics, prun
    s = ""; for (p in proto) s = s (s == "" ? "" : ", ") p " " proto[p]
    printf "dissector bugs in %d runs (%d stderr lines, %d output lines)%s\n", drun, dbug, dout, (s == "" ? "" : "; by protocol: " s)
    printf "critical / assertion lines %d (in %d runs)\n", crit, crun
    printf "warning lines %d (in %d runs)\n", warn, wrun
    printf "failing runs %d of %d\n", bad, runs
  }' "$work/results"
find "$work" -name 'msgs.*' -exec cat {} + | sort | uniq -c | sort -rn >"$work/msgs"
if [ -s "$work/msgs" ]; then
  echo "distinct messages (count, category: message):"
  head -n 20 "$work/msgs"
fi
if [ -n "${FUZZ_TSHARK_RESULTS:-}" ]; then
  cp "$work/results" "$FUZZ_TSHARK_RESULTS"
fi
if awk '$6 == "crash" || $6 == "hang" || $7 + $8 + $9 + $10 + $11 > 0 { bad = 1 } END { exit !bad }' \
  "$work/results"; then
  echo "failing inputs kept in ${keep#"$ROOT"/}/" >&2
  exit 1
fi
