#!/usr/bin/env bash
# Whole-plugin fuzzing under the real tshark: mutate the test captures with `editcap -E` and
# dissect each mutant with the plugin loaded.
#
#   scripts/fuzz-tshark.sh [RUNS] [SECONDS-PER-RUN]      (defaults: 300 runs, 20 s limit)
#
# Run i takes capture i mod N of tests/captures/*.pcap*, error rate 0.001 / 0.01 / 0.05 (cycling
# per round over the captures), editcap seed $FUZZ_SEED_BASE+i (default 1), and one of four
# variants: plain, -2, -V, and -2 -o tcp.try_heuristic_first:TRUE. wss captures get their key
# log. $JOBS runs go in parallel (default 2). The plugin is $WSK_PLUGIN, else a fresh release
# build. Counts: runs, crashes (killed by a signal), hangs (the time limit hit), other non-zero
# exits, and Rust panics the plugin contained ("ws-keepalive: panic contained in" on stderr).
# The mutant of every crash, hang or panic is kept in tests/fuzz/artifacts/tshark/ with the
# command line and stderr. Exit status 1 if any crash, hang or panic was seen.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
RUNS="${1:-300}"
LIMIT="${2:-20}"
JOBS="${JOBS:-2}"
SEED_BASE="${FUZZ_SEED_BASE:-1}"
so="${WSK_PLUGIN:-$(build_plugin)}"
make_test_home "$so"
work="$(mktemp -d "${TMPDIR:-/tmp}/wsk-fuzz.XXXXXX")"
keep="$ROOT/tests/fuzz/artifacts/tshark"
mkdir -p "$keep"
trap 'rm -rf "$work" "$WSK_HOME"' EXIT
chmod 0755 "$work"
mapfile -t CAPS < <(ls tests/captures/*.pcap*)
export ROOT WSK_HOME LIMIT work keep SEED_BASE
export CAPS_LIST="${CAPS[*]}"

one_run() {
  local i="$1"
  local -a caps
  read -r -a caps <<<"$CAPS_LIST"
  local n=${#caps[@]}
  local cap="${caps[$((i % n))]}"
  local rates=(0.001 0.01 0.05)
  local rate="${rates[$(((i / n) % 3))]}"
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
  local keys="${cap%%.*}.keys"
  if [ -f "$keys" ]; then
    cp "$keys" "$work/$i.keys"
    chmod 0644 "$work/$i.keys"
    args+=(-o "tls.keylog_file:$work/$i.keys")
  fi
  local rc=0 t0 t1
  t0=$(date +%s%N)
  if [ "$(id -u)" -eq 0 ]; then
    timeout -k 5 "$LIMIT" setpriv --reuid=nobody --regid=nogroup --clear-groups \
      env -i PATH="$PATH" HOME="$WSK_HOME" TZ=UTC LANG=C.UTF-8 tshark "${args[@]}" \
      >/dev/null 2>"$work/$i.err" || rc=$?
  else
    timeout -k 5 "$LIMIT" env HOME="$WSK_HOME" TZ=UTC LANG=C.UTF-8 tshark "${args[@]}" \
      >/dev/null 2>"$work/$i.err" || rc=$?
  fi
  t1=$(date +%s%N)
  local panics; panics="$(grep -c 'ws-keepalive: panic contained in' "$work/$i.err" || true)"
  local kind=ok
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then kind=hang
  elif [ "$rc" -gt 128 ]; then kind=crash
  elif [ "$rc" -ne 0 ]; then kind=error
  fi
  if [ "$kind" != ok ] && [ "$kind" != error ] || [ "$panics" -gt 0 ]; then
    cp "$mut" "$keep/$kind-$i-$base"
    { echo "tshark ${args[*]}  # from $cap, editcap -E $rate --seed $seed, exit $rc"; cat "$work/$i.err"; } \
      >"$keep/$kind-$i-$base.txt"
  fi
  printf '%s %s %s %s %s %s %s %s\n' "$i" "$base" "$rate" "$((i % 4))" "$rc" "$kind" "$panics" \
    "$(((t1 - t0) / 1000000))"
  rm -f "$mut" "$work/$i.err" "$work/$i.keys"
}
export -f one_run

say "fuzzing tshark: $RUNS runs over ${#CAPS[@]} captures, limit ${LIMIT}s, $JOBS in parallel"
start=$(date +%s)
seq 0 $((RUNS - 1)) | xargs -P "$JOBS" -I{} bash -c 'one_run {}' >"$work/results"
secs=$(($(date +%s) - start))
awk -v secs="$secs" '
  { runs++; kinds[$6]++; panics += $7; if ($7 > 0) prun++; ms += $8; if ($8 > max) max = $8 }
  END {
    printf "runs %d in %ds (mean %.2fs, max %.1fs per run)\n", runs, secs, ms / runs / 1000, max / 1000
    printf "crashes %d  hangs %d  other non-zero exits %d  contained panics %d (in %d runs)\n",
      kinds["crash"], kinds["hang"], kinds["error"], panics, prun
  }' "$work/results"
[ -n "${FUZZ_TSHARK_RESULTS:-}" ] && cp "$work/results" "$FUZZ_TSHARK_RESULTS"
if awk '$6 == "crash" || $6 == "hang" || $7 > 0 { bad = 1 } END { exit !bad }' "$work/results"; then
  echo "kept in tests/fuzz/artifacts/tshark/" >&2
  exit 1
fi
