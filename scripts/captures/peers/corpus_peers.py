#!/usr/bin/env python3
"""Peers for scripts/captures/make-captures-corpus.sh (documented in tests/captures/CORPUS.md).

  corpus_peers.py MODE HOST PORT

WebSocket (recall captures): aiohttp-server, aiohttp-client.
Not WebSocket (negative corpus): grpc-server/-client (HTTP/2 with gRPC framing, python h2),
thrift-server/-client (Thrift binary protocol, framed transport), msgpack-server/-client
(msgpack-rpc), game-server/-client (a game protocol: varint length-prefixed packets, state
updates at 50 Hz), lookalike-server/-client (records that begin 81 05 and carry a CRC),
randbulk-server/-client (random bytes of random sizes both ways), imap-client (imaplib against
dovecot). Every loop is bounded; every program ends by itself.
"""
import asyncio
import os
import random
import socket
import struct
import sys
import time
import zlib

MODE, HOST, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
RNG = random.Random(13)


def listen():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, PORT))
    s.listen(1)
    c, _ = s.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.close()
    return c


def connect():
    c = socket.create_connection((HOST, PORT), timeout=20)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            raise EOFError
        b += x
    return b


# ---------------------------------------------------------------- WebSocket: aiohttp
async def aiohttp_server():
    from aiohttp import web

    done = asyncio.Event()

    async def handler(request):
        ws = web.WebSocketResponse(autoping=True, compress=False)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == web.WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        done.set()
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, HOST, PORT).start()
    await asyncio.wait_for(done.wait(), 60)
    await asyncio.sleep(0.3)
    await runner.cleanup()


async def aiohttp_client():
    import aiohttp

    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(f"http://{HOST}:{PORT}/", autoping=True, compress=0) as ws:
            sizes = [3, 125, 126, 2000, 65535, 65536, 100000]
            for i, n in enumerate(sizes):
                await ws.send_str(f"{i}:" + "y" * n)
                await ws.receive()
            await ws.ping(b"aiohttp-ping")
            for i in range(40):
                await ws.send_bytes(bytes([i]) * (i * 13 % 200 + 1))
            for i in range(40):
                await ws.receive()
            for i in range(20):
                await ws.send_str(f'{{"tick":{i}}}')
                await ws.receive()
                await asyncio.sleep(0.01)
            await ws.close(code=1000, message=b"bye")


# ---------------------------------------------------------------- HTTP/2 with gRPC framing
def grpc_frame(msg):
    return b"\x00" + struct.pack(">I", len(msg)) + msg


def grpc_server():
    import h2.config
    import h2.connection
    import h2.events

    c = listen()
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    c.sendall(conn.data_to_send())
    bodies = {}
    ended = 0
    while ended < 30:
        data = c.recv(65535)
        if not data:
            break
        for ev in conn.receive_data(data):
            if isinstance(ev, h2.events.DataReceived):
                bodies[ev.stream_id] = bodies.get(ev.stream_id, b"") + ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                sid = ev.stream_id
                conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
                reply = bodies.get(sid, b"")[5:][::-1] * 3
                conn.send_data(sid, grpc_frame(reply))
                conn.send_headers(sid, [("grpc-status", "0")], end_stream=True)
                ended += 1
        c.sendall(conn.data_to_send())
    time.sleep(0.3)
    c.close()


def grpc_client():
    import h2.config
    import h2.connection
    import h2.events

    c = connect()
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    c.sendall(conn.data_to_send())
    done = 0
    for i in range(30):
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [(":method", "POST"), (":scheme", "http"),
                                (":authority", f"{HOST}:{PORT}"),
                                (":path", "/wsk.Echo/Reverse"),
                                ("content-type", "application/grpc"), ("te", "trailers")])
        body = bytes(RNG.getrandbits(8) for _ in range(RNG.choice([10, 200, 1500, 4000])))
        conn.send_data(sid, grpc_frame(body), end_stream=True)
        c.sendall(conn.data_to_send())
        while done <= i:
            data = c.recv(65535)
            if not data:
                return
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    done += 1
            c.sendall(conn.data_to_send())
    conn.close_connection()
    c.sendall(conn.data_to_send())
    c.close()


