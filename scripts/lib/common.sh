# Shared helpers for the scripts (sourced, not run).
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ROOT

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# apt_install PKG...: install Debian packages (sudo when not root; no setuid dumpcap question).
apt_install() {
  local sudo=()
  say "installing: $*"
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo[@]}" debconf-set-selections
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Install the Debian packages the build and the tests need, when missing.
ensure_deps() {
  local pkgs=(tshark libwireshark-dev wireshark-dev libclang-dev clang pkg-config libglib2.0-dev zlib1g-dev valgrind debootstrap)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
  if ! command -v cargo >/dev/null; then
    echo "cargo not found: install Rust with rustup (https://rustup.rs), then run this again" >&2
    exit 1
  fi
}

ws_version() { pkg-config --modversion wireshark | cut -d. -f1,2; }

# Build the release plugin; prints the path of the .so in dist/<major.minor>/epan/.
build_plugin() {
  local ver; ver="$(ws_version)"
  say "building the plugin for Wireshark $ver"
  (cd "$ROOT" && cargo build --release --quiet)
  local target="${CARGO_TARGET_DIR:-$ROOT/target}"
  mkdir -p "$ROOT/dist/$ver/epan"
  install -m 0755 "$target/release/libws_keepalive.so" "$ROOT/dist/$ver/epan/ws_keepalive.so"
  echo "$ROOT/dist/$ver/epan/ws_keepalive.so"
}

# Run tshark so that it loads personal plugins: Wireshark ignores them for root, so as root it
# runs as the unprivileged user "nobody" with HOME=$WSK_HOME. Usage: run_tshark ARGS...
run_tshark() {
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH="$PATH" HOME="$WSK_HOME" TZ=UTC LANG=C.UTF-8 tshark "$@"
  else
    env HOME="$WSK_HOME" TZ=UTC LANG=C.UTF-8 tshark "$@"
  fi
}

# A throw-away HOME with the plugin installed (readable by "nobody" when we are root).
make_test_home() {
  local so="$1" ver; ver="$(ws_version)"
  WSK_HOME="$(mktemp -d "${TMPDIR:-/tmp}/wsk-home.XXXXXX")"
  mkdir -p "$WSK_HOME/.local/lib/wireshark/plugins/$ver/epan"
  install -m 0644 "$so" "$WSK_HOME/.local/lib/wireshark/plugins/$ver/epan/ws_keepalive.so"
  mkdir -p "$WSK_HOME/.config/wireshark/profiles"
  cp -r "$ROOT/plugin/profiles/ws-keepalive" "$WSK_HOME/.config/wireshark/profiles/"
  chmod -R a+rX "$WSK_HOME"
  [ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$WSK_HOME"
  export WSK_HOME
}

# Install the Node peers' dependencies (scripts/captures/peers/package-lock.json) when missing.
need_node_peers() {
  command -v "${WSK_NODE:-node}" >/dev/null || { echo "node not found" >&2; return 1; }
  if [ ! -f "$ROOT/scripts/captures/peers/node_modules/ws/package.json" ]; then
    say "installing node peer dependencies (npm ci)"
    (cd "$ROOT/scripts/captures/peers" && npm ci --no-audit --no-fund >&2)
  fi
}
