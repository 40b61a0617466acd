#!/usr/bin/env bash
# GUI check: runs Wireshark (Qt) with the plugin and the shipped profile under Xvfb and saves
# screenshots of the packet list (the profile's columns), the expanded WebSocket tree and the
# "Unmasked payload" bytes tab of a masked client frame:
#   docs/gui-packet-list.png  docs/gui-tree.png  docs/gui-unmasked-tab.png
# and, on tests/captures/ka_gui.pcapng (24 s of pings, messages, TCP keep-alive probes), the
# profile's I/O graph presets, Statistics > WebSocket > Connections, Statistics > Conversations and
# Endpoints, and the Analyze > Follow menu:
#   docs/gui-io-rtt.png  docs/gui-io-messages.png  docs/gui-io-bytes.png  docs/gui-ws-connections.png
#   docs/gui-conversations.png  docs/gui-endpoints.png  docs/gui-follow-menu.png
#
#   scripts/dev/gui-check.sh [CAPTURE [FRAME]]      # default: tests/captures/py_basic.pcapng, frame 12
#
# Installs wireshark-qt, xvfb, xdotool and imagemagick when missing (Debian). Wireshark runs as
# the unprivileged user "nobody" when we are root (personal plugins are ignored for root), with a
# temporary HOME holding the plugin (dist/, target/ or $WSK_PLUGIN; built when absent) and the
# profile plugin/profiles/ws-keepalive, selected with `-C ws-keepalive`. The window is 1600x1000;
# the tab and the menus are clicked at fixed coordinates (Wireshark 4.0's default layout in that
# window); the menu items are then reached with the keyboard.
# Output dir: $WSK_SHOTS (default docs/).
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
capture="${1:-$ROOT/tests/captures/py_basic.pcapng}"
frame="${2:-12}"
out="${WSK_SHOTS:-$ROOT/docs}"
W=1600
H=1000
start=$(date +%s)

need=()
for p in wireshark-qt xvfb xdotool imagemagick; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  say "installing: ${need[*]}"
  sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo[@]}" debconf-set-selections
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

so="${WSK_PLUGIN:-}"
if [ -z "$so" ]; then
  for c in "$ROOT/dist/$(ws_version)/epan/ws_keepalive.so" "${CARGO_TARGET_DIR:-$ROOT/target}/release/libws_keepalive.so"; do
    [ -f "$c" ] && { so="$c"; break; }
  done