# ---------------------------------------------------------------- Thrift (binary, framed)
def thrift_message(name, mtype, seq, fields):
    from thrift.protocol import TBinaryProtocol
    from thrift.Thrift import TType
    from thrift.transport import TTransport

    buf = TTransport.TMemoryBuffer()
    p = TBinaryProtocol.TBinaryProtocol(buf)
    p.writeMessageBegin(name, mtype, seq)
    p.writeStructBegin("args")
    for fid, (kind, val) in enumerate(fields, start=1):
        if kind == "i64":
            p.writeFieldBegin("f", TType.I64, fid)
            p.writeI64(val)
        elif kind == "str":
            p.writeFieldBegin("f", TType.STRING, fid)
            p.writeString(val)
        else:
            p.writeFieldBegin("f", TType.LIST, fid)
            p.writeListBegin(TType.I32, len(val))
            for v in val:
                p.writeI32(v)
            p.writeListEnd()
        p.writeFieldEnd()
    p.writeFieldStop()
    p.writeStructEnd()
    p.writeMessageEnd()
    body = buf.getvalue()
    return struct.pack(">i", len(body)) + body


def thrift_server():
    from thrift.Thrift import TMessageType

    c = listen()
    for seq in range(1, 41):
        n = struct.unpack(">i", recv_exact(c, 4))[0]
        recv_exact(c, n)
        c.sendall(thrift_message("lookup", TMessageType.REPLY, seq,
                                 [("str", "value-%d-" % seq + "z" * (seq * 37 % 900)),
                                  ("i64", seq * 1000003)]))
    time.sleep(0.3)
    c.close()


def thrift_client():
    from thrift.Thrift import TMessageType

    c = connect()
    for seq in range(1, 41):
        c.sendall(thrift_message("lookup", TMessageType.CALL, seq,
                                 [("str", f"key-{seq}"), ("list", list(range(seq % 17)))]))
        n = struct.unpack(">i", recv_exact(c, 4))[0]
        recv_exact(c, n)
    c.close()


# ---------------------------------------------------------------- msgpack-rpc
def msgpack_server():
    import msgpack

    c = listen()
    unp = msgpack.Unpacker(raw=False)
    served = 0
    while served < 50:
        data = c.recv(65536)
        if not data:
            break
        unp.feed(data)
        for msg in unp:
            _, msgid, method, params = msg
            result = {"method": method, "sum": sum(params[0]), "blob": bytes(params[1])[::-1]}
            c.sendall(msgpack.packb([1, msgid, None, result], use_bin_type=True))
            served += 1
    time.sleep(0.3)
    c.close()


def msgpack_client():
    import msgpack

    c = connect()
    unp = msgpack.Unpacker(raw=False)
    for i in range(50):
        nums = [RNG.randrange(1 << 20) for _ in range(i % 9)]
        blob = bytes(RNG.getrandbits(8) for _ in range(RNG.choice([4, 60, 700, 3000])))
        c.sendall(msgpack.packb([0, i, "compute", [nums, blob]], use_bin_type=True))
        got = None
        while got is None:
            unp.feed(c.recv(65536))
            for m in unp:
                got = m
    c.close()


# ---------------------------------------------------------------- a game protocol
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def game_packet(pid, body):
    p = varint(pid) + body
    return varint(len(p)) + p


def game_server():
    c = listen()
    c.settimeout(0.02)
    x = y = 0.0
    for tick in range(150):
        try:
            c.recv(65536)
        except socket.timeout:
            pass
        x += 0.25
        y -= 0.5
        ents = b"".join(struct.pack(">Iddd", e, x + e, y, float(tick)) for e in range(tick % 6 + 1))
        c.sendall(game_packet(0x20, struct.pack(">IB", tick, tick % 6 + 1) + ents))
        if tick % 25 == 0:
            chat = f"server: tick {tick}".encode()
            c.sendall(game_packet(0x0F, varint(len(chat)) + chat))
        if tick % 50 == 0:
            c.sendall(game_packet(0x22, bytes(RNG.getrandbits(8) for _ in range(3000))))
    time.sleep(0.2)
    c.close()


