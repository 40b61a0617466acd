#!/usr/bin/env bash
# Install the built plugin into the personal plugin folder of the local Wireshark:
#   ~/.local/lib/wireshark/plugins/<major.minor>/epan/ws_keepalive.so
# Usage: scripts/install.sh [--home DIR]   (default: $HOME)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
home="$HOME"
[ "${1:-}" = "--home" ] && home="$2"
ver="$(ws_version)"
so="$ROOT/dist/$ver/epan/ws_keepalive.so"
[ -f "$so" ] || so="$(build_plugin)"
dest="$home/.local/lib/wireshark/plugins/$ver/epan"
mkdir -p "$dest"
install -m 0644 "$so" "$dest/ws_keepalive.so"
say "installed $dest/ws_keepalive.so (Wireshark $ver)"
# The column profile (select it in the GUI, or `tshark -C ws-keepalive`).
profiles="$home/.config/wireshark/profiles"
mkdir -p "$profiles"
cp -r "$ROOT/plugin/profiles/ws-keepalive" "$profiles/"
say "installed the configuration profile $profiles/ws-keepalive"
