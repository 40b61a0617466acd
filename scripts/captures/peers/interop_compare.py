"""Compare the messages the plugin dissected (scripts/ws-messages output) with what the peers
logged as sent: per direction, the sequence of (type, length, SHA-256) of text, binary, ping and
Close messages. Exit status 1 on any difference.

  interop_compare.py TRUTH.jsonl DISSECTED.jsonl"""
import base64, hashlib, json, sys

KINDS = ("text", "binary", "ping", "close")
truth = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
bad = 0
for d in ("client", "server"):
    want = [(t["type"], t["len"], t["sha256"]) for t in truth if t["dir"] == d and t["type"] in KINDS]
    have = []
    for g in got:
        if g["dir"] != d or g["type"] not in KINDS:
            continue
        if g["type"] == "close":
            if d == "server":
                continue  # the server's Close is the library's automatic reply: not logged
            code, reason = g.get("close_code"), g.get("close_reason", "")
            data = int(code).to_bytes(2, "big") + reason.encode() if code not in (None, "") else b""
        elif "text" in g:
            data = g["text"].encode()
        else:
            data = base64.b64decode(g.get("base64", ""))
        have.append((g["type"], g["len"], hashlib.sha256(data).hexdigest()))
    n = min(len(want), len(have))
    mism = [i for i in range(n) if want[i] != have[i]]
    compressed = sum(1 for g in got if g["dir"] == d and g.get("compressed"))
    print(f"  {d}: sent {len(want)}, dissected {len(have)}, mismatches {len(mism)}, compressed {compressed}",
          [(i, want[i][:2], have[i][:2]) for i in mism[:3]] if mism else "")
    bad += len(mism) + abs(len(want) - len(have))
sys.exit(1 if bad else 0)
