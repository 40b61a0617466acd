#!/usr/bin/env bash
# Run every test: the pure-Rust core's unit tests and the golden tests that run the real tshark
# with the freshly built plugin (as user "nobody" from a temporary HOME when run as root).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
ensure_deps
cd "$ROOT"
say "formatting and lints"
cargo fmt --all -- --check
cargo clippy --release --quiet --all-targets -- -D warnings
so="$(build_plugin)"
# The same source must keep building for Wireshark 4.4 and 4.6 (headers from Debian trixie/sid);
# the full run with each version's tshark is scripts/dev/compat.sh (see docs/compat.md).
if [ "${WSK_SKIP_COMPAT_BUILD:-0}" != 1 ]; then
  say "building against the Wireshark 4.4 and 4.6 headers"
  "$ROOT/scripts/dev/compat.sh" --build-only
fi
say "unit and golden tests (plugin: ${so#"$ROOT"/})"
WSK_PLUGIN="$so" WSK_REQUIRE_TSHARK=1 cargo test --release --quiet "$@"

# The release tarball (4.0, 4.4, 4.6, as just built), installed and uninstalled as a user would.
if [ "${WSK_SKIP_COMPAT_BUILD:-0}" != 1 ]; then
  say "release tarball: build, install, uninstall (host)"
  WSK_PACKAGE_SKIP_BUILD=1 "$ROOT/scripts/package.sh" >/dev/null
  "$ROOT/scripts/dev/package-test.sh" host
fi

# Robustness in CI: a short whole-plugin fuzz under tshark and a memory-checked subset (the long
# runs and their numbers: docs/robustness.md).
if [ "${WSK_SKIP_ROBUSTNESS:-0}" != 1 ]; then
  say "short fuzz: 100 mutated captures through tshark"
  WSK_PLUGIN="$so" "$ROOT/scripts/dev/fuzz-tshark.sh" 100
  say "memcheck subset"
  WSK_PLUGIN="$so" "$ROOT/scripts/dev/memcheck.sh" tests/captures/ka_unanswered.pcapng tests/captures/m_deflate_node_frag.pcapng
fi

# The benchmark's own code paths on a tiny committed capture (no timing targets: the numbers come
# from `sudo scripts/dev/bench.sh` on its own captures, docs/bench.md).
say "bench smoke: scripts/dev/bench.sh on a small capture, one round"
WSK_BENCH_SO="$so" "$ROOT/scripts/dev/bench.sh" smoke >/dev/null
