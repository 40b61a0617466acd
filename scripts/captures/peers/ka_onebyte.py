#!/usr/bin/env python3
"""Insert Windows/BSD-style one-byte TCP keep-alives into an idle capture.

  ka_onebyte.py IN.pcap OUT.pcap [TRUTH.json]

IN.pcap: classic pcap (Ethernet, microsecond or nanosecond timestamps) of
ONE IPv4 TCP connection (client = sender of the SYN) with an idle gap,
e.g. `editcap -F pcap` of a dumpcap capture.  Standard library only.

In the longest gap between two packets (it must be >= 2.5 s) two pairs are
inserted, at gap start + 1.0 s and + 2.0 s:

  client -> server  seq = client's next seq - 1, len 1, payload 0x00, ACK
  server -> client  seq = server's next seq, ack = client's next seq, len 0, ACK

Both are built from the last client/server segment before the gap (same
MACs, addresses, ports, TTL, window, TCP options); the TCP timestamp option,
when present, is advanced by the elapsed milliseconds (TSecr echoes the
peer's latest TSval).  IPv4 and TCP checksums are computed.  Every original
packet is kept unchanged, so the sequence numbers after the gap continue as
before.  Writes a JSON summary of what was inserted to TRUTH.json.
"""
import json
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian, nano = "<", False
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian, nano = ">", False
    elif magic == b"\x4d\x3c\xb2\xa1":
        endian, nano = "<", True
    elif magic == b"\xa1\xb2\x3c\x4d":
        endian, nano = ">", True
    else:
        raise SystemExit("%s: not a classic pcap file" % path)
    hdr = data[:24]
    linktype = struct.unpack(endian + "I", hdr[20:24])[0]
    if linktype != 1:
        raise SystemExit("%s: linktype %d, need Ethernet (1)" % (path, linktype))
    pkts, off = [], 24
    while off < len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        ts = sec + frac / (1e9 if nano else 1e6)
        pkts.append([ts, data[off + 16:off + 16 + incl], orig, sec, frac])
        off += 16 + incl
    return endian, nano, hdr, pkts


