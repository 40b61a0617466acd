#!/usr/bin/env python3
"""Build tests/captures/ka_seed.pcap from the seed write-up's two frames.

  ka_seed.py OUT.pcap [TRUTH.json]

Frames 11 and 12 are the exact bytes of the two frames printed in the seed
write-up (shared seed 002, "Wireshark · 分组 3984 / 3985"): a one-byte TCP
keep-alive 192.168.120.217:9030 -> 192.168.120.68:51000 (relative seq 1253,
ack 707, payload 0x00) and the ACK answering it (with a D-SACK block
1253-1254), at the seed's relative times 111.681501 and 111.681920.
Both dumps are complete (55 and 66 bytes); they are kept byte for byte,
including frame 3984's IPv4 checksum 0x0000 and TCP checksum 0x728a, which
are wrong (the seed was captured on the sending host with checksum offload;
the correct values would be 0x5da5 / 0xe4cd).

Frames 1-10 are SYNTHETIC: a handshake and a short WebSocket conversation
of the same connection whose initial sequence numbers and byte counts are
chosen so that the seed frames get exactly the seed's relative numbers
(client sent 706 bytes, server 1253 bytes) and frame 11 is a keep-alive
(seq = server's next seq - 1).  Window scale options match the seed's
calculated windows (server x256, client x4).  All synthetic checksums are
correct.  Standard library only; output is deterministic.
"""
import base64
import hashlib
import json
import struct
import sys

SEED_PROBE = bytes.fromhex(  # frame 3984, 55 bytes, t = 111.681501
    "708bcdbfede02c4d5465effc08004500"
    "00296abb400040060000c0a878d9c0a8"
    "78442346c7387cb2f637dca5ff465010"
    "1f41728a000000")
SEED_ACK = bytes.fromhex(  # frame 3985, 66 bytes, t = 111.681920
    "2c4d5465effc708bcdbfede008004500"
    "00343954400040068f01c0a87844c0a8"
    "78d9c7382346dca5ff467cb2f6388010"
    "3eefa93200000101050a7cb2f6377cb2"
    "f638")

