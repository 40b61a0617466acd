#!/usr/bin/env python3
"""Generate the adversarial captures of tests/adversarial.rs (stdlib only, deterministic).

Usage: adversarial.py OUTDIR   (scripts/captures/make-adversarial.sh runs it and gzips the big ones)

Every capture is classic pcap, Ethernet/IPv4/TCP with valid checksums and consistent sequence
numbers; WebSocket connections open with a real Upgrade/101 handshake on port 8765 (the ws_tcp
heuristic claims them).
"""
import base64
import hashlib
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from wsframe import BINARY, CLOSE, PING, PONG, TEXT, encode  # noqa: E402

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PORT = 8765


def csum(data, init=0):
    if len(data) % 2:
        data += b"\0"
    s = init + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t_us = 1_700_000_000_000_000
        self.count = 0

    def packet(self, frame, dt_us=1000):
        self.t_us += dt_us
        self.f.write(struct.pack("<IIII", self.t_us // 1_000_000, self.t_us % 1_000_000,
                                 len(frame), len(frame)))
        self.f.write(frame)
        self.count += 1

    def close(self):
        self.f.close()


F_FIN, F_SYN, F_RST, F_PSH, F_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Conn:
    """One TCP connection; client = 10.x.y.z:cport, server = 10.99.0.1:PORT."""

    def __init__(self, pcap, n, sport=PORT):
        self.p = pcap
        self.cli = bytes([10, 1 + (n >> 16) % 200, (n >> 8) & 0xFF, n & 0xFF])
        self.srv = bytes([10, 250, 0, 1])
        self.cport = 40000 + n % 20000
        self.sport = sport
        self.cseq = 1000
        self.sseq = 5000

    def _pkt(self, from_client, flags, payload=b"", seq=None, dt_us=1000):
        src, dst = (self.cli, self.srv) if from_client else (self.srv, self.cli)
        sp, dp = (self.cport, self.sport) if from_client else (self.sport, self.cport)
        s = (self.cseq if from_client else self.sseq) if seq is None else seq
        a = 0 if flags == F_SYN else (self.sseq if from_client else self.cseq)
        tcp = struct.pack("!HHIIBBHHH", sp, dp, s & 0xFFFFFFFF, a & 0xFFFFFFFF, 5 << 4, flags,
                          65535, 0, 0) + payload
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        c = csum(pseudo + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" if from_client else \
            b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
        self.p.packet(eth + ip + tcp, dt_us)

    def open(self):
        self._pkt(True, F_SYN, seq=self.cseq - 1)
        self._pkt(False, F_SYN | F_ACK, seq=self.sseq - 1)
        self._pkt(True, F_ACK)

    def send(self, from_client, data, mss=1448, dt_us=1000):
        for i in range(0, len(data), mss):
            chunk = data[i:i + mss]
            self._pkt(from_client, F_PSH | F_ACK, chunk, dt_us=dt_us)
            if from_client:
                self.cseq += len(chunk)
            else:
                self.sseq += len(chunk)

    def ack(self, from_client, dt_us=1000):
        self._pkt(from_client, F_ACK, dt_us=dt_us)

    def fin(self, from_client):
        self._pkt(from_client, F_FIN | F_ACK)
        if from_client:
            self.cseq += 1
        else:
            self.sseq += 1

    def handshake(self, extensions=None, extra_headers=b""):
        key = base64.b64encode(hashlib.sha1(self.cli + bytes([self.cport & 0xFF])).digest()[:16])
        req = (b"GET /chat HTTP/1.1\r\nHost: 10.250.0.1:8765\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key +
               b"\r\nSec-WebSocket-Version: 13\r\n")
        if extensions:
            req += b"Sec-WebSocket-Extensions: " + extensions + b"\r\n"
        req += extra_headers + b"\r\n"
        self.send(True, req)
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n")
        if extensions:
            resp += b"Sec-WebSocket-Extensions: " + extensions + b"\r\n"
        self.send(False, resp + b"\r\n")


def len63(out):
    """A client frame whose 64-bit length is 2^63 (MSB set), 4 payload bytes captured."""
    p = Pcap(os.path.join(out, "len63.pcap"))
    c = Conn(p, 1)
    c.open()
    c.handshake()
    c.send(True, encode(TEXT, b"hi", mask=b"\x01\x02\x03\x04"))
    c.send(True, encode(BINARY, b"abcd", mask=b"\x11\x22\x33\x44", length=1 << 63))
    c.ack(False)
    c.fin(False)
    p.close()


def tiny32k(out):
    """32,000 empty unmasked Binary frames from the server in one 64,000-byte segment, then a
    Text frame "end" (Server.32001)."""
    p = Pcap(os.path.join(out, "tiny32k.pcap"))
    c = Conn(p, 2)
    c.open()
    c.handshake()
    c.send(False, encode(BINARY) * 32000, mss=65000)
    c.ack(True)
    c.send(False, encode(TEXT, b"end"))
    p.close()


def bomb(out):
    """permessage-deflate negotiated; one server message of ~100 kB inflating to 100 MB."""
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    zero = b"\0" * (1 << 20)
    data = b"".join(co.compress(zero) for _ in range(100)) + co.flush(zlib.Z_SYNC_FLUSH)
    assert data.endswith(b"\0\0\xff\xff")
    data = data[:-4]
    p = Pcap(os.path.join(out, "bomb.pcap"))
    c = Conn(p, 3)
    c.open()
    c.handshake(extensions=b"permessage-deflate")
    c.send(False, encode(BINARY, data, rsv=4))
    c.ack(True)
    c.send(True, encode(TEXT, b"ok", mask=b"\x0a\x0b\x0c\x0d"))
    p.close()
    return len(data)


def frag10k(out):
    """10,000 connections, each left with an unfinished fragmented Text message (FIN=0)."""
    p = Pcap(os.path.join(out, "frag10k.pcap"))
    for n in range(10000):
        c = Conn(p, 1000 + n)
        c.open()
        c.handshake()
        c.send(True, encode(TEXT, b"part-%d" % n, fin=False, mask=b"\x21\x22\x23\x24"))
    p.close()


def pingflood(out):
    """20,000 client Pings in one connection, one per segment; the server pongs every 100th."""
    p = Pcap(os.path.join(out, "pingflood.pcap"))
    c = Conn(p, 4)
    c.open()
    c.handshake()
    for i in range(20000):
        pl = struct.pack("!I", i)
        c.send(True, encode(PING, pl, mask=struct.pack("!I", 0x5A5A0000 | (i & 0xFFFF))),
               dt_us=100)
        if i % 100 == 99:
            c.send(False, encode(PONG, pl), dt_us=100)
    c.fin(True)
    c.fin(False)
    p.close()


def bighdr(out):
    """An Upgrade request with 1 MB of headers (Upgrade first, then 1 MB of X-Filler lines),
    then a normal exchange."""
    p = Pcap(os.path.join(out, "bighdr.pcap"))
    c = Conn(p, 5)
    c.open()
    line = b"X-Filler-%05d: " + b"a" * 100 + b"\r\n"
    filler = b"".join(line % i for i in range((1 << 20) // (len(line) - 1)))
    c.handshake(extra_headers=filler)
    c.send(True, encode(TEXT, b"after the headers", mask=b"\x01\x02\x03\x04"))
    c.send(False, encode(TEXT, b"after the headers"))
    c.send(True, encode(CLOSE, b"\x03\xe8", mask=b"\x05\x06\x07\x08"))
    c.send(False, encode(CLOSE, b"\x03\xe8"))
    c.fin(False)
    c.fin(True)
    p.close()
    return len(filler)


def ka100k(out):
    """100,000 idle TCP connections: 3-way handshake, one zero-byte keep-alive probe from the
    client 2 hours later, and the server's ACK."""
    p = Pcap(os.path.join(out, "ka100k.pcap"))
    for n in range(100000):
        c = Conn(p, n, sport=9000)
        c.open()
        c._pkt(True, F_ACK, seq=c.cseq - 1, dt_us=100)
        c.ack(False, dt_us=100)
    p.close()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    len63(out)
    tiny32k(out)
    print("bomb: compressed", bomb(out))
    frag10k(out)
    pingflood(out)
    print("bighdr: filler", bighdr(out))
    ka100k(out)


if __name__ == "__main__":
    main()