def parse(frame):
    """-> dict with the IPv4/TCP fields we need, or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6:
        return None
    tot = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:tot]
    doff = (tcp[12] >> 4) * 4
    sport, dport, seq, ack = struct.unpack("!HHII", tcp[:12])
    return {"src": ip[12:16], "dst": ip[16:20], "sport": sport, "dport": dport,
            "seq": seq, "ack": ack, "flags": tcp[13], "win": struct.unpack("!H", tcp[14:16])[0],
            "opts": tcp[20:doff], "plen": len(tcp) - doff, "ihl": ihl, "ipid": struct.unpack("!H", ip[4:6])[0]}


def ts_option(opts):
    """offset of the TSval inside opts, or None"""
    i = 0
    while i < len(opts):
        k = opts[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        ln = opts[i + 1]
        if k == 8 and ln == 10:
            return i + 2
        i += ln
    return None


def build(template, seq, ack, payload, tsval=None, tsecr=None, ipid=None):
    """Copy Ethernet/IPv4/TCP headers from template frame, set seq/ack/payload."""
    p = parse(template)
    eth = template[:14]
    ip = bytearray(template[14:14 + p["ihl"]])
    tcp_hdr_len = 20 + len(p["opts"])
    tcp = bytearray(template[14 + p["ihl"]:14 + p["ihl"] + tcp_hdr_len])
    struct.pack_into("!II", tcp, 4, seq, ack)
    tcp[13] = 0x10  # ACK only
    struct.pack_into("!H", tcp, 16, 0)  # checksum
    struct.pack_into("!H", tcp, 18, 0)  # urgent pointer
    o = ts_option(bytes(tcp[20:]))
    if o is not None and tsval is not None:
        struct.pack_into("!II", tcp, 20 + o, tsval & 0xFFFFFFFF, tsecr & 0xFFFFFFFF)
    seg = bytes(tcp) + payload
    pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 6, len(seg))
    struct.pack_into("!H", tcp, 16, csum(pseudo + seg))
    seg = bytes(tcp) + payload
    struct.pack_into("!H", ip, 2, len(ip) + len(seg))
    if ipid is not None:
        struct.pack_into("!H", ip, 4, ipid & 0xFFFF)
    struct.pack_into("!H", ip, 10, 0)
    struct.pack_into("!H", ip, 10, csum(bytes(ip)))
    return eth + bytes(ip) + seg


def main():
    src, dst = sys.argv[1], sys.argv[2]
    truth_path = sys.argv[3] if len(sys.argv) > 3 else None
    endian, nano, hdr, pkts = read_pcap(src)
    parsed = [parse(p[1]) for p in pkts]
    syn = next(i for i, p in enumerate(parsed) if p and p["flags"] & 0x12 == 0x02)
    cli = (parsed[syn]["src"], parsed[syn]["sport"])
    # longest gap
    gi = max(range(1, len(pkts)), key=lambda i: pkts[i][0] - pkts[i - 1][0])
    t0, t1 = pkts[gi - 1][0], pkts[gi][0]
    if t1 - t0 < 2.5:
        raise SystemExit("no idle gap >= 2.5 s (longest %.3f s)" % (t1 - t0))
    # state before the gap
    nxt = {}      # side -> next seq
    last = {}     # side -> index of last segment
    tsval = {}    # side -> (TSval, time)
    for i in range(gi):
        p = parsed[i]
        if not p:
            continue
        side = "c" if (p["src"], p["sport"]) == cli else "s"
        n = p["seq"] + p["plen"] + (1 if p["flags"] & 0x02 else 0) + (1 if p["flags"] & 0x01 else 0)
        nxt[side] = n & 0xFFFFFFFF
        last[side] = i
        o = ts_option(p["opts"])
        if o is not None:
            tsval[side] = (struct.unpack("!I", p["opts"][o:o + 4])[0], pkts[i][0])
    inserted, new = [], []
    cts = tsval.get("c")
    sts = tsval.get("s")
    for k, dt in enumerate((1.0, 2.0)):
        t_probe = t0 + dt
        t_ack = t_probe + 0.000045
        c_tsv = s_tsv = None
        if cts and sts:
            c_tsv = cts[0] + int(round((t_probe - cts[1]) * 1000))
            s_tsv = sts[0] + int(round((t_ack - sts[1]) * 1000))
        cp = parsed[last["c"]]
        sp = parsed[last["s"]]
        probe = build(pkts[last["c"]][1], (nxt["c"] - 1) & 0xFFFFFFFF, nxt["s"], b"\x00",
                      c_tsv, sts[0] if sts else None, cp["ipid"] + 1 + k)
        ackf = build(pkts[last["s"]][1], nxt["s"], nxt["c"], b"",
                     s_tsv, c_tsv, sp["ipid"] + 1 + k)
        for t, fr in ((t_probe, probe), (t_ack, ackf)):
            new.append([t, fr, len(fr)])
        inserted.append({"probe": {"t": round(t_probe, 6), "seq_raw": (nxt["c"] - 1) & 0xFFFFFFFF,
                                   "ack_raw": nxt["s"], "len": 1, "payload": "00"},
                         "ack": {"t": round(t_ack, 6), "seq_raw": nxt["s"], "ack_raw": nxt["c"], "len": 0}})
    out = pkts[:gi] + new + pkts[gi:]
    with open(dst, "wb") as f:
        f.write(hdr)
        for p in out:
            ts, frame = p[0], p[1]
            if len(p) == 5:  # original packet: timestamp copied exactly
                sec, frac = p[3], p[4]
            else:
                sec = int(ts)
                frac = int(round((ts - sec) * (1e9 if nano else 1e6)))
            f.write(struct.pack(endian + "IIII", sec, frac, len(frame), p[2]) + frame)
    if truth_path:
        with open(truth_path, "w") as f:
            json.dump({
                "scenario": "ka_onebyte",
                "programs": "ka_peers.py server/client (no keep-alive socket options, 3 s idle), "
                            "post-processed by ka_onebyte.py",
                "source_frames": len(pkts),
                "idle_gap": {"after_frame": gi, "start": round(t0, 6), "end": round(t1, 6)},
                "inserted_after_frame": gi,
                "inserted_frames": [gi + 1, gi + 2, gi + 3, gi + 4],
                "inserted": inserted,
                "expected": "frames %d and %d are one-byte keep-alives (seq = next seq - 1, len 1, 0x00), "
                            "frames %d and %d their keep-alive ACKs; the WebSocket text message and close "
                            "after them decode normally (sequence numbers unchanged)" % (gi + 1, gi + 3, gi + 2, gi + 4),
            }, f)


if __name__ == "__main__":
    main()
