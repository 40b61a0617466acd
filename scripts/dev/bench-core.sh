#!/usr/bin/env bash
# Micro-benchmarks of the core (no Wireshark needed): unmasking throughput next to memcpy, and
# frame header scanning. See docs/bench.md.
#
#   scripts/dev/bench-core.sh [RUNS]     # default 9 runs per measurement
#
# Builds scripts/dev/bench-core/ (its own Cargo project, path dependency on the main crate) in
# release mode with WSK_NO_EPAN=1 (only the pure-Rust core), target dir .cache/bench/core-target.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CARGO_TARGET_DIR="${WSK_BENCH_CORE_TARGET:-$ROOT/.cache/bench/core-target}"
export WSK_NO_EPAN=1
(cd "$HERE/bench-core" && cargo build --release --quiet)
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, $(rustc --version)"
"$CARGO_TARGET_DIR/release/wsk-bench-core" "$@"