C_MAC, S_MAC = bytes.fromhex("708bcdbfede0"), bytes.fromhex("2c4d5465effc")
C_IP, S_IP = bytes([192, 168, 120, 68]), bytes([192, 168, 120, 217])
C_PORT, S_PORT = 51000, 9030
S_ISN = 0x7CB2F637 - 1253          # probe seq 0x7cb2f637 is relative 1253
C_ISN = 0xDCA5FF46 - 707           # probe ack 0xdca5ff46 is relative 707
BASE = 1600000000                  # arbitrary epoch base (2020-09-13)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(from_client, seq, ack, flags, win, payload=b"", opts=b"", ipid=0):
    src, dst = (C_IP, S_IP) if from_client else (S_IP, C_IP)
    sp, dp = (C_PORT, S_PORT) if from_client else (S_PORT, C_PORT)
    eth = (S_MAC + C_MAC if from_client else C_MAC + S_MAC) + b"\x08\x00"
    hl = 20 + len(opts)
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (hl // 4) << 4, flags, win, 0, 0) + opts + payload
    ck = csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", ck) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return eth + ip + tcp


def ws_frame(text, mask=None):
    data = text.encode()
    n = len(data)
    hdr = bytes([0x81])
    m = 0x80 if mask else 0
    if n < 126:
        hdr += bytes([m | n])
    else:
        hdr += bytes([m | 126]) + struct.pack("!H", n)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        hdr += mask
    return hdr + data


def main():
    out = sys.argv[1]
    truth_path = sys.argv[2] if len(sys.argv) > 2 else None
    SYN, ACK, PSH = 0x02, 0x10, 0x08
    key = base64.b64encode(bytes(range(1, 17))).decode()
    accept = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()

    # client bytes: HTTP upgrade + one masked text frame = 706
    cmsg = ws_frame('{"op":"subscribe","topic":"/topic/status"}', mask=b"\x12\x34\x56\x78")
    req_head = ("GET /ws HTTP/1.1\r\nHost: 192.168.120.217:9030\r\nConnection: Upgrade\r\n"
                "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n"
                "User-Agent: ka_seed.py synthetic preface\r\n" % key)
    pad = 706 - len(cmsg) - len(req_head) - len("X-Padding: \r\n\r\n")
    req = (req_head + "X-Padding: " + "p" * pad + "\r\n\r\n").encode()
    assert len(req) + len(cmsg) == 706
    # server bytes: 101 response + two text frames = 1253
    resp = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode()
    s1 = ws_frame('{"op":"subscribed","topic":"/topic/status"}')
    rest = 1253 - len(resp) - len(s1)
    body_len = rest - 4  # 4-byte header (126 + 16-bit length)
    prefix = '{"topic":"/topic/status","seq":1,"data":"'
    s2 = ws_frame(prefix + "x" * (body_len - len(prefix) - 2) + '"}')
    assert len(resp) + len(s1) + len(s2) == 1253 and len(s2) == rest

    c, s = C_ISN, S_ISN
    mss_c = b"\x02\x04\x05\xb4\x01\x03\x03\x02\x01\x01\x04\x02"   # MSS 1460, WS 2, SACK_PERM
    mss_s = b"\x02\x04\x05\xb4\x01\x03\x03\x08\x01\x01\x04\x02"   # MSS 1460, WS 8, SACK_PERM
    W_C, W_S = 16111, 8001  # window fields of the seed frames (x4, x256)
    frames = [
        (0.000000, frame(True, c, 0, SYN, 64240, opts=mss_c, ipid=0x394e)),
        (0.000412, frame(False, s, c + 1, SYN | ACK, 65535, opts=mss_s, ipid=0x6ab6)),
        (0.000633, frame(True, c + 1, s + 1, ACK, W_C, ipid=0x394f)),
        (0.001870, frame(True, c + 1, s + 1, PSH | ACK, W_C, req, ipid=0x3950)),
        (0.004215, frame(False, s + 1, c + 1 + len(req), PSH | ACK, W_S, resp, ipid=0x6ab7)),
        (0.006002, frame(True, c + 1 + len(req), s + 1 + len(resp), PSH | ACK, W_C, cmsg, ipid=0x3951)),
        (0.008311, frame(False, s + 1 + len(resp), c + 707, PSH | ACK, W_S, s1, ipid=0x6ab8)),
        (0.050127, frame(True, c + 707, s + 1 + len(resp) + len(s1), ACK, W_C, ipid=0x3952)),
        (101.681377, frame(False, s + 1 + len(resp) + len(s1), c + 707, PSH | ACK, W_S, s2, ipid=0x6aba)),
        (101.723104, frame(True, c + 707, s + 1254, ACK, W_C, ipid=0x3953)),
        (111.681501, SEED_PROBE),
        (111.681920, SEED_ACK),
    ]
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in frames:
            usec = int(round(t * 1e6))
            f.write(struct.pack("<IIII", BASE + usec // 1000000, usec % 1000000, len(fr), len(fr)) + fr)
    if truth_path:
        with open(truth_path, "w") as f:
            json.dump({
                "scenario": "ka_seed",
                "programs": "ka_seed.py (synthetic preface + 2 frames transcribed from the seed write-up)",
                "source": "shared seed 002 (Wireshark packets 3984 and 3985 of a capture 'webscoket')",
                "client": "192.168.120.68:51000", "server": "192.168.120.217:9030",
                "isn_raw": {"client": C_ISN, "server": S_ISN},
                "synthetic_frames": list(range(1, 11)),
                "seed_frames": {"11": {"seed_no": 3984, "t_rel": 111.681501, "len": 55,
                                       "rel_seq": 1253, "rel_ack": 707, "tcp_len": 1, "payload": "00",
                                       "ip_checksum": "0x0000 (as printed; correct 0x5da5)",
                                       "tcp_checksum": "0x728a (as printed; correct 0xe4cd)"},
                                "12": {"seed_no": 3985, "t_rel": 111.681920, "len": 66,
                                       "rel_seq": 707, "rel_ack": 1254, "sack": "1253-1254",
                                       "checksums": "correct as printed (ip 0x8f01, tcp 0xa932)"}},
                "base_epoch": BASE,
                "expected": "frame 11 is a TCP keep-alive (seq 1253 = server next seq 1254 - 1, len 1, 0x00; the server's data covered relative 1..1253), "
                            "frame 12 its keep-alive ACK (ack 1254, SACK 1253-1254); frames 4-9 carry an "
                            "HTTP upgrade and 3 WebSocket text messages",
            }, f)


if __name__ == "__main__":
    main()