fi
[ -n "$so" ] || so="$(build_plugin)"
make_test_home "$so"
install -m 0644 "$capture" "$WSK_HOME/$(basename "$capture")"
cap="$WSK_HOME/$(basename "$capture")"
[ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$WSK_HOME"

# A free display number.
d=77
while [ -e "/tmp/.X11-unix/X$d" ] || [ -e "/tmp/.X$d-lock" ]; do d=$((d + 1)); done
export DISPLAY=":$d"
Xvfb "$DISPLAY" -screen 0 "${W}x${H}x24" -ac -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
ws=""
cleanup() {
  [ -n "$ws" ] && kill "$ws" 2>/dev/null
  kill "$xvfb" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$WSK_HOME"
}
trap cleanup EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$d" ] && break; sleep 0.1; done

as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
say "starting Wireshark on $DISPLAY: $(basename "$capture"), filter ws, frame $frame"
"${as_user[@]}" env -i PATH="$PATH" HOME="$WSK_HOME" DISPLAY="$DISPLAY" LANG=C.UTF-8 TZ=UTC \
  wireshark -r "$cap" -C ws-keepalive -Y ws -g "$frame" -o gui.layout_type:1 >/dev/null 2>&1 &
ws=$!
win=""
for _ in $(seq 120); do
  win=$(xdotool search --onlyvisible --name "$(basename "$capture")" 2>/dev/null | head -1 || true)
  [ -n "$win" ] && break
  sleep 0.5
done
[ -n "$win" ] || { echo "gui-check: no Wireshark window appeared" >&2; exit 1; }
xdotool windowmove "$win" 0 0 windowsize "$win" "$W" "$H"
sleep 3
mkdir -p "$out"
shot() { import -window root "$out/$1"; say "saved ${out#"$ROOT"/}/$1"; }
shot gui-packet-list.png

# Make the details pane tall: drag the splitter above the bytes pane down and the one below the
# packet list up (positions of Wireshark's default layout in a 1600x1000 window).
drag() { xdotool mousemove 800 "$1" mousedown 1 sleep 0.3 mousemove 800 $(( ($1 + $2) / 2 )) sleep 0.3 \
  mousemove 800 "$2" sleep 0.3 mouseup 1; sleep 0.5; }
drag 680 830
drag 386 250
# Details pane: focus it (click its first line), go to the last top-level item (WebSocket) and
# expand its subtrees (View > Expand Subtrees, Shift+Right).
xdotool mousemove 200 262 click 1
sleep 0.3
xdotool key End
sleep 0.3
xdotool key shift+Right
sleep 1
shot gui-tree.png

# Bytes pane: the second tab ("Unmasked payload (N bytes)") at the bottom left of the window.
xdotool mousemove 259 $(( H - 38 )) click 1
sleep 1
shot gui-unmasked-tab.png

# ---- Statistics and the Follow menu, on a 24-second capture with a shape ----------------------
kill "$ws" 2>/dev/null; wait "$ws" 2>/dev/null || true
ka="$WSK_HOME/ka_gui.pcapng"
install -m 0644 "$ROOT/tests/captures/ka_gui.pcapng" "$ka"
iog="$WSK_HOME/.config/wireshark/profiles/ws-keepalive/io_graphs"
cp "$iog" "$WSK_HOME/io_graphs.shipped"
[ "$(id -u)" -eq 0 ] && chown -R nobody:nogroup "$WSK_HOME"

# start_ws ARGS...: Wireshark on ka_gui.pcapng; waits for its main window, makes it full size.
start_ws() {
  "${as_user[@]}" env -i PATH="$PATH" HOME="$WSK_HOME" DISPLAY="$DISPLAY" LANG=C.UTF-8 TZ=UTC \
    wireshark -r "$ka" -C ws-keepalive -o gui.layout_type:1 "$@" >/dev/null 2>&1 &
  ws=$!
  win=""
  for _ in $(seq 120); do
    win=$(xdotool search --onlyvisible --name "^ka_gui.pcapng" 2>/dev/null | head -1 || true)
    [ -n "$win" ] && break
    sleep 0.5
  done
  [ -n "$win" ] || { echo "gui-check: no Wireshark window appeared" >&2; exit 1; }
  xdotool windowmove "$win" 0 0 windowsize "$win" "$W" "$H"
  sleep 2
}
stop_ws() { kill "$ws" 2>/dev/null; wait "$ws" 2>/dev/null || true; ws=""; }
# dialog NAME: waits for a window whose title contains NAME, moves it to 40,40 and enlarges it.
dialog() {
  local d=""
  for _ in $(seq 60); do
    d=$(xdotool search --onlyvisible --name "$1" 2>/dev/null | tail -1 || true)
    [ -n "$d" ] && break
    sleep 0.5
  done
  [ -n "$d" ] || { echo "gui-check: no '$1' window" >&2; exit 1; }
  xdotool windowmove "$d" 40 40 windowsize "$d" $((W - 80)) $((H - 80))
  sleep 3
}
# menu X ITEM-KEYS...: opens the main menu at x=X (top bar) and types the keys.
menu() {
  local x=$1; shift
  xdotool mousemove "$x" 10 click 1
  sleep 0.8
  local k
  for k in "$@"; do xdotool key "$k"; sleep 0.3; done
}

# I/O graph presets (Statistics > I/O Graphs; `-z io,stat` opens it): each pair on its own, the
# profile's file with the others disabled.
io_shot() { # first-name-word-pattern output [log]
  sed -e 's/^"Enabled"/"Disabled"/' -e "/$1/s/^\"Disabled\"/\"Enabled\"/" \
    "$WSK_HOME/io_graphs.shipped" >"$iog"
  start_ws -z io,stat
  dialog "· I/O Graphs ·"
  if [ "${3:-}" = log ]; then # the dialog's "Log scale" box (the window as placed by dialog)
    xdotool mousemove 1029 904 click 1
    sleep 2
  fi
  shot "$2"
  stop_ws
}
io_shot 'Keep-alive RTT' gui-io-rtt.png
io_shot 'Messages\/s' gui-io-messages.png
io_shot 'Message bytes\/s' gui-io-bytes.png
cp "$WSK_HOME/io_graphs.shipped" "$iog"

# Statistics > WebSocket > Connections (the menu's last entry), Conversations, Endpoints.
start_ws -g 8
menu 325 Up Right Return
dialog "· Connections ·"
shot gui-ws-connections.png
stop_ws
start_ws -g 8
menu 325 Down Down Down Down Return
dialog "· Conversations ·"
shot gui-conversations.png
stop_ws
start_ws -g 8
menu 325 Down Down Down Down Down Return
dialog "· Endpoints ·"
shot gui-endpoints.png
stop_ws

# Analyze > Follow with a WebSocket frame selected (which follow streams this version offers).
start_ws -g 8
xdotool mousemove 255 10 click 1
sleep 0.8
xdotool mousemove 280 315 sleep 0.3 mousemove 290 316 click 1
sleep 1.5
shot gui-follow-menu.png
stop_ws
say "done in $(( $(date +%s) - start )) s"
