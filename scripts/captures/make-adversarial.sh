#!/usr/bin/env bash
# Regenerate the adversarial captures in tests/adversarial/ (scripts/captures/adversarial.py, Python 3
# stdlib only). Captures over 256 kB are stored gzipped (tshark reads .pcap.gz directly); gzip -n
# keeps the output byte-identical from run to run.
#
#   scripts/captures/make-adversarial.sh            regenerate the captures
#   scripts/captures/make-adversarial.sh --measure  run tshark (-q -z expert, one pass and -2) with the
#                                          plugin on each under /usr/bin/time -v and print wall
#                                          time, peak RSS and the plugin's expert infos; also the
#                                          same without the plugin, as a baseline. The plugin is
#                                          $WSK_PLUGIN, else a fresh release build.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT/tests/adversarial"

if [ "${1:-}" != "--measure" ]; then
  rm -f ./*.pcap ./*.pcap.gz
  python3 "$ROOT/scripts/captures/adversarial.py" .
  for f in ./*.pcap; do
    if [ "$(stat -c %s "$f")" -gt 262144 ]; then
      gzip -9 -n -f "$f"
    fi
  done
  ls -l ./*.pcap* | awk '{print $5, $9}'
  exit 0
fi

so="${WSK_PLUGIN:-$(build_plugin)}"
make_test_home "$so"
work="$(mktemp -d)"
trap 'rm -rf "$work" "$WSK_HOME"' EXIT
cp ./*.pcap* "$work/"
chmod -R a+rX "$work"
empty_home="$(mktemp -d)"
chmod a+rx "$empty_home"
measure() { # label home args...
  local label="$1" home="$2"
  shift 2
  local t="$work/time"
  if [ "$(id -u)" -eq 0 ]; then
    /usr/bin/time -v -o "$t" setpriv --reuid=nobody --regid=nogroup --clear-groups \
      env -i PATH="$PATH" HOME="$home" TZ=UTC LANG=C.UTF-8 tshark "$@" >"$work/out" 2>"$work/err" || true
  else
    /usr/bin/time -v -o "$t" env HOME="$home" TZ=UTC LANG=C.UTF-8 tshark "$@" >"$work/out" 2>"$work/err" || true
  fi
  local wall rss cpu
  wall="$(grep 'Elapsed (wall clock)' "$t" | awk '{print $NF}')"
  rss="$(grep 'Maximum resident' "$t" | awk '{print $NF}')"
  cpu="$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$t")"
  printf '  %-20s cpu %6ss  wall %-8s peak RSS %5d MB  exit %s\n' "$label" "$cpu" "$wall" \
    "$((rss / 1024))" "$(grep 'Exit status' "$t" | awk '{print $NF}')"
}
for f in "$work"/*.pcap*; do
  name="$(basename "$f")"
  echo "== $name ($(stat -c %s "$f") bytes)"
  measure "plugin, 1 pass" "$WSK_HOME" -r "$f" -q -z expert
  grep -E '^ +[0-9]+ .* (WS|KeepAlive) ' "$work/out" | sed 's/^ */    /' || true
  echo "    panics contained: $(grep -c 'ws-keepalive: panic' "$work/err" || true)"
  measure "plugin, -2" "$WSK_HOME" -2 -r "$f" -q -z expert
  grep -E '^ +[0-9]+ .* (WS|KeepAlive) ' "$work/out" | sed 's/^ */    /' || true
  measure "no plugin, 1 pass" "$empty_home" -r "$f" -q -z expert
done
rm -rf "$empty_home"
