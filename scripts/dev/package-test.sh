#!/usr/bin/env bash
# Install the release tarball the way a user would, check that Wireshark loads it and that it
# dissects the sample capture, then uninstall it and check that it is gone.
#
#   scripts/dev/package-test.sh [--tarball FILE] [host] [trixie] [sid]     (default: host)
#
# host: unpacks into a temporary directory and runs install.sh as the unprivileged user "nobody"
#   with a temporary HOME (the personal plugin folder; root's is ignored by Wireshark), then
#   --uninstall; and checks that a Wireshark with no matching .so (a stand-in tshark saying 4.2)
#   gets the message naming the tarball's versions. The host's global plugin folder is never
#   touched (other tests on this machine rely on a plugin-less tshark).
# trixie, sid: the same inside scripts/dev/compat.sh's cached chroot of that release (Wireshark 4.4,
#   4.6; needs root), as root with --system (the chroot's global plugin folder) and as "nobody"
#   into its personal folder.
# Prints one line per check and exits non-zero unless all pass.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

tarball=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tarball) tarball="$2"; shift ;;
    host | trixie | sid) targets+=("$1") ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#targets[@]} -gt 0 ] || targets=(host)
if [ -z "$tarball" ]; then
  tarball="$(ls -t "$ROOT"/dist/ws-keepalive-*-linux-x86_64.tar.gz 2>/dev/null | head -n1 || true)"
  [ -n "$tarball" ] || { echo "no dist/ws-keepalive-*-linux-x86_64.tar.gz: run scripts/package.sh" >&2; exit 1; }
fi
tarball="$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")"
top="$(basename "$tarball" .tar.gz)"
CACHE="${WSK_COMPAT_CACHE:-$ROOT/.cache/compat}"

FAILED=0
check() { # description, then a command; prints ok/FAIL
  local what="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then
    printf '  ok    %s\n' "$what"
  else
    printf '  FAIL  %s\n%s\n' "$what" "$(printf '%s\n' "$out" | sed 's/^/        /' | tail -n 15)"
    FAILED=1
  fi
}

# The checks, run by a POSIX shell inside the target (host or chroot). $1: the unpacked tarball,
# $2: a readable copy of the sample capture, $3: "user" (as nobody, personal folder) or "system".
SCENARIO='
set -eu
dir=$1 cap=$2 mode=$3
opt=""; [ "$mode" = system ] && opt=--system
run() { if [ "$mode" = user ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$HOME_U" "$@"; else "$@"; fi; }
case "$4" in
install)
  run sh "$dir/install.sh" $opt ;;
listed)
  run tshark -G plugins | grep -q "ws_keepalive\.so" ;;
dissects)
  got=$(run tshark -r "$cap" -Y ws.msg.text -T fields -e ws.dir -e ws.msg.index -e ws.msg.text | head -n 2)
  want=$(printf "client\t1\thello\nserver\t1\thello")
  [ "$got" = "$want" ] || { echo "got: $got"; exit 1; } ;;
profile)
  run tshark -C ws-keepalive -r "$cap" -c 1 >/dev/null ;;
uninstall)
  run sh "$dir/install.sh" $opt --uninstall ;;
gone)
  if run tshark -G plugins | grep -q "ws_keepalive\.so"; then echo "still listed"; exit 1; fi
  p=$(run tshark -G folders | sed -n "s/^$( [ "$mode" = system ] && echo Global || echo Personal ) Plugins:[[:space:]]*//p")
  [ ! -e "$p/epan/ws_keepalive.so" ] || { echo "$p/epan/ws_keepalive.so is still there"; exit 1; } ;;
esac
'

# Run the scenario step in the target. Args: target root ("" for host), step, mode.
step() {
  local root="$1" st="$2" mode="$3" dir=/tmp/wsk-pkg/"$top" cap=/tmp/wsk-pkg/py_basic.pcapng
  local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
    HOME_U=/tmp/wsk-pkg/home LANG=C.UTF-8 TZ=UTC)
  if [ -z "$root" ]; then
    env -i "${envs[@]}" sh -c "$SCENARIO" sh "$dir" "$cap" "$mode" "$st"
  else
    chroot "$root" env -i "${envs[@]}" sh -c "$SCENARIO" sh "$dir" "$cap" "$mode" "$st"
  fi
}

