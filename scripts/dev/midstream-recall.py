#!/usr/bin/env python3
"""Mid-stream recall: how much of a WebSocket capture the plugin finds when the capture begins
late. Called by scripts/dev/midstream-recall.sh (which builds the plugin and makes the tshark HOME);
see that script for the definitions.

Usage: midstream-recall.py [--max-cuts N] [--max-cuts-gz N] [--jobs N] [--json OUT] CAPTURE[:OPTS]...
  OPTS: tshark options for that capture, separated by '|', e.g. 'cap.pcapng:-o|tcp.try_heuristic_first:TRUE'
Environment: WSK_TSHARK (the command that runs tshark, words separated by spaces).
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

TSHARK = os.environ.get("WSK_TSHARK", "tshark").split()


def tshark(args):
    out = subprocess.run(TSHARK + args, check=True, capture_output=True, text=True)
    return out.stdout


def frames_by_packet(path, opts):
    """Per packet: (tcp.stream, the WebSocket frames shown as (opcode, payload length), first
    segment of the first frame)."""
    rows = {}
    text = tshark(["-2", "-r", path] + opts + ["-T", "fields", "-E", "occurrence=a",
                   "-e", "frame.number", "-e", "tcp.stream", "-e", "ws.opcode",
                   "-e", "tcp.segment", "-e", "ws.len"])
    for line in text.splitlines():
        cols = line.split("\t")
        while len(cols) < 5:
            cols.append("")
        num, stream, ops, segs, lens = cols[:5]
        if not num or not stream:
            continue
        ops = [o for o in ops.split(",") if o != ""]
        lens = [x for x in lens.split(",") if x != ""]
        frames = list(zip(ops, lens + [""] * (len(ops) - len(lens))))
        first = min([int(s) for s in segs.split(",") if s] or [int(num)])
        rows[int(num)] = (int(stream.split(",")[0]), frames, first)
    return rows


def truth_starts(rows):
    """Per stream: the packet where each frame's header is (sorted)."""
    starts = {}
    for num, (stream, frames, first) in sorted(rows.items()):
        for i in range(len(frames)):
            starts.setdefault(stream, []).append(first if i == 0 else num)
    return starts


def kept_frames(row, k):
    """The frames the whole capture shows in this packet whose header is in a packet after k."""
    _, frames, first = row
    # Only a packet's first frame can have begun in an earlier packet.
    return [f for i, f in enumerate(frames) if i > 0 or first > k]


def measure(cap, opts, max_cuts, jobs, tmp):
    src = cap
    if cap.endswith(".gz"):
        src = os.path.join(tmp, os.path.basename(cap)[:-3])
        with gzip.open(cap, "rb") as f, open(src, "wb") as g:
            shutil.copyfileobj(f, g)
        os.chmod(src, 0o644)
    full = frames_by_packet(src, opts)
    starts = truth_starts(full)
    npk = max(full) if full else 0
    # Every cut K (drop packets 1..K) that leaves at least 3 frames.
    cuts = [k for k in range(1, npk)
            if sum(1 for s in starts.values() for p in s if p > k) >= 3]
    if max_cuts and len(cuts) > max_cuts:
        step = len(cuts) / max_cuts
        cuts = sorted({cuts[int(i * step)] for i in range(max_cuts)})

    def one(k):
        out = os.path.join(tmp, f"{os.path.basename(src)}.cut{k}.pcapng")
        subprocess.run(["editcap", "-F", "pcapng", src, out, f"1-{k}"], check=True,
                       capture_output=True)
        os.chmod(out, 0o644)
        got = frames_by_packet(out, opts)
        os.unlink(out)
        # A packet keeps its identity in the cut: packet n of the cut is packet n + k of the
        # whole capture, so each of the cut's streams is the original stream of any of its packets.
        # A frame is found when the cut shows it in the same packet as the whole capture does,
        # with the same opcode and payload length (a frame parsed from the wrong bytes is not).
        found, wrong = {}, {}
        for num, (_, frames, _) in got.items():
            ref = full.get(num + k)
            if ref is None:
                continue
            want = {}
            for f in kept_frames(ref, k):
                want[f] = want.get(f, 0) + 1
            hit = 0
            for f in frames:
                if want.get(f, 0) > 0:
                    want[f] -= 1
                    hit += 1
            found[ref[0]] = found.get(ref[0], 0) + hit
            wrong[ref[0]] = wrong.get(ref[0], 0) + len(frames) - hit
        per = []
        for stream, s in starts.items():
            left = sum(1 for p in s if p > k)
            if left or wrong.get(stream):
                per.append((stream, left, found.get(stream, 0), wrong.get(stream, 0)))
        return k, per

    with ThreadPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(one, cuts))
    return npk, results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-cuts", type=int, default=0)
    ap.add_argument("--max-cuts-gz", type=int, default=0, help="for .gz captures (the bulk ones)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="wsk-recall.")
    os.chmod(tmp, 0o755)
    table = []
    tot_left = tot_found = tot_conn = tot_conn_found = tot_cuts = tot_bad = 0
    print(f"{'capture':36} {'packets':>7} {'cuts':>5} {'frames left':>11} {'found':>7} "
          f"{'recall':>7} {'conns>=4':>8} {'found':>6} {'wrong':>6}")
    for spec in a.captures:
        cap, _, o = spec.partition(":")
        opts = [x for x in o.split("|") if x] if o else []
        max_cuts = a.max_cuts_gz if cap.endswith(".gz") and a.max_cuts_gz else a.max_cuts
        npk, results = measure(cap, opts, max_cuts, a.jobs, tmp)
        left = sum(l for _, per in results for _, l, _, _ in per)
        found = sum(f for _, per in results for _, _, f, _ in per)
        bad = sum(w for _, per in results for _, _, _, w in per)
        conns = [(l, f) for _, per in results for _, l, f, _ in per if l >= 4]
        cf = sum(1 for _, f in conns if f > 0)
        name = os.path.basename(cap) + (" " + " ".join(opts) if opts else "")
        pct = 100.0 * found / left if left else 100.0
        print(f"{name:36} {npk:7} {len(results):5} {left:11} {found:7} {pct:6.1f}% "
              f"{len(conns):8} {cf:6} {bad:6}")
        misses = [(k, s, l, f, w) for k, per in results for s, l, f, w in per if f < l or w]
        for k, s, l, f, w in misses[:int(os.environ.get("WSK_SHOW_MISSES", "0"))]:
            print(f"    cut {k}: stream {s}: {f}/{l} found, {w} wrong")
        table.append({"capture": name, "packets": npk, "cuts": len(results), "left": left,
                      "found": found, "wrong": bad, "conns4": len(conns), "conns4_found": cf})
        tot_left += left
        tot_found += found
        tot_conn += len(conns)
        tot_conn_found += cf
        tot_bad += bad
        tot_cuts += len(results)
    pct = 100.0 * tot_found / tot_left if tot_left else 100.0
    cpct = 100.0 * tot_conn_found / tot_conn if tot_conn else 100.0
    print(f"{'total':36} {'':7} {tot_cuts:5} {tot_left:11} {tot_found:7} {pct:6.1f}% "
          f"{tot_conn:8} {tot_conn_found:6} {tot_bad:6}  ({cpct:.1f}% of connections with >= 4 frames left)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"captures": table, "left": tot_left, "found": tot_found, "wrong": tot_bad,
                       "conns4": tot_conn, "conns4_found": tot_conn_found}, f, indent=1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
