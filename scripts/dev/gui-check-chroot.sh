#!/usr/bin/env bash
# GUI check on Wireshark 4.4 and 4.6: runs the Wireshark (Qt) of scripts/dev/compat.sh's cached
# Debian chroots (trixie: 4.4, sid: 4.6) under an Xvfb of this machine, with the plugin built for
# that version and the ws-keepalive profile, on tests/captures/ka_gui.pcapng, and saves:
#   docs/gui-follow-menu-<v>.png   Analyze > Follow with a WebSocket frame selected
#   docs/gui-follow-ws-<v>.png     the "WS Stream" it offers, opened (the `ws` follower)
#   docs/gui-follow-context-<v>.png  the packet list's context menu > Follow on that frame
#   docs/gui-io-rtt-<v>.png        the profile's keep-alive RTT I/O graph preset
#
#   sudo scripts/dev/gui-check-chroot.sh [trixie] [sid]      (default: both)
#
# Needs root (chroot, mounts) and the chroots of `scripts/dev/compat.sh` (which also builds
# dist/<v>/epan/ws_keepalive.so); installs the release's `wireshark` package into a chroot that
# lacks it. Wireshark runs there as "nobody" with a temporary HOME; the menus are clicked at fixed
# coordinates of the 1600x1000 window (the layout of 4.4 and 4.6). Output dir: $WSK_SHOTS.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
rels=("$@")
[ ${#rels[@]} -gt 0 ] || rels=(trixie sid)
out="${WSK_SHOTS:-$ROOT/docs}"
CACHE="${WSK_COMPAT_CACHE:-$ROOT/.cache/compat}"
W=1600
H=1000
[ "$(id -u)" -eq 0 ] || { echo "gui-check-chroot.sh needs root (chroot)" >&2; exit 1; }
for p in xvfb xdotool imagemagick; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || {
    say "installing $p"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
  }
done

MOUNTS=()
XVFB=""
WS=""
unmount_all() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true
  done
  MOUNTS=()
}
cleanup() {
  [ -n "$WS" ] && kill "$WS" 2>/dev/null
  [ -n "$XVFB" ] && kill "$XVFB" 2>/dev/null
  wait 2>/dev/null || true
  unmount_all
}
trap cleanup EXIT
mount_once() { # what target [type]
  mountpoint -q "$2" && return 0
  mkdir -p "$2"
  if [ -n "${3:-}" ]; then mount -t "$3" "$1" "$2"; else mount --bind "$1" "$2"; fi
  MOUNTS+=("$2")
}

d=79
while [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ]; do d=$((d + 1)); done
export DISPLAY=":$d"
Xvfb "$DISPLAY" -screen 0 "${W}x${H}x24" -ac -nolisten tcp >/dev/null 2>&1 &
XVFB=$!
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$d" ] && break; sleep 0.1; done
mkdir -p "$out"

for rel in "${rels[@]}"; do
  c="$CACHE/$rel/chroot"
  [ -x "$c/usr/bin/tshark" ] || { echo "$rel: no chroot in $CACHE (run scripts/dev/compat.sh $rel)" >&2; exit 1; }
  mount_once proc "$c/proc" proc
  mount_once /dev "$c/dev"
  mount_once /tmp/.X11-unix "$c/tmp/.X11-unix"
  if [ ! -x "$c/usr/bin/wireshark" ]; then
    say "$rel: installing wireshark (Qt) in the chroot"
    echo "wireshark-common wireshark-common/install-setuid boolean false" | chroot "$c" debconf-set-selections
    chroot "$c" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false update -qq
    chroot "$c" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      wireshark fonts-dejavu-core >/dev/null
    chroot "$c" apt-get clean
  fi
  v="$(chroot "$c" tshark --version 2>/dev/null | sed -n '1s/^[^0-9]*\([0-9]*\.[0-9]*\)\..*/\1/p')"
  so="$ROOT/dist/$v/epan/ws_keepalive.so"
  [ -f "$so" ] || { echo "$rel: $so missing (scripts/dev/compat.sh --build-only)" >&2; exit 1; }
  home=/tmp/wsk-gui-home
  rm -rf "$c$home"
  mkdir -p "$c$home/.local/lib/wireshark/plugins/$v/epan" "$c$home/.config/wireshark/profiles"
  install -m 0644 "$so" "$c$home/.local/lib/wireshark/plugins/$v/epan/ws_keepalive.so"
  cp -r "$ROOT/plugin/profiles/ws-keepalive" "$c$home/.config/wireshark/profiles/"
  install -m 0644 "$ROOT/tests/captures/ka_gui.pcapng" "$c$home/ka_gui.pcapng"
  chown -R nobody:nogroup "$c$home"

  start() { # wireshark args...
    chroot "$c" setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH=/usr/bin:/bin \
      HOME="$home" DISPLAY="$DISPLAY" LANG=C.UTF-8 TZ=UTC wireshark -C ws-keepalive \
      -r "$home/ka_gui.pcapng" -g 8 -o gui.layout_type:1 "$@" >/dev/null 2>&1 &
    WS=$!
    local win=""
    for _ in $(seq 120); do
      win=$(xdotool search --onlyvisible --name "^ka_gui.pcapng" 2>/dev/null | head -1 || true)
      [ -n "$win" ] && break
      sleep 0.5
    done
    [ -n "$win" ] || { echo "$rel: no Wireshark window appeared" >&2; exit 1; }
    xdotool windowmove "$win" 0 0 windowsize "$win" "$W" "$H"
    sleep 2
  }
  stop() { kill "$WS" 2>/dev/null; wait "$WS" 2>/dev/null || true; WS=""; }
  enlarge() { # window title pattern
    local w=""
    for _ in $(seq 60); do
      w=$(xdotool search --onlyvisible --name "$1" 2>/dev/null | tail -1 || true)
      [ -n "$w" ] && break
      sleep 0.5
    done
    [ -n "$w" ] || { echo "$rel: no '$1' window" >&2; exit 1; }
    xdotool windowmove "$w" 40 40 windowsize "$w" $((W - 80)) $((H - 80))
    sleep 3
  }
  # Analyze > Follow; the WS Stream entry's row differs: 4.6 lists more followers.
  follow_menu() {
    xdotool mousemove 242 9 click 1 sleep 0.8 mousemove 260 277 sleep 0.3 mousemove 265 278 click 1
    sleep 1.5
  }
  ws_row=475
  [ "$v" = 4.6 ] && ws_row=563

  say "$rel: Wireshark $v, Analyze > Follow"
  start
  follow_menu
  import -window root "$out/gui-follow-menu-$v.png"
  say "saved ${out#"$ROOT"/}/gui-follow-menu-$v.png"
  xdotool mousemove 600 278 sleep 0.3 mousemove 605 "$ws_row" sleep 0.3 click 1
  enlarge "Follow WS Stream"
  import -window root "$out/gui-follow-ws-$v.png"
  say "saved ${out#"$ROOT"/}/gui-follow-ws-$v.png"
  stop

  say "$rel: Wireshark $v, the packet list's context menu > Follow"
  start
  xdotool mousemove 600 182 click 3 sleep 1.2 mousemove 650 438 sleep 0.3 mousemove 655 439 click 1
  sleep 1.5
  import -window root "$out/gui-follow-context-$v.png"
  say "saved ${out#"$ROOT"/}/gui-follow-context-$v.png"
  stop

  say "$rel: Wireshark $v, the keep-alive RTT I/O graph preset"
  start -z io,stat
  enlarge "· I/O Graphs ·"
  import -window root "$out/gui-io-rtt-$v.png"
  say "saved ${out#"$ROOT"/}/gui-io-rtt-$v.png"
  stop
  rm -rf "${c:?}$home"
  unmount_all
done
