#!/usr/bin/env bash
# Mid-stream recall: for every WebSocket capture of the test suite, every cut (the first K packets
# dropped with editcap, for every K that leaves at least 3 frames), the share of the remaining
# frames that `tshark -2` shows as WebSocket frames, and how many connections with at least 4
# frames left are found at all. A frame "remains" when its header is in a packet that is kept;
# the reference is `tshark -2` on the whole capture (for frames spread over segments, the first
# segment TCP names). Default preferences everywhere (ports HTTP owns included); wss captures are
# left out (a cut TLS connection cannot be decrypted), and so are the keep-alive captures without
# WebSocket frames. A capture with more than WSK_RECALL_MAX_CUTS cuts (default 400; 60 for the
# bulk captures, WSK_RECALL_BULK_CUTS) gets that many, evenly spread.
# Usage: scripts/dev/midstream-recall.sh [--json OUT] [CAPTURE[:OPTS]...]
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"
so="${WSK_PLUGIN:-$(build_plugin)}"
make_test_home "$so"
if [ "$(id -u)" -eq 0 ]; then
  export WSK_TSHARK="setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH=$PATH HOME=$WSK_HOME TZ=UTC LANG=C.UTF-8 tshark"
else
  export WSK_TSHARK="env HOME=$WSK_HOME TZ=UTC LANG=C.UTF-8 tshark"
fi
json=()
if [ "${1:-}" = --json ]; then json=(--json "$2"); shift 2; fi
caps=("$@")
if [ ${#caps[@]} -eq 0 ]; then
  for f in "$ROOT"/tests/captures/*.pcap*; do
    case "$(basename "$f")" in
      neg_*|m_wss_*|m_cut_*|ka_answered*|ka_onebyte*|ka_rst*|ka_seed*|ka_unanswered*|*.truth.*|*.keys) continue ;;
    esac
    caps+=("$f")
  done
fi
python3 "$ROOT/scripts/dev/midstream-recall.py" --jobs "${WSK_RECALL_JOBS:-2}" \
  --max-cuts "${WSK_RECALL_MAX_CUTS:-400}" --max-cuts-gz "${WSK_RECALL_BULK_CUTS:-60}" "${json[@]}" "${caps[@]}"
