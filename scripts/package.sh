#!/usr/bin/env bash
# Build the release tarball: the plugin for Wireshark 4.0 (this machine), 4.4 and 4.6 (the compat
# builds against Debian trixie's and sid's headers), stripped, with the profile, the POSIX-sh
# installer (plugin/install.sh), the README, the licence and SHA256SUMS.
#
#   scripts/package.sh            # -> dist/ws-keepalive-<version>-linux-x86_64.tar.gz
#
# The debug info of each stripped .so is kept beside the tarball, in
# dist/ws-keepalive-<version>-linux-x86_64-debug.tar.gz (plugins/<v>/epan/ws_keepalive.so.debug;
# each .so names its file with a GNU debuglink). The tarball is reproducible: sorted names, owner
# 0, the last commit's time as mtime, gzip -n. Environment: WSK_PACKAGE_SKIP_BUILD=1 packs the
# .so files already in dist/<v>/epan/ (e.g. right after scripts/test.sh built them).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$ROOT"

VERSIONS=(4.0 4.4 4.6)
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
name="ws-keepalive-$version-linux-x86_64"

if [ "${WSK_PACKAGE_SKIP_BUILD:-0}" != 1 ]; then
  [ "$(ws_version)" = 4.0 ] || { echo "package.sh: this machine's Wireshark is $(ws_version), not 4.0" >&2; exit 1; }
  build_plugin >/dev/null
  "$ROOT/scripts/dev/compat.sh" --build-only
fi
for v in "${VERSIONS[@]}"; do
  [ -f "dist/$v/epan/ws_keepalive.so" ] || { echo "package.sh: dist/$v/epan/ws_keepalive.so missing" >&2; exit 1; }
done

stage="$(mktemp -d "${TMPDIR:-/tmp}/wsk-package.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
top="$stage/$name"
dbg="$stage/$name-debug"
for v in "${VERSIONS[@]}"; do
  mkdir -p "$top/plugins/$v/epan" "$dbg/plugins/$v/epan"
  so="$top/plugins/$v/epan/ws_keepalive.so"
  debug="$dbg/plugins/$v/epan/ws_keepalive.so.debug"
  objcopy --only-keep-debug "dist/$v/epan/ws_keepalive.so" "$debug"
  objcopy --strip-debug --strip-unneeded "dist/$v/epan/ws_keepalive.so" "$so"
  (cd "$(dirname "$debug")" && objcopy --add-gnu-debuglink=ws_keepalive.so.debug "$so")
  chmod 0644 "$so" "$debug"
  say "$v: $(stat -c %s "dist/$v/epan/ws_keepalive.so") bytes -> $(stat -c %s "$so") stripped"
done
mkdir -p "$top/profiles"
cp -r plugin/profiles/ws-keepalive "$top/profiles/"
install -m 0755 plugin/install.sh "$top/install.sh"
install -m 0644 README.md "$top/README.md"
install -m 0644 COPYING "$top/COPYING"
(cd "$top" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)

mtime="@$(git log -1 --format=%ct 2>/dev/null || date +%s)"
pack() { # dir-name output
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" \
    --mode='u+rwX,go+rX,go-w' -cf - "$1" | gzip -9n >"$2"
}
mkdir -p dist
pack "$name" "dist/$name.tar.gz"
pack "$name-debug" "dist/$name-debug.tar.gz"
say "wrote dist/$name.tar.gz ($(stat -c %s "dist/$name.tar.gz") bytes) and dist/$name-debug.tar.gz"
echo "$ROOT/dist/$name.tar.gz"
