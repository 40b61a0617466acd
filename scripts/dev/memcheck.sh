#!/usr/bin/env bash
# Run tshark with the plugin under valgrind memcheck (as "nobody" when root, from a temporary
# HOME) on a subset of the captures, with -2 -V, and fail on any memory error or definite leak
# whose stack has a frame in ws_keepalive.so.
#
#   scripts/dev/memcheck.sh [CAPTURE...]   (default: py_basic, node_frag, ka_unanswered,
#                                       m_deflate_node_frag, adversarial/len63)
#
# Wireshark unloads its plugins at exit, so --keep-debuginfo=yes is needed for a leak stack
# through the plugin to still name ws_keepalive.so (else its frames are "???").
# valgrind's suppressions cannot say "no frame in ws_keepalive.so", so errors are read from
# valgrind's XML and split in three: errors with a frame in the plugin fail the run, except
# definite leaks made while registering (names, field and subtree arrays handed to Wireshark for
# the life of the process: one-off, a few kB, lost only because Wireshark unloads the plugin at
# exit), which are counted; the others (libwireshark, glib at start-up and exit) are counted
# and listed in tests/fuzz/artifacts/memcheck-NAME.txt, not fatal.
# tests/fuzz/valgrind.supp holds suppressions for the known non-plugin reports of Debian 12's
# Wireshark 4.0, made from --gen-suppressions output of errors with no plugin frame (object
# paths reduced to */name.so*); tests/fuzz/artifacts/memcheck-NAME.supp gets new ones.
# The plugin is $WSK_PLUGIN, else a fresh release build. Prints time and result per capture.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
so="${WSK_PLUGIN:-$(build_plugin)}"
make_test_home "$so"
work="$(mktemp -d "${TMPDIR:-/tmp}/wsk-memcheck.XXXXXX")"
trap 'rm -rf "$work" "$WSK_HOME"' EXIT
chmod 0777 "$work"
if [ $# -gt 0 ]; then
  caps=("$@")
else
  caps=(tests/captures/py_basic.pcapng tests/captures/node_frag.pcapng
    tests/captures/ka_unanswered.pcapng tests/captures/m_deflate_node_frag.pcapng
    tests/adversarial/len63.pcap)
fi
cp tests/fuzz/valgrind.supp "$work/"
chmod 0644 "$work/valgrind.supp"
status=0
for cap in "${caps[@]}"; do
  name="$(basename "$cap")"
  cp "$cap" "$work/$name"
  chmod 0644 "$work/$name"
  vg=(valgrind --tool=memcheck --error-exitcode=3 --errors-for-leak-kinds=definite
    --leak-check=full --show-leak-kinds=definite --num-callers=40 --gen-suppressions=all --keep-debuginfo=yes
    --suppressions="$work/valgrind.supp" --xml=yes --xml-file="$work/$name.xml"
    tshark -2 -V -r "$work/$name")
  t0=$(date +%s)
  rc=0
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH="$PATH" HOME="$WSK_HOME" \
      TZ=UTC LANG=C.UTF-8 GLIBCXX_FORCE_NEW=1 "${vg[@]}" >/dev/null 2>"$work/$name.err" || rc=$?
  else
    env HOME="$WSK_HOME" TZ=UTC LANG=C.UTF-8 "${vg[@]}" >/dev/null 2>"$work/$name.err" || rc=$?
  fi
  secs=$(($(date +%s) - t0))
  read -r ours reg others < <(python3 - "$work/$name.xml" "$ROOT/tests/fuzz/artifacts/memcheck-$name.txt" <<'PY'
import os, re, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
REG = re.compile(r"register_protoinfo|reg_handoff|register_fields|plugin_register")
ours, reg, others, lines, supp = 0, 0, 0, [], []
for e in root.iter("error"):
    frames = [f for st in e.iter("stack") for f in st.iter("frame")]
    objs = [(f.findtext("obj") or "") for f in frames]
    fns = [(f.findtext("fn") or "?") for f in frames]
    kind = e.findtext("kind") or ""
    x = e.find("xwhat")
    what = e.findtext("what") or (x.findtext("text") if x is not None else "")
    if any("ws_keepalive" in o for o in objs):
        if kind.startswith("Leak_") and any(REG.search(f) for f in fns):
            reg += 1
            tag = "plugin-registration"
        else:
            ours += 1
            tag = "PLUGIN"
        lines.append("%s %s: %s\n    %s" % (tag, kind, what, "\n    ".join(fns)))
    else:
        others += 1
        lines.append("other %s: %s\n    %s" % (kind, what, "\n    ".join(fns[:12])))
        raw = e.find("suppression")
        if raw is not None:
            text = raw.findtext("rawtext") or ""
            text = re.sub(r"obj:/\S*/([^/\s]+?)(\.so[.0-9]*)?\n",
                          lambda m: "obj:*/%s%s\n" % (m.group(1), ".so*" if m.group(2) else ""), text)
            supp.append(text.strip())
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
if supp:
    open(sys.argv[2][:-4] + ".supp", "w").write("\n".join(supp) + "\n")
if lines:
    open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print(ours, reg, others)
PY
)
  verdict=ok
  if [ "$ours" -gt 0 ]; then verdict=FAIL; status=1; fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then verdict="FAIL (exit $rc)"; status=1; fi
  printf '%-28s %5ss  plugin errors %d  plugin start-up leaks %d  other errors %d  %s\n' \
    "$name" "$secs" "$ours" "$reg" "$others" "$verdict"
done
[ "$status" -eq 0 ] || echo "details: tests/fuzz/artifacts/memcheck-*.txt" >&2
exit "$status"