def game_client():
    c = connect()
    name = b"wsk-player"
    c.sendall(game_packet(0x00, varint(760) + varint(len(name)) + name + struct.pack(">H", PORT) + b"\x02"))
    c.settimeout(0.02)
    for tick in range(150):
        c.sendall(game_packet(0x14, struct.pack(">dddB", tick * 0.25, 64.0, -tick * 0.5, tick & 1)))
        try:
            if not c.recv(65536):
                break
        except socket.timeout:
            pass
    c.settimeout(2)
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()


# ---------------------------------------------------------------- look-alike: 81 05 records
def lookalike_record(kind, body):
    # 0x81, a 1-byte kind, a 2-byte length, the body, a CRC-32 of the body.
    return bytes([0x81, kind]) + struct.pack(">H", len(body)) + body + struct.pack(">I", zlib.crc32(body))


def lookalike_server():
    c = listen()
    for i in range(60):
        hdr = recv_exact(c, 4)
        body = recv_exact(c, struct.unpack(">H", hdr[2:])[0] + 4)
        c.sendall(lookalike_record(0x05, body[:-4][::-1] + b"ok"))
    time.sleep(0.3)
    c.close()


def lookalike_client():
    c = connect()
    for i in range(60):
        body = f"hello {i} ".encode() * (i % 7 + 1) if i % 3 else bytes(RNG.getrandbits(8) for _ in range(i * 31))
        c.sendall(lookalike_record(0x05, body))
        hdr = recv_exact(c, 4)
        recv_exact(c, struct.unpack(">H", hdr[2:])[0] + 4)
    c.close()


# ---------------------------------------------------------------- random bulk
def randbulk_server():
    c = listen()
    r = random.Random(7)
    for i in range(40):
        n = struct.unpack(">I", recv_exact(c, 4))[0]
        recv_exact(c, n)
        c.sendall(os.urandom(r.choice([1, 7, 100, 1448, 5000, 20000])))
        time.sleep(0.005)
    time.sleep(0.3)
    c.close()


def randbulk_client():
    c = connect()
    r = random.Random(8)
    c.settimeout(0.05)
    for i in range(40):
        n = r.choice([2, 9, 300, 2896, 12000])
        c.sendall(struct.pack(">I", n) + os.urandom(n))
        try:
            c.recv(65536)
        except socket.timeout:
            pass
    c.settimeout(2)
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()


# ---------------------------------------------------------------- IMAP client (dovecot server)
def imap_client():
    import imaplib

    m = imaplib.IMAP4(HOST, PORT, timeout=20)
    m.login("wsk", "wsk-pass")
    m.create("Archive")
    for i in range(12):
        body = (f"From: a@wsk.invalid\r\nTo: b@wsk.invalid\r\nSubject: message {i}\r\n\r\n"
                + "line of text\r\n" * (i * 20 + 1)).encode()
        m.append("INBOX", None, None, body)
    m.select("INBOX")
    typ, data = m.search(None, "ALL")
    for num in data[0].split():
        m.fetch(num, "(RFC822)")
    m.copy(b"1:3", "Archive")
    m.store(b"2", "+FLAGS", "\\Deleted")
    m.expunge()
    m.list()
    m.logout()


MODES = {
    "aiohttp-server": lambda: asyncio.run(aiohttp_server()),
    "aiohttp-client": lambda: asyncio.run(aiohttp_client()),
    "grpc-server": grpc_server, "grpc-client": grpc_client,
    "thrift-server": thrift_server, "thrift-client": thrift_client,
    "msgpack-server": msgpack_server, "msgpack-client": msgpack_client,
    "game-server": game_server, "game-client": game_client,
    "lookalike-server": lookalike_server, "lookalike-client": lookalike_client,
    "randbulk-server": randbulk_server, "randbulk-client": randbulk_client,
    "imap-client": imap_client,
}

if __name__ == "__main__":
    MODES[MODE]()
