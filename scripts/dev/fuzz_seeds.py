#!/usr/bin/env python3
"""Build the raw seed corpora of the fuzz targets from the test captures (stdlib only).

Usage: fuzz_seeds.py OUTDIR FIELDS.tsv...   where each FIELDS.tsv is the output of
  tshark -r CAP -T fields -e tcp.stream -e ip.src -e tcp.srcport -e tcp.seq_raw
         -e tcp.ack_raw -e tcp.flags -e tcp.len -e frame.time_epoch -e tcp.payload
Writes OUTDIR/<target>/<sha1> files; scripts/dev/fuzz-core.sh --seed then minimizes them with
`cargo fuzz cmin` into tests/fuzz/corpus/<target>/.
"""
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from wsframe import split as frames  # noqa: E402


def put(outdir, target, data):
    if not data or len(data) > 64 * 1024:
        data = data[: 64 * 1024]
    if not data:
        return
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def main():
    outdir = sys.argv[1]
    for path in sys.argv[2:]:
        streams = {}
        rows = []
        for line in open(path):
            f = line.rstrip("\n").split("\t")
            if len(f) < 9 or not f[0]:
                continue
            stream, src, sport, seq, ack, flags, ln, t, pay = f[:9]
            payload = bytes.fromhex(pay.replace(":", "")) if pay else b""
            st = streams.setdefault(stream, {"first": (src, sport), "segs": []})
            d = 0 if (src, sport) == st["first"] else 1
            st["segs"].append((d, payload))
            rows.append((stream, d, int(seq or 0), int(ack or 0), int(flags or "0", 16),
                         int(ln or 0), float(t or 0), payload))
            if payload:
                put(outdir, "frame", payload[:14])
        for st in streams.values():
            dirs = [b"".join(p for d, p in st["segs"] if d == k) for k in (0, 1)]
            ws = []
            for k, s in enumerate(dirs):
                if s.startswith(b"GET ") or s.startswith(b"HTTP/1.1 "):
                    head, _, body = s.partition(b"\r\n\r\n")
                    put(outdir, "handshake", head + b"\r\n\r\n")
                    for l in head.split(b"\r\n"):
                        name, _, val = l.partition(b":")
                        if name.lower() in (b"sec-websocket-extensions", b"sec-websocket-key"):
                            put(outdir, "handshake", val.strip())
                    s = body
                ws.append((k, s))
            # message: [cfg] then [dir][frame] records, both directions interleaved.
            for cfg in (0x00, 0xC5):
                rec = bytearray([cfg])
                per = [frames(s) for _, s in ws]
                for j in range(max(len(p) for p in per) if per else 0):
                    for k, p in enumerate(per):
                        if j < len(p):
                            rec += bytes([k]) + p[j][0]
                put(outdir, "message", bytes(rec))
            # deflate: compressed messages (RSV1 on the first frame) of each direction.
            for k, s in ws:
                rec = bytearray([0x00, 4])
                msg, on = b"", False
                for raw, b0, pl in frames(s):
                    op = b0 & 0x0F
                    if op in (1, 2):
                        on, msg = bool(b0 & 0x40), pl
                    elif op == 0:
                        msg += pl
                    if on and op in (0, 1, 2) and b0 & 0x80:
                        rec += struct.pack(">H", min(len(msg), 0xFFFF)) + msg[:0xFFFF]
                        on = False
                if len(rec) > 2:
                    put(outdir, "deflate", bytes(rec))
                    put(outdir, "deflate", bytes([0x01, 4]) + rec[2:])
            # midstream: segments after the handshake, [ctl][len][bytes].
            rec = bytearray()
            seen_body = [False, False]
            for d, p in st["segs"]:
                if not p:
                    continue
                if not seen_body[d] and (p.startswith(b"GET ") or p.startswith(b"HTTP/")):
                    seen_body[d] = True
                    continue
                for o in range(0, len(p), 255):
                    c = p[o:o + 255]
                    rec += bytes([d, len(c)]) + c
                if len(rec) > 60000:
                    break
            put(outdir, "midstream", bytes(rec))
        # keepalive: one 14-byte record per TCP segment, per stream.
        by = {}
        for stream, d, seq, ack, flags, ln, t, payload in rows:
            by.setdefault(stream, []).append((d, seq, ack, flags, ln, t, payload))
        for segs in by.values():
            rec = bytearray()
            last_t = segs[0][5]
            for d, seq, ack, flags, ln, t, payload in segs[:3000]:
                dt = max(0, min(0xFFFF, int((t - last_t) * 1000)))
                last_t = t
                if ln <= 2 and payload[:1] in (b"\x89", b"\x8a"):
                    rec += bytes([2 | (4 if payload[:1] == b"\x89" else 0), d]) + struct.pack(
                        ">HII", dt, 0, 0) + bytes([0, 0])
                else:
                    rec += bytes([0, d]) + struct.pack(">HII", dt, 0, 1) + bytes(
                        [min(ln, 255), flags & 0xFF])
            put(outdir, "keepalive", bytes(rec))


if __name__ == "__main__":
    main()
