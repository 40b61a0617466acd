#!/usr/bin/env bash
# Fuzz the pure-Rust core with cargo-fuzz (libFuzzer), one target at a time.
#
#   scripts/dev/fuzz-core.sh [SECONDS] [TARGET...]   run each target SECONDS (default 60)
#   scripts/dev/fuzz-core.sh --seed                  rebuild tests/fuzz/corpus/* from tests/captures
#
# Works on stable Rust: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly-only flags, and
# `-s none` skips the sanitizer (ASan needs nightly's std). The core is built without Wireshark
# (WSK_NO_EPAN=1). Each run starts from a scratch copy of the committed corpus, so the
# committed seeds never grow; crashes are kept in tests/fuzz/artifacts/<target>/.
# Prints executions, exec/s, new corpus entries and crashes per target.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
export RUSTC_BOOTSTRAP=1 WSK_NO_EPAN=1
FUZZ=tests/fuzz
TARGETS=(frame message deflate handshake midstream keepalive)

if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz"
  cargo install cargo-fuzz
fi
say "building the fuzz targets (no sanitizer)"
cargo fuzz build -s none --fuzz-dir "$FUZZ" >&2

if [ "${1:-}" = "--seed" ]; then
  raw="$(mktemp -d)"
  trap 'rm -rf "$raw"' EXIT
  for c in tests/captures/*.pcap*; do
    tshark -r "$c" -T fields -e tcp.stream -e ip.src -e tcp.srcport -e tcp.seq_raw \
      -e tcp.ack_raw -e tcp.flags -e tcp.len -e frame.time_epoch -e tcp.payload \
      >"$raw/$(basename "$c").tsv" 2>/dev/null
  done
  python3 scripts/dev/fuzz_seeds.py "$raw/seeds" "$raw"/*.tsv
  for t in "${TARGETS[@]}"; do
    rm -rf "$FUZZ/corpus/$t"
    mkdir -p "$FUZZ/corpus/$t"
    cargo fuzz cmin -s none --fuzz-dir "$FUZZ" "$t" "$raw/seeds/$t" -- -max_len=65536 >/dev/null 2>&1 || true
    cp "$raw/seeds/$t"/* "$FUZZ/corpus/$t/"
    echo "$t: $(ls "$FUZZ/corpus/$t" | wc -l) seeds, $(du -sk "$FUZZ/corpus/$t" | cut -f1) kB"
  done
  exit 0
fi

secs="${1:-60}"
shift || true
[ $# -gt 0 ] && TARGETS=("$@")
bin_dir="$(ls -d "$FUZZ"/target/*/release | head -1)"
printf '%-10s %12s %10s %8s %8s\n' target executions exec/s corpus+ crashes
total_crashes=0
for t in "${TARGETS[@]}"; do
  work="$(mktemp -d)"
  mkdir -p "$work/corpus" "$FUZZ/artifacts/$t"
  cp "$FUZZ/corpus/$t"/* "$work/corpus/" 2>/dev/null || true
  before="$(ls "$work/corpus" | wc -l)"
  crashes_before="$(ls "$FUZZ/artifacts/$t" | wc -l)"
  # -fork=1 keeps going after a crash (each crash is written to the artifact dir).
  case "$t" in
    frame) max_len=64 ;;
    deflate) max_len=65536 ;;
    *) max_len=16384 ;;
  esac
  "$bin_dir/$t" "$work/corpus" -max_total_time="$secs" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$FUZZ/artifacts/$t/" \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 >"$work/log" 2>&1 || true
  # Fork mode's progress lines start with "#<total executions>:"; the last one is the total.
  execs="$(grep -o '^#[0-9]*' "$work/log" | tr -d '#' | tail -1 || true)"
  execs="${execs:-0}"
  crashes=$(( $(ls "$FUZZ/artifacts/$t" | wc -l) - crashes_before ))
  total_crashes=$((total_crashes + crashes))
  added=$(( $(ls "$work/corpus" | wc -l) - before ))
  printf '%-10s %12s %10s %8s %8s\n' "$t" "$execs" "$((execs / (secs > 0 ? secs : 1)))" "$added" "$crashes"
  [ -n "${FUZZ_KEEP_LOGS:-}" ] && cp "$work/log" "$FUZZ_KEEP_LOGS/$t.log"
  rm -rf "$work"
done
[ "$total_crashes" -eq 0 ] || { echo "crashes: see $FUZZ/artifacts/" >&2; exit 1; }