prepare() { # target root ("" for host): unpack into <root>/tmp/wsk-pkg
  local base="$1/tmp/wsk-pkg"
  rm -rf "$base"
  mkdir -p "$base/home"
  tar -C "$base" -xzf "$tarball"
  install -m 0644 "$ROOT/tests/captures/py_basic.pcapng" "$base/py_basic.pcapng"
  chown -R nobody:nogroup "$base/home"
  chmod -R a+rX "$base"
}

scenario() { # label root mode
  local label="$1" root="$2" mode="$3" who
  [ "$mode" = user ] && who="as nobody, personal folder" || who="as root, --system"
  check "$label: install.sh ($who)" step "$root" install "$mode"
  check "$label: tshark -G plugins lists ws_keepalive.so" step "$root" listed "$mode"
  check "$label: the sample capture dissects (Client.1/Server.1 hello)" step "$root" dissects "$mode"
  check "$label: tshark -C ws-keepalive finds the profile" step "$root" profile "$mode"
  check "$label: install.sh --uninstall" step "$root" uninstall "$mode"
  check "$label: gone from tshark -G plugins and the folder" step "$root" gone "$mode"
}

# A Wireshark the tarball has no plugin for: a stand-in tshark that says it is 4.2.
unsupported() { # root
  local root="$1" base="$1/tmp/wsk-pkg"
  mkdir -p "$base/fake"
  printf '#!/bin/sh\n[ "$1" = --version ] && echo "TShark (Wireshark) 4.2.2 (Git v4.2.2 packaged as 4.2.2-1)."\n[ "$1" = -G ] && printf "Personal Plugins:\\t/tmp/wsk-pkg/home/p/4.2\\nPersonal configuration:\\t/tmp/wsk-pkg/home/c\\n"\nexit 0\n' >"$base/fake/tshark"
  chmod 0755 "$base/fake/tshark"
  local out rc=0
  out="$(env -i PATH=/usr/bin:/bin HOME=/tmp/wsk-pkg/home sh "$base/$top/install.sh" --tshark "$base/fake/tshark" 2>&1)" || rc=$?
  if [ "$rc" -ne 0 ] && grep -q "has the plugin for Wireshark 4.0, 4.4, 4.6; your tshark is Wireshark 4.2" <<<"$out" &&
    grep -q "scripts/run.sh" <<<"$out" && [ ! -e "$base/home/p" ]; then
    printf '  ok    %s\n' "host: Wireshark 4.2 gets: $(head -n1 <<<"$out")"
  else
    printf '  FAIL  %s\n%s\n' "host: Wireshark 4.2 (no matching .so)" "$out"
    FAILED=1
  fi
}

MOUNTS=()
cleanup() {
  local m
  for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT

say "testing $(basename "$tarball")"
for t in "${targets[@]}"; do
  case "$t" in
    host)
      command -v tshark >/dev/null || { echo "tshark not found" >&2; exit 1; }
      [ "$(id -u)" -eq 0 ] || { echo "package-test.sh runs install.sh as nobody: needs root" >&2; exit 1; }
      prepare ""
      scenario "host $(ws_version)" "" user
      unsupported ""
      rm -rf /tmp/wsk-pkg
      ;;
    trixie | sid)
      root="$CACHE/$t/chroot"
      [ -x "$root/usr/bin/tshark" ] || { echo "$t: no chroot in $CACHE (scripts/dev/compat.sh $t makes it)" >&2; FAILED=1; continue; }
      mountpoint -q "$root/proc" || { mount -t proc proc "$root/proc"; MOUNTS+=("$root/proc"); }
      v="$(chroot "$root" tshark --version 2>/dev/null | sed -n '1s/^[^0-9]*\([0-9]*\.[0-9]*\)\..*/\1/p')"
      prepare "$root"
      scenario "$t $v" "$root" system
      scenario "$t $v" "$root" user
      rm -rf "$root/tmp/wsk-pkg"
      ;;
  esac
done
if [ "$FAILED" -ne 0 ]; then
  echo "package test FAILED" >&2
  exit 1
fi
say "package test passed (${targets[*]})"
