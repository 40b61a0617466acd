#!/usr/bin/env bash
# Regenerate the README's field reference from the field table (src/fields.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."
table="$(WSK_NO_EPAN=1 cargo test --quiet --lib fields::tests::print_reference -- --ignored --nocapture 2>/dev/null | sed -n '/^| field/,/^$/p')"
python3 - "$table" <<'PY'
import sys, re
table = sys.argv[1].strip() + "\n"
s = open("README.md").read()
s = re.sub(r"(<!-- fields:begin -->\n).*?(<!-- fields:end -->)", lambda m: m.group(1) + table + m.group(2), s, flags=re.S)
open("README.md", "w").write(s)
PY
