#!/usr/bin/env bash
# Run every test: the pure-Rust core's unit tests and the golden tests that run the real tshark
# with the freshly built plugin (as user "nobody" from a temporary HOME when run as root).
set -euo pipefail
source "$(dirname "$0")/common.sh"
ensure_deps
cd "$ROOT"
say "formatting and lints"
cargo fmt --all -- --check
cargo clippy --release --quiet --all-targets -- -D warnings
so="$(build_plugin)"
say "unit and golden tests (plugin: ${so#"$ROOT"/})"
WSK_PLUGIN="$so" WSK_REQUIRE_TSHARK=1 cargo test --release --quiet "$@"
