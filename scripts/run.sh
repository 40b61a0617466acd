#!/usr/bin/env bash
# The main job: install what is missing, build the plugin, install it into your personal plugin
# folder, and show the WebSocket messages of the bundled sample capture, one line per message.
# Usage: scripts/run.sh [CAPTURE]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
capture="${1:-$ROOT/tests/captures/py_basic.pcapng}"
ensure_deps
so="$(build_plugin)"
"$ROOT/scripts/install.sh"

fields=(-e ws.dir -e ws.msg.index -e ws.msg.type -e ws.msg.len -e ws.msg.frames -e ws.msg.text -e ws.msg.data -e ws.close.code -e ws.close.reason)
if [ "$(id -u)" -eq 0 ]; then
  make_test_home "$so"
  tmpcap="$WSK_HOME/$(basename "$capture")"
  install -m 0644 "$capture" "$tmpcap"
  say "you are root: Wireshark ignores personal plugins for root, so tshark runs as user 'nobody':"
  echo "    setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=$WSK_HOME tshark -r $tmpcap -Y ws.msg.len -T fields ..." >&2
  capture="$tmpcap"
else
  WSK_HOME="$HOME"
fi
say "WebSocket messages in $(basename "$capture") (direction.number type length frames preview)"
run_tshark -r "$capture" -Y ws.msg.len -T fields -E separator=/t -E occurrence=a -E aggregator='|' "${fields[@]}" |
  awk -F'\t' '{
    n = split($1, d, "|"); split($2, idx, "|"); split($3, ty, "|"); split($4, ln, "|"); split($5, fr, "|");
    split($6, tx, "|"); split($7, da, "|");
    for (i = 1; i <= n; i++) {
      names["0"]="Continuation"; names["1"]="Text"; names["2"]="Binary"; names["8"]="Close"; names["9"]="Ping"; names["10"]="Pong";
      t = (ty[i] in names) ? names[ty[i]] : "Reserved(" ty[i] ")";
      dir = (d[i] == "client") ? "Client" : "Server";
      if (t == "Close") prev = "code=" $8 " " $9;
      else if (t == "Text") prev = substr(tx[i], 1, 60) (length(tx[i]) > 60 ? "..." : "");
      else if (da[i] == "<none>") prev = ""; else prev = substr(da[i], 1, 32) (length(da[i]) > 32 ? "..." : "");
      printf "%s.%s\t%-6s\tlen=%s\tframes=%s\t%s\n", dir, idx[i], t, ln[i], fr[i], prev;
    }
  }'
